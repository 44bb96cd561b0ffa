## Emails and the Registered Envelope (see crates/mail)

## Shared by every email
mail-from-name = { $sender } via { $service }
mail-open-online = Open Online
mail-link-fallback = If the button does not work, copy this address into your browser:
mail-label-from = From
mail-label-to = To
mail-label-sent = Sent
mail-footer = This email was sent automatically by { $service }. Replies to it are not read.

## A recipient's notification of a secure message
mail-secure-subject = Secure message from { $sender }
mail-secure-heading = You have received a secure message
mail-secure-intro = { $sender } ({ $email }) has sent you a secure message through { $service }. The message is encrypted, so it is not in this email.
mail-secure-how = To read it, click “Open Online”.
mail-secure-attachment = You can also open the attached Registered Envelope ({ $file }) in your browser and click its “Open Online” button.
mail-secure-first-time = The first time, you register with your email address and choose a password; after that, you log in.
mail-secure-footer = This notification was sent by { $service } to { $recipient }. Only the owner of this address can open the message.

## The Registered Envelope (the attached HTML file)
mail-envelope-title = Registered Envelope
mail-envelope-heading = Secure message from { $sender }
mail-envelope-explanation = This Registered Envelope holds an encrypted message for { $recipient }. To read it, click “Open Online” and log in to { $service }; the first time, you register with this email address.
mail-envelope-privacy = The message stays encrypted until you open it: this file alone does not reveal what it says. Opening it needs an internet connection.
mail-envelope-register-hint = First time here?
mail-envelope-register = Register

## Registration: proving the mailbox
mail-activation-subject = Confirm your email address for { $service }
mail-activation-heading = Confirm your email address
mail-activation-intro = You are registering { $email } with { $service } to read secure messages. To finish, confirm that this address is yours.
mail-activation-button = Confirm my email address
mail-activation-expiry = This link works only once and expires in 48 hours.
mail-activation-ignore = If you did not register, ignore this email: without confirmation, nothing is set up.

## Password reset
mail-reset-subject = Reset your { $service } password
mail-reset-heading = Reset your password
mail-reset-intro = Someone asked to reset the password of { $email } at { $service }. To choose a new password, use the button below.
mail-reset-button = Choose a new password
mail-reset-expiry = This link works only once and expires in 1 hour.
mail-reset-ignore = If you did not ask for this, ignore this email: your password stays as it is.

## Read receipt (to the sender)
mail-receipt-subject = { $reader } opened your secure message
mail-receipt-heading = Your secure message was opened
mail-receipt-body = { $reader } opened the secure message you sent on { $date }.
mail-receipt-button = View the message

## Bounce (to the sender)
mail-bounce-subject = Undeliverable: secure message to { $failed }
mail-bounce-heading = Your secure message could not be announced
mail-bounce-body = The notification of your secure message to { $failed } could not be delivered, so this recipient has not been told about the message.
mail-bounce-reason = Reason
mail-bounce-advice = Check the address and send the message again, or let the recipient know another way.
