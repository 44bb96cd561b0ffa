## Navigation and frame
nav-label = Main navigation
nav-accounts = Accounts
nav-users = Users
nav-logout = Log Out
language-switch = Language

## Error pages
error-request-id = Request ID:
error-home = Go to the start page
error-not-found-title = Page not found
error-not-found-body = This page does not exist, or you do not have access to it.
error-forbidden-title = No access
error-forbidden-body = Your user does not administer any account. Ask an account administrator or customer support for access.
error-conflict-title = Changed meanwhile
error-conflict-body = This was changed or created meanwhile, perhaps in another window. Reload the page and try again.
error-unprocessable-title = This cannot be done
error-unauthenticated-title = Please log in
error-unauthenticated-body = This needs you to be logged in.
error-too-many-title = Too many attempts
error-too-many-body = There were too many attempts in a short time. Please wait a moment and try again.
error-csrf-title = This form has expired
error-csrf-body = For your security the form could not be accepted. Go back, reload the page and try again.
error-internal-title = Something went wrong
error-internal-body = The service could not complete your request. Nothing was changed. Please try again; if it keeps happening, give the request ID below to your administrator.

## Logging in
login-title-admin = Administration login
login-title-portal = Log in to Sealpost
login-email = Email address
login-password = Password
login-submit = Log In
login-invalid = The email address or password is not correct.
login-throttled = { $seconds ->
    [one] Too many failed attempts. Please wait 1 second and try again.
   *[other] Too many failed attempts. Please wait { $seconds } seconds and try again.
}
login-forgot = Forgot your password?

## Passwords
password-title = Change password
password-title-forced = Set a new password
password-forced-intro = Your password was set by an administrator and has expired. Choose your own permanent password to continue.
password-current = Current password
password-new = New password
password-confirm = Confirm Password
password-policy = At least 10 characters. Not a common password, and not your email address nor the part of it before the @ (for alice@example.com: alice).
password-submit = Save password

## Accounts
accounts-title = Accounts
accounts-empty = There are no accounts to show.
accounts-number = Account number
accounts-name = Name
accounts-created = Created
accounts-add-heading = New account
accounts-first-admin = First administrator (email address of an existing user)
accounts-add = Create account
account-heading = Account { $number }
account-tabs = Account sections
tab-details = Details
tab-groups = Groups
details-administrators = Administrators
details-no-administrators = This account has no administrator yet.

details-sending-address = Sending address
details-sending-address-default = Not set: notifications come from { $address } with the account's name.
details-sending-address-hint = The address notifications to recipients come from. Leave empty to use the service's sender. Your mail server must be allowed to send for it (SPF, DKIM).
flash-sending-address-set = The sending address has been saved.
details-delivery-mode = Delivery mode
details-delivery-mode-default = Service default: { $mode }
delivery-mode-stored = Stored and attached
delivery-mode-stored-hint = The encrypted message is kept on this service and also travels in the envelope: recipients open it from the envelope or through the link.
delivery-mode-envelope = Envelope only
delivery-mode-envelope-hint = The encrypted message travels only in the envelope; this service keeps nothing but its key. Recipients need the envelope to read it.
delivery-mode-link = Link only
delivery-mode-link-hint = The notification carries a link and no envelope; the encrypted message stays on this service.
flash-delivery-mode-set = The delivery mode has been saved.

tab-audit = Audit
audit-intro = The newest changes and message accesses in this account: who, what, when and from where.
audit-col-when = When
audit-col-who = Who
audit-col-what = What
audit-col-target = Target
audit-col-from = From
audit-refused = refused
audit-empty = Nothing has happened in this account yet.
audit-system = (service)
audit-action-account-created = Account created
audit-action-account-delivery-mode-set = Delivery mode changed
audit-action-account-key-rotated = Account key rotated
audit-action-account-sending-address-set = Sending address changed
audit-action-group-created = Group added
audit-action-group-deleted = Group deleted
audit-action-group-member-added = Member added
audit-action-group-member-removed = Member removed
audit-action-message-expiry-set = Message expiration changed
audit-action-message-forwarded = Message forwarded
audit-action-message-key-destroyed = Message key destroyed
audit-action-message-locked = Message locked
audit-action-message-opened = Message opened
audit-action-message-replied = Reply sent
audit-action-message-sent = Message sent
audit-action-message-unlocked = Message unlocked

## Groups
group-account-administrators = Account Administrators
groups-name-field = Group Name
groups-add = Add Group
groups-col-name = Name
groups-col-actions = Actions
groups-member-count = { $count ->
    [one] 1 member
   *[other] { $count } members
}
groups-action-members = Members of { $group }
groups-action-delete = Delete group { $group }
groups-showing = Showing { $count } group(s).
groups-back = Back to Accounts List

## Members
members-user-id = User ID
members-add = Add to Group
members-empty = This group has no members yet.
members-col-name = Name
members-col-added = Added
members-remove = Remove { $email } from the group
members-back = Back to Groups
pager-next = Next page

## Users
users-title = Users
users-add = Add User
users-search = Search by email address
users-search-submit = Search
users-empty = No users match.
users-username = Username
users-status = Status
users-first-name = First Name
users-last-name = Last Name
users-password = Password
users-confirm-password = Confirm Password
users-force-expiration = Force password expiration
users-save = Save
form-cancel = Cancel
status-active = Active
status-pending = Not yet registered
status-locked = Locked

## Portal
portal-title = My Sealpost
portal-welcome = Welcome, { $name }
portal-language = Language
portal-language-browser = As in my browser
portal-accounts = My accounts
portal-no-accounts = You are not a member of any account yet.
portal-to-admin = Go to administration
portal-change-password = Change password

## Confirmations
flash-user-added = User { $email } added.
flash-member-added = { $email } was added to the group { $group }.
flash-member-removed = { $email } was removed from the group { $group }.
flash-group-added = Group { $group } added.
flash-group-deleted = Group { $group } deleted.
flash-account-created = Account { $number } ({ $name }) created.
flash-password-changed = Your new password is set.
flash-logged-out = You have logged out.

## Refusals
error-email-malformed = Enter a valid email address, such as name@example.com.
error-required = Fill in this field.
error-name-too-long = Names can be at most 100 characters long.
error-group-name-too-long = Group names can be at most 64 characters long.
error-group-name-reserved = This name is reserved for the built-in administrators group.
error-password-too-short = The password must be at least 10 characters long.
error-password-too-long = The password can be at most 128 characters long.
error-password-too-common = This password is too common. Choose one that is harder to guess.
error-password-contains-username = The password must not contain your email address nor the part of it before the @ (your username).
error-password-mismatch = The passwords do not match.
error-password-unchanged = The new password must be different from the current one.
error-current-password-wrong = The current password is not correct.
error-non-existent-user = Cannot add a non-existent user.
error-already-member = This user is already a member of the group.
error-last-administrator = The last administrator of an account cannot be removed.
error-builtin-group = The built-in group cannot be deleted.
error-username-taken = A user with this username already exists.
error-group-name-taken = This account already has a group with this name.
error-account-name-too-long = Account names can be at most 120 characters long.
error-unknown-locale = This language is not available.
error-unknown-delivery-mode = Choose one of the delivery modes.
error-control-characters = This text contains characters that cannot be used (control characters).

## Who may read what: mailbox proof, sending-address confirmation.
details-sending-address-pending = Waiting for confirmation: { $address }. It takes effect once the link mailed to it is used.
flash-sending-address-confirm = A confirmation link was sent to { $email }. The address takes effect once the link in it is used.
audit-action-account-sending-address-requested = Sending address confirmation sent
