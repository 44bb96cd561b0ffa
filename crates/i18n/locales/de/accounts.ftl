# accounts: Konten umbenennen, sperren, löschen; die Kontenliste; zulässige Absenderdomänen.

accounts-state = Status
accounts-state-active = Aktiv
accounts-state-suspended = Gesperrt
accounts-state-suspended-since = Gesperrt seit { $date }: Es können keine neuen Nachrichten gesendet werden; Empfänger öffnen weiterhin, was sie bereits erhalten haben.
details-rename = Kontoname
details-rename-button = Umbenennen
details-manage = Sperren oder löschen
details-suspend = Konto sperren
details-suspend-hint = Ein gesperrtes Konto kann keine neuen sicheren Nachrichten senden (Portal, Antworten, Gateway). Seine Empfänger können die erhaltenen Nachrichten weiterhin öffnen.
details-resume = Konto wieder freigeben
details-resume-hint = Das Konto ist gesperrt. Nach der Freigabe können seine Mitglieder wieder sichere Nachrichten senden.
details-delete = Konto löschen …
delete-account-title = Konto löschen
delete-account-warning = Beim Löschen des Kontos { $number } werden die Schlüssel aller seiner Nachrichten vernichtet, sodass kein Empfänger sie je wieder öffnen kann, ihre gespeicherten Inhalte gelöscht und seine Gruppen, Mitgliedschaften, Einstellungen und Tokens entfernt. Das Protokoll bleibt erhalten. Dies kann nicht rückgängig gemacht werden.
delete-account-confirm = Zur Bestätigung die Kontonummer eingeben
delete-account-button = Konto endgültig löschen
delete-account-cancel = Abbrechen und zurück zum Konto
audit-account-deleted = Dieses Konto wurde am { $date } gelöscht. Nur sein Protokoll ist erhalten.
error-account-suspended = Dieses Konto ist gesperrt: Derzeit können von ihm keine neuen sicheren Nachrichten gesendet werden.
error-account-number-mismatch = Das ist nicht die Nummer dieses Kontos. Geben Sie die oben angezeigte Nummer ein, um das Konto zu löschen.
flash-account-renamed = Das Konto heißt jetzt { $name }.
flash-account-suspended = Konto { $number } ist gesperrt: Es sendet keine neuen Nachrichten.
flash-account-resumed = Konto { $number } kann wieder Nachrichten senden.
flash-account-deleted = Konto { $number } wurde gelöscht. Betreiber können sein Protokoll weiterhin einsehen.
audit-action-account-renamed = Konto umbenannt
audit-action-account-suspended = Konto gesperrt
audit-action-account-resumed = Konto wieder freigegeben
audit-action-account-deleted = Konto gelöscht
accounts-list-heading = Alle Konten
accounts-search = Name oder Kontonummer
accounts-search-button = Suchen
accounts-none-found = Kein Konto entspricht „{ $search }“.
accounts-showing = { $total ->
    [0] Keine Konten.
    [one] Das einzige Konto wird angezeigt.
   *[other] { $first }–{ $last } von { $total } Konten angezeigt.
}
accounts-pages = Seiten der Kontenliste
accounts-previous = Vorherige Seite
accounts-next = Nächste Seite
details-sender-domains = Zulässige Absenderdomänen
details-sender-domains-hint = Eine Domäne pro Zeile. Mitglieder des Kontos senden immer über das SMTP-Gateway; eine Adresse einer dieser Domänen, die noch kein Mitglied ist, darf ebenfalls senden und wird Mitglied ohne Kennwort („Kennwort vergessen?“ lässt sie eines festlegen). „*.example.com“ erlaubt alle Subdomänen von example.com (für die Domäne selbst zusätzlich example.com eintragen). Leer lassen, damit nur Mitglieder senden.
error-sender-domain-malformed = Jeder Eintrag muss ein Domänenname wie example.com sein, oder *.example.com für dessen Subdomänen.
error-too-many-sender-domains = Ein Konto kann höchstens 100 Absenderdomänen eintragen.
flash-sender-domains-set = Die zulässigen Absenderdomänen wurden gespeichert.
audit-action-account-sender-domains-set = Zulässige Absenderdomänen geändert
