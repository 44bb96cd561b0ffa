# gateway: filled by the gateway work.
