# accounts: renaming, suspending, deleting accounts; the Accounts list; allowed sender domains.

accounts-state = State
accounts-state-active = Active
accounts-state-suspended = Suspended
accounts-state-suspended-since = Suspended since { $date }: no new messages can be sent; recipients still open what they have.
details-rename = Account name
details-rename-button = Rename
details-manage = Suspend or delete
details-suspend = Suspend account
details-suspend-hint = A suspended account cannot send new secure messages (portal, replies, gateway). Its recipients can still open the messages they have.
details-resume = Resume account
details-resume-hint = The account is suspended. Resuming lets its members send secure messages again.
details-delete = Delete account…
delete-account-title = Delete account
delete-account-warning = Deleting account { $number } destroys the keys of all its messages, so that no recipient can ever open them again, deletes their stored contents, and removes its groups, memberships, settings and tokens. Its audit trail is kept. This cannot be undone.
delete-account-confirm = Type the account number to confirm
delete-account-button = Delete account permanently
delete-account-cancel = Cancel and return to the account
audit-account-deleted = This account was deleted on { $date }. Only its audit trail remains.
error-account-suspended = This account is suspended: no new secure messages can be sent from it for now.
error-account-number-mismatch = That is not this account's number. Type the number shown above to delete the account.
flash-account-renamed = The account is now called { $name }.
flash-account-suspended = Account { $number } is suspended: it sends no new messages.
flash-account-resumed = Account { $number } can send messages again.
flash-account-deleted = Account { $number } was deleted. Operators can still read its audit trail.
audit-action-account-renamed = Account renamed
audit-action-account-suspended = Account suspended
audit-action-account-resumed = Account resumed
audit-action-account-deleted = Account deleted
accounts-list-heading = All accounts
accounts-search = Name or account number
accounts-search-button = Search
accounts-none-found = No account matches “{ $search }”.
accounts-showing = { $total ->
    [0] No accounts.
    [one] Showing the only account.
   *[other] Showing { $first }–{ $last } of { $total } accounts.
}
accounts-pages = Pages of the accounts list
accounts-previous = Previous page
accounts-next = Next page
details-sender-domains = Allowed sender domains
details-sender-domains-hint = One domain per line. Members of the account always send through the SMTP gateway; an address at one of these domains that is not a member yet may send too, and becomes a member without a password (“Forgot password?” lets them set one). “*.example.com” allows every subdomain of example.com (list example.com too for the domain itself). Leave empty to let only members send.
error-sender-domain-malformed = Each entry must be a domain name such as example.com, or *.example.com for its subdomains.
error-too-many-sender-domains = An account can list at most 100 sender domains.
flash-sender-domains-set = The allowed sender domains have been saved.
audit-action-account-sender-domains-set = Allowed sender domains changed
