# gateway: die Wörter des SMTP-Gateways auf den Verwaltungsseiten (Betreff-Kennzeichnung im Profilformular, Protokollzeilen).
profile-subject-tag = Betreff-Kennzeichnung (SMTP-Gateway)
profile-subject-tag-hint = Optional. Mail an das SMTP-Gateway, deren Betreff dieses Wort in beliebiger Schreibweise enthält, zum Beispiel [recht], wird mit diesem Profil versiegelt; das Wort wird aus dem Betreff entfernt. 2 bis 40 Zeichen, ein Profil je Kennzeichnung. Auch die Kopfzeile X-Sealpost-Profile mit dem Namen des Profils wählt es.
error-subject-tag-invalid = Schreiben Sie die Betreff-Kennzeichnung mit 2 bis 40 Zeichen ohne Zeilenumbruch, zum Beispiel [recht].
error-subject-tag-taken = Ein anderes Profil dieses Kontos hat bereits diese Betreff-Kennzeichnung.
audit-action-gateway-submission = Nachricht über das SMTP-Gateway eingereicht
audit-action-gateway-relayed = Nachricht ohne Kennzeichnung vom SMTP-Gateway unverändert weitergeleitet
audit-action-gateway-auth = Anmeldung am SMTP-Gateway
audit-action-user-created-by-gateway = Benutzer vom SMTP-Gateway angelegt (zugelassene Absenderdomäne)
