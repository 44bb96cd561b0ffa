## Navigation and frame
nav-label = Hauptnavigation
nav-accounts = Konten
nav-users = Benutzer
nav-logout = Abmelden
language-switch = Sprache

## Error pages
error-request-id = Anfrage-ID:
error-home = Zur Startseite
error-not-found-title = Seite nicht gefunden
error-not-found-body = Diese Seite gibt es nicht, oder Sie haben keinen Zugriff darauf.
error-forbidden-title = Kein Zugriff
error-forbidden-body = Ihr Benutzer verwaltet kein Konto. Bitten Sie einen Kontoadministrator oder den Kundensupport um Zugriff.
error-conflict-title = Inzwischen geändert
error-conflict-body = Dies wurde inzwischen geändert oder angelegt, vielleicht in einem anderen Fenster. Laden Sie die Seite neu und versuchen Sie es erneut.
error-unprocessable-title = Das ist nicht möglich
error-unauthenticated-title = Bitte melden Sie sich an
error-unauthenticated-body = Dafür müssen Sie angemeldet sein.
error-too-many-title = Zu viele Versuche
error-too-many-body = In kurzer Zeit gab es zu viele Versuche. Bitte warten Sie einen Moment und versuchen Sie es erneut.
error-csrf-title = Dieses Formular ist abgelaufen
error-csrf-body = Zu Ihrer Sicherheit konnte das Formular nicht angenommen werden. Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es erneut.
error-internal-title = Etwas ist schiefgelaufen
error-internal-body = Der Dienst konnte Ihre Anfrage nicht ausführen. Es wurde nichts geändert. Bitte versuchen Sie es erneut; wenn der Fehler bleibt, geben Sie Ihrem Administrator die folgende Anfrage-ID.

## Logging in
login-title-admin = Anmeldung zur Verwaltung
login-title-portal = Bei Sealpost anmelden
login-email = E-Mail-Adresse
login-password = Kennwort
login-submit = Anmelden
login-invalid = E-Mail-Adresse oder Kennwort ist nicht korrekt.
login-throttled = { $seconds ->
    [one] Zu viele fehlgeschlagene Versuche. Bitte warten Sie 1 Sekunde und versuchen Sie es erneut.
   *[other] Zu viele fehlgeschlagene Versuche. Bitte warten Sie { $seconds } Sekunden und versuchen Sie es erneut.
}
login-forgot = Kennwort vergessen?

## Passwords
password-title = Kennwort ändern
password-title-forced = Neues Kennwort festlegen
password-forced-intro = Ihr Kennwort wurde von einem Administrator festgelegt und ist abgelaufen. Legen Sie Ihr eigenes permanentes Kennwort fest, um fortzufahren.
password-current = Aktuelles Kennwort
password-new = Neues Kennwort
password-confirm = Kennwort bestätigen
password-policy = Mindestens 10 Zeichen. Kein gängiges Kennwort und weder Ihre E-Mail-Adresse noch deren Teil vor dem @ (bei alice@example.com: alice).
password-submit = Kennwort speichern

## Accounts
accounts-title = Konten
accounts-empty = Es gibt keine Konten anzuzeigen.
accounts-number = Kontonummer
accounts-name = Name
accounts-created = Erstellt
accounts-add-heading = Neues Konto
accounts-first-admin = Erster Administrator (E-Mail-Adresse eines vorhandenen Benutzers)
accounts-add = Konto erstellen
account-heading = Konto { $number }
account-tabs = Kontobereiche
tab-details = Details
tab-groups = Gruppen
details-administrators = Administratoren
details-no-administrators = Dieses Konto hat noch keinen Administrator.

details-sending-address = Absenderadresse
details-sending-address-default = Nicht festgelegt: Benachrichtigungen kommen von { $address } mit dem Namen des Kontos.
details-sending-address-hint = Die Adresse, von der Benachrichtigungen an Empfänger kommen. Leer lassen, um den Absender des Dienstes zu verwenden. Ihr Mailserver muss für sie senden dürfen (SPF, DKIM).
flash-sending-address-set = Die Absenderadresse wurde gespeichert.
details-delivery-mode = Zustellart
details-delivery-mode-default = Standard des Dienstes: { $mode }
delivery-mode-stored = Gespeichert und angehängt
delivery-mode-stored-hint = Die verschlüsselte Nachricht wird auf diesem Dienst aufbewahrt und reist zusätzlich im Umschlag: Empfänger öffnen sie über den Umschlag oder den Link.
delivery-mode-envelope = Nur im Umschlag
delivery-mode-envelope-hint = Die verschlüsselte Nachricht reist nur im Umschlag; dieser Dienst bewahrt nur ihren Schlüssel auf. Empfänger brauchen den Umschlag, um sie zu lesen.
delivery-mode-link = Nur als Link
delivery-mode-link-hint = Die Benachrichtigung enthält einen Link und keinen Umschlag; die verschlüsselte Nachricht bleibt auf diesem Dienst.
flash-delivery-mode-set = Die Zustellart wurde gespeichert.

