# Der Reiter Funktionen: die Schalter des Kontos.
tab-features = Funktionen
features-intro = Entfernen Sie den Haken bei allem, was die Personen und Empfänger dieses Kontos nicht tun dürfen. Eine ausgeschaltete Funktion wird überall abgelehnt, wo sie verlangt wird, nicht nur ausgeblendet.
feature-secure_compose = Sicheres Verfassen
feature-secure_compose-hint = Mitglieder schreiben im Portal neue sichere Nachrichten.
feature-secure_reply = Sichere Antwort
feature-secure_reply-hint = Empfänger antworten dem Absender einer Nachricht.
feature-secure_reply_all = Sichere Antwort an alle
feature-secure_reply_all-hint = Empfänger antworten dem Absender und allen anderen Empfängern.
feature-secure_forward = Sichere Weiterleitung
feature-secure_forward-hint = Empfänger leiten eine Nachricht mit ihren Anhängen an andere weiter.
feature-read_receipts = Lesebestätigungen
feature-read_receipts-hint = Absender erfahren, wann ein Empfänger ihre Nachricht zum ersten Mal öffnet.
flash-features-saved = Die Funktionen wurden gespeichert.
error-feature-switched-off = Ihre Organisation hat diese Funktion für ihre sicheren Nachrichten ausgeschaltet.
feature-remember_devices = Geräte merken
feature-remember_devices-hint = Stufe „Mittel“: Empfänger können „Auf diesem Gerät merken“ ankreuzen und spätere Nachrichten dort ohne Kennwort öffnen. Ausgeschaltet wird kein Gerät gemerkt, und früher gemerkte Geräte öffnen nichts.
