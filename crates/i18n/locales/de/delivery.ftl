# Zustellung der Benachrichtigungen, wie die Verfolgungsseite des Absenders und
# der Reiter „Nachrichten“ eines Kontos sie zeigen.

tracking-delivery-failed = Zustellung fehlgeschlagen: { $reason }
tracking-delivery-failed-short = Zustellung fehlgeschlagen
