## Faults of the storage and of stored messages (full disk, lost drafts, damaged payloads)

error-storage-full-title = Temporarily unable to store anything
error-storage-full-body = Sealpost cannot save anything at the moment because its storage is full. What you just did was not carried out and nothing was half-saved. Please try again in a few minutes.
error-kept-attachments-lost = The files you attached earlier are no longer available (they were already sent with an earlier form, or too much time has passed). Please attach them again; nothing was sent.
unavailable-damaged-title = This message can no longer be opened
unavailable-damaged = What Sealpost holds of this message is damaged or missing, so it can no longer be opened, now or later. Please ask the sender to send it again.
