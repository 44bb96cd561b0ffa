## Composing, opening and managing secure messages

nav-compose = Compose Message
nav-inbox = Inbox
nav-sent = Sent
nav-portal = My Sealpost
tab-messages = Messages
account-messages-intro = Messages sent from this account: who sent them, to whom, and who opened them. Their contents stay private to senders and recipients.
tracking-manage = Manage

compose-account = Send from account
compose-to = To
compose-cc = Cc
compose-addresses-hint = Separate several addresses with commas.
compose-subject = Subject
compose-message = Message
compose-format = Format
compose-format-text = Plain text
compose-format-html = HTML (shown sanitized, without scripts or remote images)
message-body-frame = Message text
compose-attachments = Attachments
compose-attachments-hint = Up to { $size } MB in all. If the form is refused, the files already sent stay attached.
compose-kept = Already attached
compose-kept-hint = These files were sent with the form and stay attached. Untick one to leave it out; choose more files below.
compose-options = Options
compose-allow-reply = Allow Reply
compose-allow-reply-all = Allow Reply All
compose-allow-forward = Allow Forward
compose-read-receipt = Request a read receipt
compose-expires = Expiration date
compose-send = Send

mailbox-empty = There are no messages here yet.
message-from = From
message-sent = Sent
message-no-subject = (no subject)
message-destroyed = (expired)
message-reply = Reply
message-reply-all = Reply All
message-forward = Forward
message-track = Recipients and controls
status-destroyed = Expired, key destroyed
status-message-locked = Locked
status-message-active = Active
status-expires = Expires { $date }

tracking-title = Sent message
tracking-recipients = Recipients
tracking-recipient = Recipient
tracking-opened = Opened
tracking-not-opened = Not opened yet
tracking-control = Control
tracking-lock-reason = Reason shown to recipients
tracking-unlock = Unlock
tracking-set-expiry = Set expiration
tracking-expiry-hint = Leave empty to remove the expiration.

unavailable-reason = Reason:
unavailable-contact = Questions about this message? Contact the sender: { $sender }.
unavailable-locked-title = This message is locked
unavailable-locked = The sender has locked this message. It cannot be opened.
unavailable-expired-title = This message has expired
unavailable-expired = This message expired on { $date } and can no longer be opened.
unavailable-envelope-title = Open the envelope to read this message
unavailable-envelope = This message is kept only in the Registered Envelope you received by email. Open the attachment and click Open Online again.

envelope-continue-title = Open your secure message
envelope-continue = Your browser opened the envelope from a file. Continue to open the message here.
envelope-continue-button = Continue

register-title = Register
register-intro = You received a secure message at { $email }. Register once to open it and any future messages.
register-submit = Register
register-check-title = Check your mailbox
register-check = If { $email } may register here, a link to confirm it is on its way; it works once and for 48 hours. If the address has an account already, the email says so instead.
register-check-hint = After confirming, you are logged in and the message opens.
activate-title = Confirm your email address
activate-intro = Click the button to confirm your address and finish registering.
activate-submit = Confirm and continue
link-invalid-title = This link no longer works
activate-invalid-hint = If you already confirmed your address, log in instead.

forgot-title = Reset your password
forgot-intro = Enter your email address and we will send you a link to choose a new password.
forgot-submit = Send link
forgot-sent-title = Check your mailbox
forgot-sent = If { $email } has a Sealpost user, a link to reset the password is on its way. It works once and for one hour.
reset-title = Choose a new password

flash-message-sent = Your secure message has been sent.
flash-message-locked = The message is locked.
flash-message-unlocked = The message is unlocked.
flash-message-expiry = The expiration has been updated.

error-no-recipients = Enter at least one recipient.
error-recipient-malformed = One of the addresses is not a valid email address. Separate addresses with commas.
error-too-many-recipients = A message can have at most 100 recipients.
error-subject-too-long = The subject can be at most 255 characters long, on one line.
error-body-too-long = The message is too long (at most 1 MB of text).
error-attachments-too-large = The attachments are too large for one message.
error-expiry-malformed = Enter the expiration date as YYYY-MM-DD.
error-expiry-in-past = The expiration date must be in the future.
error-not-a-member = You are not a member of any account, so you cannot send secure messages. Ask an account administrator to add you to a group.
error-not-allowed-by-message = The sender of this message does not allow this.
error-lock-reason-required = Give a reason: recipients will see it.
error-lock-reason-too-long = The reason can be at most 500 characters long.
error-link-invalid = This link is invalid, was already used, or has expired.

## Who may read what: mailbox proof, sending-address confirmation.
register-have-account = Already registered? Log in
proof-title = Confirm your email address
proof-needed = Messages sent to { $email } open once you have confirmed that this mailbox is yours.
proof-why = Being signed in is not enough: an administrator may have created this user and chosen its password. We will mail a link to { $email }; use it in this browser.
proof-send = Send me the link
proof-sent-title = Check your mailbox
proof-sent = We sent a link to { $email }. Open it in this browser; it works once and for one hour.
proof-sent-hint = After confirming, the message opens.
proof-limited = Several links were sent to { $email } in the last hour already. Use the newest one, or try again in an hour.
proof-confirm-intro = Click the button to confirm that this mailbox is yours.
proof-confirm = Confirm and continue
proof-other-title = Open this link where you asked for it
proof-other = This link works only in the browser that asked for it, while signed in there. Nothing was confirmed.
proof-other-hint = If you did not ask for it, someone else may be signed in with your address: choose a new password. That ends every other session and only you will know it.
sender-confirm-title = Confirm the sending address
sender-confirm-intro = Click the button to let secure-message notifications be sent from this address.
sender-confirm = Confirm this sending address
sender-confirmed-title = Sending address confirmed
sender-confirmed = Notifications are now sent from { $email }.
sender-invalid-hint = An administrator of the account can send a new link from its Details tab.

## Replies and forwards by outside recipients.
error-too-many-forward-recipients = You can forward this message to at most 5 addresses.
error-too-many-answers = You have sent many replies and forwards in the last hour. Please try again later.
error-forward-adds-no-attachments = A forward carries the original message and its attachments. You can add a note, but no files.
compose-forward-note = The original message and its attachments are forwarded with your note below.
