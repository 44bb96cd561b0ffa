# Der Bereich „Berichte“ eines Kontos (admin/reports.rs) und seine CSV-Datei.
tab-reports = Berichte
reports-heading = Aktivität { $year }
reports-intro = Nachrichten werden im Monat ihres Versands gezählt; „benachrichtigt“ und „geöffnet“ sagen, was aus den Nachrichten dieses Monats wurde. Registrierungen und Aktivierungen zählen die Personen, denen dieses Konto geschrieben hatte, im Monat ihrer Registrierung oder Aktivierung. Monate sind Kalendermonate in UTC.
reports-year = Jahr
reports-show = Anzeigen
reports-bad-year = Das Jahr „{ $typed }“ kann nicht angezeigt werden; bitte ein Jahr von { $first } bis { $last } angeben. Stattdessen wird { $shown } angezeigt.
reports-previous-year = Voriges Jahr ({ $year })
reports-next-year = Nächstes Jahr ({ $year })
reports-col-month = Monat
reports-col-sent = Gesendete Nachrichten
reports-col-notified = Benachrichtigte Empfänger
reports-col-opened = Geöffnete Nachrichten
reports-col-registrations = Registrierungen
reports-col-activations = Aktivierungen
reports-total = Summe
reports-table-caption = Aktivität pro Monat { $year }
reports-chart-title = Aktivität pro Monat { $year }
reports-chart-desc = Balkendiagramm der gesendeten Nachrichten, benachrichtigten Empfänger, geöffneten Nachrichten, Registrierungen und Aktivierungen für jeden Monat von { $year }. Die Tabelle darunter enthält dieselben Zahlen.
reports-bar = { $month }: { $series } { $count }
reports-nothing = { $year } wurde nichts gesendet und niemand hat sich registriert.
reports-export-csv = Als CSV herunterladen
reports-csv-account = Konto
reports-csv-month = Monat (JJJJ-MM)

# Der Filter des Bereichs „Nachrichten“ (admin/messages.rs).
messages-filter = Nachrichten filtern
messages-filter-sender = Absender
messages-filter-recipient = Empfänger
messages-filter-state = Zustand
messages-state-any = Jeder Zustand
messages-state-open = Lesbar
messages-state-locked = Gesperrt
messages-state-expired = Abgelaufen oder vernichtet
messages-filter-too-long = Ein Absender oder Empfänger, der länger ist, als eine Adresse sein kann ({ $max } Zeichen), wurde nicht berücksichtigt.
messages-total = { $count ->
    [one] 1 Nachricht entspricht dem Filter.
   *[other] { $count } Nachrichten entsprechen dem Filter.
}
messages-none-match = Keine Nachricht entspricht diesem Filter.

# Eine Nachricht im Bereich „Nachrichten“ sperren, mit Bestätigungsschritt.
messages-lock-start = Nachricht sperren …
messages-lock-title = Diese Nachricht sperren?
messages-lock-question = Die Nachricht, die { $sender } am { $date } gesendet hat, lässt sich für keinen ihrer Empfänger mehr öffnen; sie sehen den Grund, den Sie hier angeben. Sie können sie später wieder entsperren.
messages-lock-confirm = Nachricht sperren

# Suche in Posteingang und Gesendet (portal/mailbox.rs).
mailbox-search = Betreff, Absender oder Empfänger suchen
mailbox-search-button = Suchen
mailbox-search-cut = Nur die neuesten { $max } Nachrichten wurden durchsucht.
