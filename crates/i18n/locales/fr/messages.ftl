## Composing, opening and managing secure messages

nav-compose = Rédiger un message
nav-inbox = Boîte de réception
nav-sent = Envoyés
nav-portal = Mon Sealpost
tab-messages = Messages
account-messages-intro = Messages envoyés depuis ce compte : qui les a envoyés, à qui, et qui les a ouverts. Leur contenu reste réservé aux expéditeurs et aux destinataires.
tracking-manage = Gérer

compose-account = Envoyer depuis le compte
compose-to = À
compose-cc = Cc
compose-addresses-hint = Séparez plusieurs adresses par des virgules.
compose-subject = Objet
compose-message = Message
compose-format = Format
compose-format-text = Texte brut
compose-format-html = HTML (affiché nettoyé, sans scripts ni images externes)
message-body-frame = Texte du message
compose-attachments = Pièces jointes
compose-attachments-hint = Jusqu'à { $size } Mo au total. Si le formulaire est refusé, les fichiers déjà envoyés restent joints.
compose-kept = Déjà joints
compose-kept-hint = Ces fichiers ont été envoyés avec le formulaire et restent joints. Décochez-en un pour l'omettre ; choisissez d'autres fichiers ci-dessous.
compose-options = Options
compose-allow-reply = Autoriser la réponse
compose-allow-reply-all = Autoriser la réponse à tous
compose-allow-forward = Autoriser le transfert
compose-read-receipt = Demander un accusé de lecture
compose-expires = Date d'expiration
compose-send = Envoyer

mailbox-empty = Il n'y a encore aucun message ici.
message-from = De
message-sent = Envoyé le
message-no-subject = (sans objet)
message-destroyed = (expiré)
message-reply = Répondre
message-reply-all = Répondre à tous
message-forward = Transférer
message-track = Destinataires et contrôle
status-destroyed = Expiré, clé détruite
status-message-locked = Verrouillé
status-message-active = Actif
status-expires = Expire le { $date }

tracking-title = Message envoyé
tracking-recipients = Destinataires
tracking-recipient = Destinataire
tracking-opened = Ouvert le
tracking-not-opened = Pas encore ouvert
tracking-control = Contrôle
tracking-lock-reason = Motif affiché aux destinataires
tracking-unlock = Déverrouiller
tracking-set-expiry = Définir l'expiration
tracking-expiry-hint = Laissez vide pour supprimer l'expiration.

unavailable-reason = Motif :
unavailable-contact = Des questions sur ce message ? Contactez l'expéditeur : { $sender }.
unavailable-locked-title = Ce message est verrouillé
unavailable-locked = L'expéditeur a verrouillé ce message. Il ne peut pas être ouvert.
unavailable-expired-title = Ce message a expiré
unavailable-expired = Ce message a expiré le { $date } et ne peut plus être ouvert.
unavailable-envelope-title = Ouvrez l'enveloppe pour lire ce message
unavailable-envelope = Ce message n'existe que dans la Registered Envelope reçue par e-mail. Ouvrez la pièce jointe et cliquez à nouveau sur Ouvrir en ligne.

envelope-continue-title = Ouvrir votre message sécurisé
envelope-continue = Votre navigateur a ouvert l'enveloppe depuis un fichier. Continuez pour ouvrir le message ici.
envelope-continue-button = Continuer

register-title = S'inscrire
register-intro = Vous avez reçu un message sécurisé à l'adresse { $email }. Inscrivez-vous une fois pour l'ouvrir, ainsi que les messages à venir.
register-submit = S'inscrire
register-check-title = Consultez votre boîte aux lettres
register-check = Si { $email } peut s'inscrire ici, un lien de confirmation est en route ; il ne fonctionne qu'une fois et pendant 48 heures. Si l'adresse a déjà un compte, l'e-mail vous l'indique.
register-check-hint = Une fois l'adresse confirmée, vous êtes connecté et le message s'ouvre.
activate-title = Confirmez votre adresse e-mail
activate-intro = Cliquez sur le bouton pour confirmer votre adresse et terminer l'inscription.
activate-submit = Confirmer et continuer
link-invalid-title = Ce lien ne fonctionne plus
activate-invalid-hint = Si vous avez déjà confirmé votre adresse, connectez-vous.

