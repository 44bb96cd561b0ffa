# Passkeys (WebAuthn): Liste und Formular der Sicherheitsseite, die Seite, auf der
# der Browser einen erstellt, und der zweite Schritt der Anmeldung mit einem.

passkeys-heading = Passkeys
passkeys-intro = Mit einem Passkey bestätigen Sie Ihre Anmeldung mit der Bildschirmsperre, dem Fingerabdruck oder dem Gesicht Ihres Geräts oder mit einem Sicherheitsschlüssel statt mit einem Code.
passkeys-codes-hint = Wenn Sie Ihre Passkeys verlieren, können Sie sich mit einem Wiederherstellungscode einmal ohne sie anmelden.
passkeys-none = Sie haben noch keinen Passkey.
passkeys-name = Name
passkeys-added-at = Hinzugefügt
passkeys-last-used = Zuletzt verwendet
passkeys-remove = Entfernen
passkeys-remove-named = Den Passkey { $name } entfernen
passkeys-add-name = Name des neuen Passkeys
passkeys-add-hint = Zum Beispiel „Laptop“ oder „Sicherheitsschlüssel“, damit Sie Ihre Passkeys unterscheiden können.
passkeys-add = Passkey hinzufügen
passkeys-unavailable = Passkeys sind hier nicht möglich: Sealpost wird unter { $url } erreicht, einer IP-Adresse, und Browser bieten Passkeys nur für einen Hostnamen an. Der Betreiber kann als öffentliche URL einen Namen eintragen (public_url).
passkeys-bad-name = Geben Sie dem Passkey einen Namen mit höchstens 60 Zeichen.
passkeys-too-many = Sie haben 20 Passkeys, die Höchstzahl für einen Benutzer. Entfernen Sie einen, bevor Sie einen weiteren hinzufügen.
passkeys-register-title = Passkey hinzufügen
passkeys-register-intro = Ihr Browser fordert Sie nun auf, den Passkey „{ $name }“ zu erstellen. Folgen Sie seinen Schritten: Bildschirmsperre, Fingerabdruck, Gesicht oder Sicherheitsschlüssel.
passkeys-register-go = Passkey erstellen
passkeys-back = Zurück zur Sicherheitsseite
passkeys-needs-script = Dieser Schritt braucht JavaScript, das Ihr Browser auf dieser Seite nicht ausführt. Erlauben Sie es für diese Website oder verwenden Sie stattdessen eine Authenticator-App.
passkeys-browser-failed = Ihr Browser hat keinen Passkey geliefert (abgebrochen oder zu lange gedauert). Versuchen Sie es erneut.
passkeys-refused = Der Passkey wurde nicht akzeptiert. Versuchen Sie es erneut.
passkeys-ceremony-expired = Das hat zu lange gedauert oder wurde schon erledigt. Bitte beginnen Sie erneut.
passkey-added = Der Passkey „{ $name }“ wurde hinzugefügt.
passkey-removed = Der Passkey „{ $name }“ wurde entfernt.
passkeys-rename = Umbenennen
passkeys-rename-named = Den Passkey { $name } umbenennen
passkeys-new-name = Neuer Name des Passkeys { $name }
passkey-renamed = Der Passkey heißt jetzt „{ $name }“.
passkeys-login-title = Mit einem Passkey anmelden
passkeys-login-intro = Ihr Browser fragt nun nach Ihrem Passkey.
passkeys-login-go = Meinen Passkey verwenden
passkeys-or-code = Stattdessen einen Code verwenden
passkeys-use-intro = Sie haben einen Passkey: Bestätigen Sie Ihre Anmeldung damit.
passkeys-use = Passkey verwenden
