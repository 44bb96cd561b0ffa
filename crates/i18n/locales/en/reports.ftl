# The account's Reports tab (admin/reports.rs) and its CSV.
tab-reports = Reports
reports-heading = Activity in { $year }
reports-intro = Messages are counted in the month they were sent; "notified" and "opened" say what became of that month's messages. Registrations and activations count the people this account had written to, in the month they registered or activated. Months are calendar months in UTC.
reports-year = Year
reports-show = Show
reports-bad-year = The year "{ $typed }" cannot be shown; enter a year from { $first } to { $last }. Showing { $shown } instead.
reports-previous-year = Previous year ({ $year })
reports-next-year = Next year ({ $year })
reports-col-month = Month
reports-col-sent = Messages sent
reports-col-notified = Recipients notified
reports-col-opened = Messages opened
reports-col-registrations = Registrations
reports-col-activations = Activations
reports-total = Total
reports-table-caption = Activity per month in { $year }
reports-chart-title = Activity per month in { $year }
reports-chart-desc = Bar chart of messages sent, recipients notified, messages opened, registrations and activations for each month of { $year }. The table below holds the same figures.
reports-bar = { $month }: { $series } { $count }
reports-nothing = Nothing was sent and nobody registered in { $year }.
reports-export-csv = Download as CSV
reports-csv-account = Account
reports-csv-month = Month (YYYY-MM)

# The Messages tab's filter (admin/messages.rs).
messages-filter = Filter the messages
messages-filter-sender = Sender
messages-filter-recipient = Recipient
messages-filter-state = State
messages-state-any = Any state
messages-state-open = Readable
messages-state-locked = Locked
messages-state-expired = Expired or destroyed
messages-filter-too-long = A sender or recipient longer than an address can be ({ $max } characters) was left out.
messages-total = { $count ->
    [one] 1 message matches.
   *[other] { $count } messages match.
}
messages-none-match = No message matches this filter.

# Locking a message from the Messages tab, through a confirmation step.
messages-lock-start = Lock message…
messages-lock-title = Lock this message?
messages-lock-question = The message { $sender } sent on { $date } will no longer open for any of its recipients; they will see the reason you give here. You can unlock it later.
messages-lock-confirm = Lock message

# Searching Inbox and Sent (portal/mailbox.rs).
mailbox-search = Search subject, sender or recipient
mailbox-search-button = Search
mailbox-search-cut = Only the newest { $max } messages were searched.
