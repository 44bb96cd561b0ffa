# branding: filled by the branding work.
