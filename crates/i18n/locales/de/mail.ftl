## Emails and the Registered Envelope (see crates/mail)

## Shared by every email
mail-from-name = { $sender } über { $service }
mail-open-online = Online öffnen
mail-link-fallback = Falls die Schaltfläche nicht funktioniert, kopieren Sie diese Adresse in Ihren Browser:
mail-label-from = Von
mail-label-to = An
mail-label-sent = Gesendet
mail-footer = Diese E-Mail wurde automatisch von { $service } gesendet. Antworten darauf werden nicht gelesen.

## A recipient's notification of a secure message
mail-secure-subject = Sichere Nachricht von { $sender }
mail-secure-heading = Sie haben eine sichere Nachricht erhalten
mail-secure-intro = { $sender } ({ $email }) hat Ihnen über { $service } eine sichere Nachricht gesendet. Die Nachricht ist verschlüsselt und steht deshalb nicht in dieser E-Mail.
mail-secure-how = Klicken Sie zum Lesen auf „Online öffnen“.
mail-secure-attachment = Sie können auch den angehängten registrierten Umschlag ({ $file }) im Browser öffnen und dort auf „Online öffnen“ klicken.
mail-secure-first-time = Beim ersten Mal registrieren Sie sich mit Ihrer E-Mail-Adresse und wählen ein Kennwort; danach melden Sie sich an.
mail-secure-footer = Diese Benachrichtigung wurde von { $service } an { $recipient } gesendet. Nur der Inhaber dieser Adresse kann die Nachricht öffnen.

## The Registered Envelope (the attached HTML file)
mail-envelope-title = Registrierter Umschlag
mail-envelope-heading = Sichere Nachricht von { $sender }
mail-envelope-explanation = Dieser registrierte Umschlag enthält eine verschlüsselte Nachricht für { $recipient }. Klicken Sie zum Lesen auf „Online öffnen“ und melden Sie sich bei { $service } an; beim ersten Mal registrieren Sie sich mit dieser E-Mail-Adresse.
mail-envelope-privacy = Die Nachricht bleibt verschlüsselt, bis Sie sie öffnen: Diese Datei allein verrät ihren Inhalt nicht. Zum Öffnen ist eine Internetverbindung nötig.
mail-envelope-register-hint = Zum ersten Mal hier?
mail-envelope-register = Registrieren

## Registration: proving the mailbox
mail-activation-subject = Bestätigen Sie Ihre E-Mail-Adresse für { $service }
mail-activation-heading = Bestätigen Sie Ihre E-Mail-Adresse
mail-activation-intro = Sie registrieren { $email } bei { $service }, um sichere Nachrichten zu lesen. Bestätigen Sie zum Abschluss, dass diese Adresse Ihnen gehört.
mail-activation-button = E-Mail-Adresse bestätigen
mail-activation-expiry = Dieser Link funktioniert nur einmal und läuft in 48 Stunden ab.
mail-activation-ignore = Wenn Sie sich nicht registriert haben, ignorieren Sie diese E-Mail: Ohne Bestätigung wird nichts eingerichtet.

## Password reset
mail-reset-subject = Kennwort für { $service } zurücksetzen
mail-reset-heading = Kennwort zurücksetzen
mail-reset-intro = Jemand hat angefordert, das Kennwort von { $email } bei { $service } zurückzusetzen. Über die Schaltfläche unten wählen Sie ein neues Kennwort.
mail-reset-button = Neues Kennwort wählen
mail-reset-expiry = Dieser Link funktioniert nur einmal und läuft in 1 Stunde ab.
mail-reset-ignore = Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Kennwort bleibt unverändert.

## Read receipt (to the sender)
mail-receipt-subject = { $reader } hat Ihre sichere Nachricht geöffnet
mail-receipt-heading = Ihre sichere Nachricht wurde geöffnet
mail-receipt-body = { $reader } hat die sichere Nachricht geöffnet, die Sie am { $date } gesendet haben.
mail-receipt-button = Nachricht anzeigen

