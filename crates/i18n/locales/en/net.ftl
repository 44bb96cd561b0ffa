# Connections, envelopes and form sizes.
net-busy = The service is busy. Please try again in a few seconds.
envelope-damaged-title = This envelope cannot be opened
envelope-damaged = This envelope is damaged or does not belong to this message. Open the envelope attached to the notification you received, or ask the sender to send the message again.