forgot-title = Réinitialiser le mot de passe
forgot-intro = Saisissez votre adresse e-mail ; nous vous enverrons un lien pour choisir un nouveau mot de passe.
forgot-submit = Envoyer le lien
forgot-sent-title = Consultez votre boîte aux lettres
forgot-sent = Si { $email } correspond à un utilisateur Sealpost, un lien de réinitialisation est en route. Il fonctionne une seule fois, pendant une heure.
reset-title = Choisir un nouveau mot de passe

flash-message-sent = Votre message sécurisé a été envoyé.
flash-message-locked = Le message est verrouillé.
flash-message-unlocked = Le message est déverrouillé.
flash-message-expiry = L'expiration a été modifiée.

error-no-recipients = Indiquez au moins un destinataire.
error-recipient-malformed = L'une des adresses n'est pas une adresse e-mail valide. Séparez les adresses par des virgules.
error-too-many-recipients = Un message peut avoir au plus 100 destinataires.
error-subject-too-long = L'objet peut comporter au plus 255 caractères, sur une seule ligne.
error-body-too-long = Le message est trop long (1 Mo de texte au plus).
error-attachments-too-large = Les pièces jointes sont trop volumineuses pour un seul message.
error-expiry-malformed = Saisissez la date d'expiration au format AAAA-MM-JJ.
error-expiry-in-past = La date d'expiration doit être dans le futur.
error-not-a-member = Vous n'êtes membre d'aucun compte et ne pouvez donc pas envoyer de messages sécurisés. Demandez à un administrateur de compte de vous ajouter à un groupe.
error-not-allowed-by-message = L'expéditeur de ce message ne l'autorise pas.
error-lock-reason-required = Indiquez un motif : les destinataires le verront.
error-lock-reason-too-long = Le motif peut comporter au plus 500 caractères.
error-link-invalid = Ce lien n'est pas valide, a déjà été utilisé ou a expiré.

## Who may read what: mailbox proof, sending-address confirmation.
register-have-account = Déjà inscrit ? Connectez-vous
proof-title = Confirmez votre adresse e-mail
proof-needed = Les messages envoyés à { $email } s'ouvrent dès que vous avez confirmé que cette boîte aux lettres est la vôtre.
proof-why = Être connecté ne suffit pas : un administrateur a pu créer cet utilisateur et choisir son mot de passe. Nous allons envoyer un lien à { $email } ; utilisez-le dans ce navigateur.
proof-send = M'envoyer le lien
proof-sent-title = Consultez votre boîte aux lettres
proof-sent = Nous avons envoyé un lien à { $email }. Ouvrez-le dans ce navigateur ; il ne fonctionne qu'une fois et pendant une heure.
proof-sent-hint = Après confirmation, le message s'ouvre.
proof-limited = Plusieurs liens ont déjà été envoyés à { $email } au cours de la dernière heure. Utilisez le plus récent ou réessayez dans une heure.
proof-confirm-intro = Cliquez sur le bouton pour confirmer que cette boîte aux lettres est la vôtre.
proof-confirm = Confirmer et continuer
proof-other-title = Ouvrez ce lien là où vous l'avez demandé
proof-other = Ce lien ne fonctionne que dans le navigateur qui l'a demandé, tant que vous y êtes connecté. Rien n'a été confirmé.
proof-other-hint = Si vous ne l'avez pas demandé, quelqu'un d'autre est peut-être connecté avec votre adresse : choisissez un nouveau mot de passe. Toutes les autres sessions prendront fin et vous seul le connaîtrez.
sender-confirm-title = Confirmer l'adresse d'expédition
sender-confirm-intro = Cliquez sur le bouton pour autoriser l'envoi des notifications de messages sécurisés depuis cette adresse.
sender-confirm = Confirmer cette adresse d'expédition
sender-confirmed-title = Adresse d'expédition confirmée
sender-confirmed = Les notifications sont désormais envoyées depuis { $email }.
sender-invalid-hint = Un administrateur du compte peut envoyer un nouveau lien depuis l'onglet Détails.

## Replies and forwards by outside recipients.
error-too-many-forward-recipients = Vous pouvez transférer ce message à 5 adresses au plus.
error-too-many-answers = Vous avez envoyé de nombreuses réponses et transferts au cours de la dernière heure. Veuillez réessayer plus tard.
error-forward-adds-no-attachments = Un transfert contient le message d'origine et ses pièces jointes. Vous pouvez ajouter une note, mais aucun fichier.
compose-forward-note = Le message d'origine et ses pièces jointes sont transférés avec votre note ci-dessous.
