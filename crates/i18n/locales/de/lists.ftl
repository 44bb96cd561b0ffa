# Listen, die mitwachsen: Filter, Seiten und Exporte (Reiter Protokoll).
lists-audit-filter = Protokoll filtern
lists-audit-who = Wer
lists-audit-kind = Was
lists-audit-kind-changes = Änderungen (ohne Nachrichtenaufrufe)
lists-audit-kind-all = Alles
lists-audit-kind-views = Nachrichtenaufrufe
lists-audit-kind-account = Kontoeinstellungen
lists-audit-kind-group = Gruppen und Mitglieder
lists-audit-kind-message = Nachrichten (ohne Aufrufe)
lists-audit-kind-profile = Umschlagprofile
lists-audit-kind-token = Tokens
lists-audit-kind-gateway = SMTP-Gateway
lists-audit-kind-user = Benutzer und Kennwörter
lists-audit-kind-session = Anmeldungen
lists-audit-kind-device = Gemerkte Geräte
lists-from = Von (Datum)
lists-to = Bis (Datum)
lists-filter = Filtern
lists-clear = Filter zurücksetzen
lists-bad-date = Ein Datum wurde nicht verstanden und nicht berücksichtigt; bitte im Format JJJJ-MM-TT angeben.
lists-audit-total = { $count ->
    [one] 1 Ereignis gefunden.
   *[other] { $count } Ereignisse gefunden.
}
lists-audit-total-more = Mehr als { $count } Ereignisse gefunden.
lists-audit-none-match = Kein Ereignis entspricht diesem Filter.
lists-export-csv = Als CSV herunterladen
lists-pages = Seiten
lists-newer = Neuere
lists-older = Ältere
lists-csv-action = Aktion
lists-csv-outcome = Ergebnis
lists-csv-cut = Der Export endet hier: Grenzen Sie den Filter ein (zum Beispiel die Daten), um den Rest zu erhalten.