## Bounce (to the sender)
mail-bounce-subject = Unzustellbar: sichere Nachricht an { $failed }
mail-bounce-heading = Ihre sichere Nachricht konnte nicht angekündigt werden
mail-bounce-body = Die Benachrichtigung über Ihre sichere Nachricht an { $failed } konnte nicht zugestellt werden. Dieser Empfänger weiß daher nichts von der Nachricht.
mail-bounce-reason = Grund
mail-bounce-advice = Prüfen Sie die Adresse und senden Sie die Nachricht erneut, oder informieren Sie den Empfänger auf anderem Weg.

## Two-step verification reset by an administrator (to the user)
mail-two-step-reset-subject = Ihre Zwei-Schritt-Verifizierung bei { $service } wurde zurückgesetzt
mail-two-step-reset-heading = Ihre Zwei-Schritt-Verifizierung wurde zurückgesetzt
mail-two-step-reset-intro = Ein Administrator hat am { $date } die Zwei-Schritt-Verifizierung von { $email } bei { $service } zurückgesetzt. Ihre Authenticator-App, Ihre Passkeys und Ihre Wiederherstellungscodes gelten für diese Anmeldung nicht mehr: Sie melden sich nun allein mit Ihrem Kennwort an, bis Sie die Zwei-Schritt-Verifizierung erneut einrichten.
mail-two-step-reset-button = Meine Sicherheitseinstellungen öffnen
mail-two-step-reset-advice = Wenn Sie das nicht veranlasst haben, informieren Sie sofort Ihren Administrator und wählen Sie mit „Kennwort vergessen?“ auf der Anmeldeseite ein neues Kennwort.

## The user's password was changed (to the user)
mail-password-changed-subject = Ihr Kennwort bei { $service } wurde geändert
mail-password-changed-heading = Ihr Kennwort wurde geändert
mail-password-changed-intro = Das Kennwort von { $email } bei { $service } wurde am { $date } geändert. Alle Sitzungen mit dem alten Kennwort wurden beendet.
mail-password-changed-button = Neues Kennwort wählen
mail-password-changed-advice = Wenn Sie es nicht geändert haben, kennt möglicherweise jemand anderes Ihr Kennwort: Wählen Sie sofort mit der Schaltfläche oben ein neues und informieren Sie Ihren Administrator.

## The user turned two-step verification off (to the user)
mail-two-step-off-subject = Die Zwei-Schritt-Verifizierung Ihrer Anmeldung bei { $service } wurde ausgeschaltet
mail-two-step-off-heading = Die Zwei-Schritt-Verifizierung wurde ausgeschaltet
mail-two-step-off-intro = Die Zwei-Schritt-Verifizierung per Authenticator-App wurde am { $date } für { $email } bei { $service } mit dem Kennwort dieser Anmeldung ausgeschaltet. Codes aus der App werden nicht mehr verlangt.
mail-two-step-off-button = Meine Sicherheitseinstellungen öffnen
mail-two-step-off-advice = Wenn Sie sie nicht ausgeschaltet haben, kennt jemand anderes Ihr Kennwort: Wählen Sie sofort mit „Kennwort vergessen?“ auf der Anmeldeseite ein neues, schalten Sie die Zwei-Schritt-Verifizierung wieder ein und informieren Sie Ihren Administrator.

## A passkey was added to the user's login (to the user)
mail-passkey-added-subject = Ihrer Anmeldung bei { $service } wurde ein Passkey hinzugefügt
mail-passkey-added-heading = Ein Passkey wurde hinzugefügt
mail-passkey-added-intro = Der Anmeldung von { $email } bei { $service } wurde am { $date } ein Passkey namens „{ $name }“ hinzugefügt. Er bestätigt die Anmeldung anstelle eines Codes aus einer Authenticator-App.
mail-passkey-added-button = Meine Sicherheitseinstellungen öffnen
mail-passkey-added-advice = Wenn Sie ihn nicht hinzugefügt haben, kann sich jemand anderes als Sie anmelden: Entfernen Sie den Passkey auf der Seite Ihrer Sicherheitseinstellungen, wählen Sie mit „Kennwort vergessen?“ auf der Anmeldeseite ein neues Kennwort und informieren Sie Ihren Administrator.

