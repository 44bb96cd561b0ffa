# Verbindungen, Umschläge und Formulargrößen.
net-busy = Der Dienst ist ausgelastet. Bitte versuchen Sie es in einigen Sekunden erneut.
envelope-damaged-title = Dieser Umschlag kann nicht geöffnet werden
envelope-damaged = Dieser Umschlag ist beschädigt oder gehört nicht zu dieser Nachricht. Öffnen Sie den Umschlag aus der erhaltenen Benachrichtigung, oder bitten Sie den Absender, die Nachricht erneut zu senden.
