# Die eigene Seite (/me): Namen, Sprache, Zeitzone und Kennwort jedes angemeldeten Benutzers.
me-title = Meine Einstellungen
me-link = Meine Einstellungen
me-intro = Sie sind angemeldet als { $email }.
me-security = Sicherheit
me-language = Sprache
me-time-zone = Zeitzone
me-time-zone-common = Häufige Zeitzonen
me-time-zone-hint = Datum und Uhrzeit werden in dieser Zeitzone angezeigt, jetzt zum Beispiel: { $now }.
me-password-legend = Kennwort ändern
me-password-hint = Lassen Sie diese Felder leer, um Ihr Kennwort zu behalten.
flash-me-saved = Ihre Einstellungen wurden gespeichert.
flash-me-saved-password = Ihre Einstellungen und Ihr neues Kennwort wurden gespeichert.
error-unknown-time-zone = Diese Zeitzone ist unbekannt. Wählen Sie eine aus der Liste.
