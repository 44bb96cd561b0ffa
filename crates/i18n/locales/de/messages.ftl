## Composing, opening and managing secure messages

nav-compose = Nachricht verfassen
nav-inbox = Posteingang
nav-sent = Gesendet
nav-portal = Mein Sealpost
tab-messages = Nachrichten
account-messages-intro = Von diesem Konto gesendete Nachrichten: wer sie an wen gesendet hat und wer sie geöffnet hat. Die Inhalte bleiben Absendern und Empfängern vorbehalten.
tracking-manage = Verwalten

compose-account = Senden von Konto
compose-to = An
compose-cc = Cc
compose-addresses-hint = Trennen Sie mehrere Adressen durch Kommas.
compose-subject = Betreff
compose-message = Nachricht
compose-format = Format
compose-format-text = Nur Text
compose-format-html = HTML (bereinigt angezeigt, ohne Skripte und externe Bilder)
message-body-frame = Nachrichtentext
compose-attachments = Anhänge
compose-attachments-hint = Insgesamt bis zu { $size } MB. Wird das Formular abgelehnt, bleiben die bereits gesendeten Dateien angehängt.
compose-kept = Bereits angehängt
compose-kept-hint = Diese Dateien wurden mit dem Formular gesendet und bleiben angehängt. Entfernen Sie das Häkchen, um eine wegzulassen; weitere Dateien wählen Sie unten aus.
compose-options = Optionen
compose-allow-reply = Antworten erlauben
compose-allow-reply-all = Allen antworten erlauben
compose-allow-forward = Weiterleiten erlauben
compose-read-receipt = Lesebestätigung anfordern
compose-expires = Ablaufdatum
compose-send = Senden

mailbox-empty = Hier gibt es noch keine Nachrichten.
message-from = Von
message-sent = Gesendet
message-no-subject = (kein Betreff)
message-destroyed = (abgelaufen)
message-reply = Antworten
message-reply-all = Allen antworten
message-forward = Weiterleiten
message-track = Empfänger und Steuerung
status-destroyed = Abgelaufen, Schlüssel vernichtet
status-message-locked = Gesperrt
status-message-active = Aktiv
status-expires = Läuft ab am { $date }

tracking-title = Gesendete Nachricht
tracking-recipients = Empfänger
tracking-recipient = Empfänger
tracking-opened = Geöffnet
tracking-not-opened = Noch nicht geöffnet
tracking-control = Steuerung
tracking-lock-reason = Grund, den Empfänger sehen
tracking-unlock = Entsperren
tracking-set-expiry = Ablauf festlegen
tracking-expiry-hint = Leer lassen, um den Ablauf aufzuheben.

unavailable-reason = Grund:
unavailable-contact = Fragen zu dieser Nachricht? Wenden Sie sich an den Absender: { $sender }.
unavailable-locked-title = Diese Nachricht ist gesperrt
unavailable-locked = Der Absender hat diese Nachricht gesperrt. Sie kann nicht geöffnet werden.
unavailable-expired-title = Diese Nachricht ist abgelaufen
unavailable-expired = Diese Nachricht ist am { $date } abgelaufen und kann nicht mehr geöffnet werden.
unavailable-envelope-title = Öffnen Sie den Umschlag, um diese Nachricht zu lesen
unavailable-envelope = Diese Nachricht existiert nur im Registered Envelope, den Sie per E-Mail erhalten haben. Öffnen Sie den Anhang und klicken Sie erneut auf Online öffnen.

envelope-continue-title = Ihre verschlüsselte Nachricht öffnen
envelope-continue = Ihr Browser hat den Umschlag aus einer Datei geöffnet. Fahren Sie fort, um die Nachricht hier zu öffnen.
envelope-continue-button = Weiter

register-title = Registrieren
register-intro = Sie haben unter { $email } eine verschlüsselte Nachricht erhalten. Registrieren Sie sich einmal, um sie und alle künftigen Nachrichten zu öffnen.
register-submit = Registrieren
register-check-title = Prüfen Sie Ihr Postfach
register-check = Wenn sich { $email } hier registrieren kann, ist ein Bestätigungslink unterwegs; er funktioniert einmal und 48 Stunden lang. Hat die Adresse bereits ein Konto, steht das stattdessen in der E-Mail.
register-check-hint = Nach der Bestätigung sind Sie angemeldet und die Nachricht öffnet sich.
activate-title = E-Mail-Adresse bestätigen
activate-intro = Klicken Sie auf die Schaltfläche, um Ihre Adresse zu bestätigen und die Registrierung abzuschließen.
activate-submit = Bestätigen und fortfahren
link-invalid-title = Dieser Link funktioniert nicht mehr
activate-invalid-hint = Wenn Sie Ihre Adresse bereits bestätigt haben, melden Sie sich an.

