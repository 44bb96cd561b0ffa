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

## Two-step verification reset by an administrator (to the user)
mail-two-step-reset-subject = Your { $service } two-step verification was reset
mail-two-step-reset-heading = Your two-step verification was reset
mail-two-step-reset-intro = An administrator reset the two-step verification of { $email } at { $service } on { $date }. Your authenticator app, passkeys and recovery codes no longer work for this login: you now log in with your password alone until you set two-step verification up again.
mail-two-step-reset-button = Open my security settings
mail-two-step-reset-advice = If you did not ask for this, tell your administrator at once and choose a new password with “Forgot your password?” on the login page.

## The user's password was changed (to the user)
mail-password-changed-subject = Your { $service } password was changed
mail-password-changed-heading = Your password was changed
mail-password-changed-intro = The password of { $email } at { $service } was changed on { $date }. Every session with the old password has ended.
mail-password-changed-button = Choose a new password
mail-password-changed-advice = If you did not change it, someone else may know your password: choose a new one with the button above at once, and tell your administrator.

## The user turned two-step verification off (to the user)
mail-two-step-off-subject = Two-step verification of your { $service } login was turned off
mail-two-step-off-heading = Two-step verification was turned off
mail-two-step-off-intro = Two-step verification by authenticator app was turned off for { $email } at { $service } on { $date }, with the password of this login. Codes from the app are no longer asked for.
mail-two-step-off-button = Open my security settings
mail-two-step-off-advice = If you did not turn it off, someone else knows your password: choose a new one with “Forgot your password?” on the login page at once, turn two-step verification on again, and tell your administrator.

## A passkey was added to the user's login (to the user)
mail-passkey-added-subject = A passkey was added to your { $service } login
mail-passkey-added-heading = A passkey was added
mail-passkey-added-intro = A passkey named “{ $name }” was added to the login of { $email } at { $service } on { $date }. It logs in in place of a code from an authenticator app.
mail-passkey-added-button = Open my security settings
mail-passkey-added-advice = If you did not add it, someone else can log in as you: remove the passkey on your security settings page, choose a new password with “Forgot your password?” on the login page, and tell your administrator.

## One of the user's recovery codes logged them in (to the user)
mail-recovery-code-used-subject = A recovery code was used to log in to { $service }
mail-recovery-code-used-heading = A recovery code was used
mail-recovery-code-used-intro = One of the recovery codes of { $email } at { $service } was used to log in on { $date }, in place of the authenticator app or passkey. That code no longer works; you can make new codes on your security settings page.
mail-recovery-code-used-button = Open my security settings
mail-recovery-code-used-advice = If you did not use it, someone else has your password and one of your codes: choose a new password with “Forgot your password?” on the login page at once, make new recovery codes, and tell your administrator.

## Proving a mailbox: an existing user's own request, in the browser that asked.
mail-proof-subject = Confirm that { $email } is yours
mail-proof-heading = Confirm your email address
mail-proof-intro = Someone signed in to { $service } as { $email } and asked to read the secure messages sent to this address. Before they open, we need to know that the mailbox belongs to the person signed in. If that was you, use the button below in the same browser.
mail-proof-button = Yes, this mailbox is mine
mail-proof-expiry = This link works only once, only in the browser that asked for it, and expires in 1 hour.
mail-proof-ignore = If you did not ask for this, someone else may be signed in with your address: do not use the link, and choose a new password with "Forgot your password?" on the login page. That ends their session.

## Someone tried to register an address that already has an account.
mail-known-subject = Your { $service } account
mail-known-heading = You already have an account
mail-known-intro = Someone, perhaps you, asked to register { $email } at { $service }. This address already has an account, so nothing was changed. If you forgot your password, choose a new one with the button below.
mail-known-button = Choose a new password
mail-known-expiry = This link works only once and expires in 1 hour.
mail-known-ignore = If you did not ask for this, ignore this email: your account stays as it is.

## An account's new sending address confirms by a link sent to it.
mail-sender-subject = Confirm { $email } as a sending address of { $account }
mail-sender-heading = Confirm this sending address
mail-sender-intro = An administrator of { $account } at { $service } wants secure-message notifications to be sent from { $email }. No mail goes out from this address until you confirm that it may be used.
mail-sender-button = Confirm this sending address
mail-sender-expiry = This link works only once and expires in 48 hours.
mail-sender-ignore = If you do not expect this, ignore this email: no notification will be sent from this address.
