# No Password Required: messages opened by the secret in the envelope or link.
secret-open-title = Open your secure message
secret-open = This link opens a secure message sent to you. No registration is needed.
secret-open-button = Open
secret-answers-need-login = You opened this message without an account. To reply or forward it securely, log in or register with the address it was sent to.
secret-refused-title = This envelope does not open this message
secret-refused = The envelope or link you used does not open this message: it was changed on the way, or it belongs to another message or recipient. Open the envelope or link exactly as you received it.
secret-throttled = Too many attempts with envelopes or links that do not open this message. Try again in { $seconds } seconds.
audit-action-message-opened-with-secret = Message opened with the secret of its envelope or link
audit-action-message-secret-refused = Envelope or link refused: it does not open this message
