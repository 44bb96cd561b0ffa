## Emails and the Registered Envelope (see crates/mail)

mail-placeholder = -
