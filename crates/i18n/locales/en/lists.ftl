# Lists that scale: filters, paging and exports (Audit tab).
lists-audit-filter = Filter the audit trail
lists-audit-who = Who
lists-audit-kind = What
lists-audit-kind-changes = Changes (message views hidden)
lists-audit-kind-all = Everything
lists-audit-kind-views = Message views
lists-audit-kind-account = Account settings
lists-audit-kind-group = Groups and members
lists-audit-kind-message = Messages (without views)
lists-audit-kind-profile = Envelope profiles
lists-audit-kind-token = Tokens
lists-audit-kind-gateway = SMTP gateway
lists-audit-kind-user = Users and passwords
lists-audit-kind-session = Logins
lists-audit-kind-device = Remembered devices
lists-from = From (date)
lists-to = To (date)
lists-filter = Filter
lists-clear = Clear filters
lists-bad-date = A date was not understood and was left out; use the form YYYY-MM-DD.
lists-audit-total = { $count ->
    [one] 1 event matches.
   *[other] { $count } events match.
}
lists-audit-total-more = More than { $count } events match.
lists-audit-none-match = No event matches this filter.
lists-export-csv = Download as CSV
lists-pages = Pages
lists-newer = Newer
lists-older = Older
lists-csv-action = Action
lists-csv-outcome = Outcome
lists-csv-cut = The export stops here: narrow the filter (for example the dates) to get the rest.
