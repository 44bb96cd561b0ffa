# Passkeys (WebAuthn): the security page's list and form, the page that has the
# browser create one, and the login's second step with one.

passkeys-heading = Passkeys
passkeys-intro = A passkey lets you confirm your login with your device's screen lock, fingerprint or face, or with a security key, instead of a code.
passkeys-codes-hint = If you lose your passkeys, a recovery code lets you log in once without them.
passkeys-none = You have no passkey yet.
passkeys-name = Name
passkeys-added-at = Added
passkeys-last-used = Last used
passkeys-remove = Remove
passkeys-remove-named = Remove the passkey { $name }
passkeys-add-name = Name of the new passkey
passkeys-add-hint = For example “Laptop” or “Security key”, so you can tell your passkeys apart.
passkeys-add = Add a passkey
passkeys-unavailable = Passkeys cannot be used here: Sealpost is reached at { $url }, an IP address, and browsers offer passkeys only for a host name. The operator can set the public URL to a name (public_url).
passkeys-bad-name = Give the passkey a name of at most 60 characters.
passkeys-too-many = You have 20 passkeys, the most one user may have. Remove one before adding another.
passkeys-register-title = Add a passkey
passkeys-register-intro = Your browser will now ask you to create the passkey “{ $name }”. Follow its steps: your screen lock, fingerprint, face or security key.
passkeys-register-go = Create the passkey
passkeys-back = Back to the security page
passkeys-needs-script = This step needs JavaScript, which your browser does not run on this page. Allow it for this site, or use an authenticator app instead.
passkeys-browser-failed = Your browser did not give a passkey (it was cancelled or took too long). Try again.
passkeys-refused = The passkey was not accepted. Try again.
passkeys-ceremony-expired = This took too long or was done already. Please start again.
passkey-added = The passkey “{ $name }” was added.
passkey-removed = The passkey “{ $name }” was removed.
passkeys-rename = Rename
passkeys-rename-named = Rename the passkey { $name }
passkeys-new-name = New name of the passkey { $name }
passkey-renamed = The passkey is now called “{ $name }”.
passkeys-login-title = Log in with a passkey
passkeys-login-intro = Your browser will now ask for your passkey.
passkeys-login-go = Use my passkey
passkeys-or-code = Use a code instead
passkeys-use-intro = You have a passkey: use it to confirm your login.
passkeys-use = Use a passkey