forgot-title = Kennwort zurücksetzen
forgot-intro = Geben Sie Ihre E-Mail-Adresse ein; wir senden Ihnen einen Link, mit dem Sie ein neues Kennwort wählen.
forgot-submit = Link senden
forgot-sent-title = Prüfen Sie Ihr Postfach
forgot-sent = Wenn { $email } einen Sealpost-Benutzer hat, ist ein Link zum Zurücksetzen des Kennworts unterwegs. Er funktioniert einmal und eine Stunde lang.
reset-title = Neues Kennwort wählen

flash-message-sent = Ihre verschlüsselte Nachricht wurde gesendet.
flash-message-locked = Die Nachricht ist gesperrt.
flash-message-unlocked = Die Nachricht ist entsperrt.
flash-message-expiry = Der Ablauf wurde geändert.

error-no-recipients = Geben Sie mindestens einen Empfänger an.
error-recipient-malformed = Eine der Adressen ist keine gültige E-Mail-Adresse. Trennen Sie Adressen durch Kommas.
error-too-many-recipients = Eine Nachricht kann höchstens 100 Empfänger haben.
error-subject-too-long = Der Betreff darf höchstens 255 Zeichen lang sein, in einer Zeile.
error-body-too-long = Die Nachricht ist zu lang (höchstens 1 MB Text).
error-attachments-too-large = Die Anhänge sind für eine Nachricht zu groß.
error-expiry-malformed = Geben Sie das Ablaufdatum als JJJJ-MM-TT ein.
error-expiry-in-past = Das Ablaufdatum muss in der Zukunft liegen.
error-not-a-member = Sie sind in keinem Konto Mitglied und können daher keine verschlüsselten Nachrichten senden. Bitten Sie einen Kontoadministrator, Sie einer Gruppe hinzuzufügen.
error-not-allowed-by-message = Der Absender dieser Nachricht erlaubt das nicht.
error-lock-reason-required = Geben Sie einen Grund an: Die Empfänger sehen ihn.
error-lock-reason-too-long = Der Grund darf höchstens 500 Zeichen lang sein.
error-link-invalid = Dieser Link ist ungültig, wurde bereits verwendet oder ist abgelaufen.

## Who may read what: mailbox proof, sending-address confirmation.
register-have-account = Bereits registriert? Anmelden
proof-title = Bestätigen Sie Ihre E-Mail-Adresse
proof-needed = Nachrichten an { $email } öffnen sich, sobald Sie bestätigt haben, dass dieses Postfach Ihnen gehört.
proof-why = Angemeldet zu sein reicht nicht: Ein Administrator kann diesen Benutzer angelegt und sein Kennwort gewählt haben. Wir senden einen Link an { $email }; verwenden Sie ihn in diesem Browser.
proof-send = Link senden
proof-sent-title = Prüfen Sie Ihr Postfach
proof-sent = Wir haben einen Link an { $email } gesendet. Öffnen Sie ihn in diesem Browser; er funktioniert einmal und eine Stunde lang.
proof-sent-hint = Nach der Bestätigung öffnet sich die Nachricht.
proof-limited = In der letzten Stunde wurden bereits mehrere Links an { $email } gesendet. Verwenden Sie den neuesten oder versuchen Sie es in einer Stunde erneut.
proof-confirm-intro = Klicken Sie auf die Schaltfläche, um zu bestätigen, dass dieses Postfach Ihnen gehört.
proof-confirm = Bestätigen und weiter
proof-other-title = Öffnen Sie diesen Link dort, wo Sie ihn angefordert haben
proof-other = Dieser Link funktioniert nur in dem Browser, der ihn angefordert hat, solange Sie dort angemeldet sind. Es wurde nichts bestätigt.
proof-other-hint = Wenn Sie ihn nicht angefordert haben, ist möglicherweise jemand anderes mit Ihrer Adresse angemeldet: Wählen Sie ein neues Kennwort. Damit enden alle anderen Sitzungen, und nur Sie kennen es.
sender-confirm-title = Absenderadresse bestätigen
sender-confirm-intro = Klicken Sie auf die Schaltfläche, damit Benachrichtigungen über sichere Nachrichten von dieser Adresse gesendet werden dürfen.
sender-confirm = Absenderadresse bestätigen
sender-confirmed-title = Absenderadresse bestätigt
sender-confirmed = Benachrichtigungen werden jetzt von { $email } gesendet.
sender-invalid-hint = Ein Administrator des Kontos kann auf dessen Registerkarte „Details“ einen neuen Link senden.

## Replies and forwards by outside recipients.
error-too-many-forward-recipients = Sie können diese Nachricht an höchstens 5 Adressen weiterleiten.
error-too-many-answers = Sie haben in der letzten Stunde viele Antworten und Weiterleitungen gesendet. Bitte versuchen Sie es später erneut.
error-forward-adds-no-attachments = Eine Weiterleitung enthält die ursprüngliche Nachricht mit ihren Anhängen. Sie können eine Notiz hinzufügen, aber keine Dateien.
compose-forward-note = Die ursprüngliche Nachricht und ihre Anhänge werden mit Ihrer Notiz unten weitergeleitet.
