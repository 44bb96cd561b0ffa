# The Features tab: the account's switches.
tab-features = Features
features-intro = Untick what this account's people and recipients may not do. A switched-off feature is refused wherever it is asked for, not only hidden.
feature-secure_compose = Secure Compose
feature-secure_compose-hint = Members write new secure messages in the portal.
feature-secure_reply = Secure Reply
feature-secure_reply-hint = Recipients answer the sender of a message.
feature-secure_reply_all = Secure Reply All
feature-secure_reply_all-hint = Recipients answer the sender and every other recipient.
feature-secure_forward = Secure Forward
feature-secure_forward-hint = Recipients forward a message, with its attachments, to others.
feature-read_receipts = Read receipts
feature-read_receipts-hint = Senders learn when a recipient first opens their message.
flash-features-saved = The features have been saved.
error-feature-switched-off = Your organisation has switched this off for its secure messages.
feature-remember_devices = Remember devices
feature-remember_devices-hint = Medium level: recipients may tick "Remember me on this device" and then open later messages there without their password. Switched off, no device is remembered and devices remembered before open nothing.