tab-audit = Protokoll
audit-intro = Die neuesten Änderungen und Nachrichtenzugriffe in diesem Konto: wer, was, wann und von wo.
audit-col-when = Wann
audit-col-who = Wer
audit-col-what = Was
audit-col-target = Ziel
audit-col-from = Von
audit-refused = abgelehnt
audit-empty = In diesem Konto ist noch nichts geschehen.
audit-system = (Dienst)
audit-action-account-created = Konto erstellt
audit-action-account-delivery-mode-set = Zustellart geändert
audit-action-account-key-rotated = Kontoschlüssel erneuert
audit-action-account-sending-address-set = Absenderadresse geändert
audit-action-group-created = Gruppe hinzugefügt
audit-action-group-deleted = Gruppe gelöscht
audit-action-group-member-added = Mitglied hinzugefügt
audit-action-group-member-removed = Mitglied entfernt
audit-action-message-expiry-set = Ablauf der Nachricht geändert
audit-action-message-forwarded = Nachricht weitergeleitet
audit-action-message-key-destroyed = Schlüssel der Nachricht vernichtet
audit-action-message-locked = Nachricht gesperrt
audit-action-message-opened = Nachricht geöffnet
audit-action-message-replied = Antwort gesendet
audit-action-message-sent = Nachricht gesendet
audit-action-message-unlocked = Nachricht entsperrt

## Groups
group-account-administrators = Kontoadministratoren
groups-name-field = Gruppenname
groups-add = Gruppe hinzufügen
groups-col-name = Name
groups-col-actions = Aktionen
groups-member-count = { $count ->
    [one] 1 Mitglied
   *[other] { $count } Mitglieder
}
groups-action-members = Mitglieder von { $group }
groups-action-delete = Gruppe { $group } löschen
groups-showing = { $count } Gruppe(n) angezeigt.
groups-back = Zurück zur Kontenliste

## Members
members-user-id = Benutzer-ID
members-add = Zu Gruppe hinzufügen
members-empty = Diese Gruppe hat noch keine Mitglieder.
members-col-name = Name
members-col-added = Hinzugefügt
members-remove = { $email } aus der Gruppe entfernen
members-back = Zurück zu den Gruppen
pager-next = Nächste Seite

## Users
users-title = Benutzer
users-add = Benutzer hinzufügen
users-search = Nach E-Mail-Adresse suchen
users-search-submit = Suchen
users-empty = Keine passenden Benutzer.
users-username = Benutzername
users-status = Status
users-first-name = Vorname
users-last-name = Nachname
users-password = Kennwort
users-confirm-password = Kennwort bestätigen
users-force-expiration = Kennwortablauf erzwingen
users-save = Speichern
form-cancel = Abbrechen
status-active = Aktiv
status-pending = Noch nicht registriert
status-locked = Gesperrt

## Portal
portal-title = Mein Sealpost
portal-welcome = Willkommen, { $name }
portal-language = Sprache
portal-language-browser = Wie im Browser
portal-accounts = Meine Konten
portal-no-accounts = Sie sind noch in keinem Konto Mitglied.
portal-to-admin = Zur Verwaltung
portal-change-password = Kennwort ändern

## Confirmations
flash-user-added = Benutzer { $email } hinzugefügt.
flash-member-added = { $email } wurde der Gruppe { $group } hinzugefügt.
flash-member-removed = { $email } wurde aus der Gruppe { $group } entfernt.
flash-group-added = Gruppe { $group } hinzugefügt.
flash-group-deleted = Gruppe { $group } gelöscht.
flash-account-created = Konto { $number } ({ $name }) erstellt.
flash-password-changed = Ihr neues Kennwort ist gesetzt.
flash-logged-out = Sie haben sich abgemeldet.

## Refusals
error-email-malformed = Geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@example.com.
error-required = Füllen Sie dieses Feld aus.
error-name-too-long = Namen dürfen höchstens 100 Zeichen lang sein.
error-group-name-too-long = Gruppennamen dürfen höchstens 64 Zeichen lang sein.
error-group-name-reserved = Dieser Name ist der eingebauten Administratorengruppe vorbehalten.
error-password-too-short = Das Kennwort muss mindestens 10 Zeichen lang sein.
error-password-too-long = Das Kennwort darf höchstens 128 Zeichen lang sein.
error-password-too-common = Dieses Kennwort ist zu gängig. Wählen Sie eines, das schwerer zu erraten ist.
error-password-contains-username = Das Kennwort darf weder Ihre E-Mail-Adresse noch deren Teil vor dem @ (Ihren Benutzernamen) enthalten.
error-password-mismatch = Die Kennwörter stimmen nicht überein.
error-password-unchanged = Das neue Kennwort muss sich vom aktuellen unterscheiden.
error-current-password-wrong = Das aktuelle Kennwort ist nicht korrekt.
error-non-existent-user = Es kann kein nicht vorhandener Benutzer hinzugefügt werden.
error-already-member = Dieser Benutzer ist bereits Mitglied der Gruppe.
error-last-administrator = Der letzte Administrator eines Kontos kann nicht entfernt werden.
error-builtin-group = Die eingebaute Gruppe kann nicht gelöscht werden.
error-username-taken = Ein Benutzer mit diesem Benutzernamen existiert bereits.
error-group-name-taken = Dieses Konto hat bereits eine Gruppe mit diesem Namen.
error-account-name-too-long = Kontonamen dürfen höchstens 120 Zeichen lang sein.
error-unknown-locale = Diese Sprache ist nicht verfügbar.
error-unknown-delivery-mode = Wählen Sie eine der Zustellarten.
error-control-characters = Dieser Text enthält Zeichen, die nicht verwendet werden können (Steuerzeichen).

## Who may read what: mailbox proof, sending-address confirmation.
details-sending-address-pending = Wartet auf Bestätigung: { $address }. Sie gilt, sobald der an sie gesendete Link verwendet wurde.
flash-sending-address-confirm = Ein Bestätigungslink wurde an { $email } gesendet. Die Adresse gilt, sobald der Link darin verwendet wurde.
audit-action-account-sending-address-requested = Bestätigung der Absenderadresse gesendet
