# Kein Kennwort erforderlich: Nachrichten, die das Geheimnis im Umschlag oder Link öffnet.
secret-open-title = Ihre sichere Nachricht öffnen
secret-open = Dieser Link öffnet eine sichere Nachricht an Sie. Eine Registrierung ist nicht nötig.
secret-open-button = Öffnen
secret-answers-need-login = Sie haben diese Nachricht ohne Benutzerkonto geöffnet. Um sicher zu antworten oder sie weiterzuleiten, melden Sie sich mit der Adresse an, an die sie ging, oder registrieren Sie sich.
secret-refused-title = Dieser Umschlag öffnet diese Nachricht nicht
secret-refused = Der verwendete Umschlag oder Link öffnet diese Nachricht nicht: Er wurde unterwegs verändert oder gehört zu einer anderen Nachricht oder einem anderen Empfänger. Öffnen Sie den Umschlag oder Link genau so, wie Sie ihn erhalten haben.
secret-throttled = Zu viele Versuche mit Umschlägen oder Links, die diese Nachricht nicht öffnen. Versuchen Sie es in { $seconds } Sekunden erneut.
audit-action-message-opened-with-secret = Nachricht mit dem Geheimnis ihres Umschlags oder Links geöffnet
audit-action-message-secret-refused = Umschlag oder Link abgewiesen: Er öffnet diese Nachricht nicht
