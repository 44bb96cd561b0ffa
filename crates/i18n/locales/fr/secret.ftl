# Aucun mot de passe requis : messages ouverts par le secret de l'enveloppe ou du lien.
secret-open-title = Ouvrir votre message sécurisé
secret-open = Ce lien ouvre un message sécurisé qui vous a été envoyé. Aucune inscription n'est nécessaire.
secret-open-button = Ouvrir
secret-answers-need-login = Vous avez ouvert ce message sans compte. Pour y répondre ou le transférer de façon sécurisée, connectez-vous ou inscrivez-vous avec l'adresse à laquelle il a été envoyé.
secret-refused-title = Cette enveloppe n'ouvre pas ce message
secret-refused = L'enveloppe ou le lien utilisé n'ouvre pas ce message : il a été modifié en route, ou il appartient à un autre message ou à un autre destinataire. Ouvrez l'enveloppe ou le lien tel que vous l'avez reçu.
secret-throttled = Trop de tentatives avec des enveloppes ou des liens qui n'ouvrent pas ce message. Réessayez dans { $seconds } secondes.
audit-action-message-opened-with-secret = Message ouvert avec le secret de son enveloppe ou de son lien
audit-action-message-secret-refused = Enveloppe ou lien refusé : il n'ouvre pas ce message