## One of the user's recovery codes logged them in (to the user)
mail-recovery-code-used-subject = Bei { $service } wurde ein Wiederherstellungscode zur Anmeldung verwendet
mail-recovery-code-used-heading = Ein Wiederherstellungscode wurde verwendet
mail-recovery-code-used-intro = Einer der Wiederherstellungscodes von { $email } bei { $service } wurde am { $date } anstelle der Authenticator-App oder eines Passkeys zur Anmeldung verwendet. Dieser Code gilt nicht mehr; neue Codes erstellen Sie auf der Seite Ihrer Sicherheitseinstellungen.
mail-recovery-code-used-button = Meine Sicherheitseinstellungen öffnen
mail-recovery-code-used-advice = Wenn Sie ihn nicht verwendet haben, kennt jemand anderes Ihr Kennwort und einen Ihrer Codes: Wählen Sie sofort mit „Kennwort vergessen?“ auf der Anmeldeseite ein neues Kennwort, erstellen Sie neue Wiederherstellungscodes und informieren Sie Ihren Administrator.

## Proving a mailbox: an existing user's own request, in the browser that asked.
mail-proof-subject = Bestätigen Sie, dass { $email } Ihnen gehört
mail-proof-heading = Bestätigen Sie Ihre E-Mail-Adresse
mail-proof-intro = Jemand hat sich bei { $service } als { $email } angemeldet und möchte die sicheren Nachrichten an diese Adresse lesen. Bevor sie sich öffnen, müssen wir wissen, dass das Postfach der angemeldeten Person gehört. Wenn Sie das waren, verwenden Sie die Schaltfläche unten im selben Browser.
mail-proof-button = Ja, dieses Postfach gehört mir
mail-proof-expiry = Dieser Link funktioniert nur einmal, nur in dem Browser, der ihn angefordert hat, und läuft in 1 Stunde ab.
mail-proof-ignore = Wenn Sie das nicht angefordert haben, ist möglicherweise jemand anderes mit Ihrer Adresse angemeldet: Verwenden Sie den Link nicht und wählen Sie auf der Anmeldeseite mit „Kennwort vergessen?“ ein neues Kennwort. Damit endet dessen Sitzung.

## Someone tried to register an address that already has an account.
mail-known-subject = Ihr Konto bei { $service }
mail-known-heading = Sie haben bereits ein Konto
mail-known-intro = Jemand, vielleicht Sie, wollte { $email } bei { $service } registrieren. Für diese Adresse besteht bereits ein Konto, daher wurde nichts geändert. Wenn Sie Ihr Kennwort vergessen haben, wählen Sie über die Schaltfläche unten ein neues.
mail-known-button = Neues Kennwort wählen
mail-known-expiry = Dieser Link funktioniert nur einmal und läuft in 1 Stunde ab.
mail-known-ignore = Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Konto bleibt unverändert.

## An account's new sending address confirms by a link sent to it.
mail-sender-subject = Bestätigen Sie { $email } als Absenderadresse von { $account }
mail-sender-heading = Absenderadresse bestätigen
mail-sender-intro = Ein Administrator von { $account } bei { $service } möchte Benachrichtigungen über sichere Nachrichten von { $email } senden. Von dieser Adresse wird nichts versendet, bevor Sie bestätigen, dass sie verwendet werden darf.
mail-sender-button = Absenderadresse bestätigen
mail-sender-expiry = Dieser Link funktioniert nur einmal und läuft in 48 Stunden ab.
mail-sender-ignore = Wenn Sie das nicht erwarten, ignorieren Sie diese E-Mail: Von dieser Adresse wird keine Benachrichtigung versendet.
