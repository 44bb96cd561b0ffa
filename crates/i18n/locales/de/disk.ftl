## Faults of the storage and of stored messages (full disk, lost drafts, damaged payloads)

error-storage-full-title = Speichern ist vorübergehend nicht möglich
error-storage-full-body = Sealpost kann im Moment nichts speichern, weil sein Speicher voll ist. Ihre Aktion wurde nicht ausgeführt, und nichts wurde nur halb gespeichert. Bitte versuchen Sie es in einigen Minuten erneut.
error-kept-attachments-lost = Die zuvor angehängten Dateien sind nicht mehr verfügbar (sie wurden bereits mit einem früheren Formular gesendet, oder es ist zu viel Zeit vergangen). Bitte hängen Sie sie erneut an; es wurde nichts gesendet.
unavailable-damaged-title = Diese Nachricht kann nicht mehr geöffnet werden
unavailable-damaged = Was Sealpost von dieser Nachricht gespeichert hat, ist beschädigt oder fehlt; sie kann daher weder jetzt noch später geöffnet werden. Bitten Sie den Absender, sie erneut zu senden.
