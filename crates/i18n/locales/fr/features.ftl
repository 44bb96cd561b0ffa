# L'onglet Fonctionnalités : les interrupteurs du compte.
tab-features = Fonctionnalités
features-intro = Décochez ce que les personnes et les destinataires de ce compte ne peuvent pas faire. Une fonction désactivée est refusée partout où elle est demandée, pas seulement masquée.
feature-secure_compose = Rédaction sécurisée
feature-secure_compose-hint = Les membres rédigent de nouveaux messages sécurisés dans le portail.
feature-secure_reply = Réponse sécurisée
feature-secure_reply-hint = Les destinataires répondent à l'expéditeur d'un message.
feature-secure_reply_all = Réponse sécurisée à tous
feature-secure_reply_all-hint = Les destinataires répondent à l'expéditeur et à tous les autres destinataires.
feature-secure_forward = Transfert sécurisé
feature-secure_forward-hint = Les destinataires transfèrent un message, avec ses pièces jointes, à d'autres personnes.
feature-read_receipts = Accusés de lecture
feature-read_receipts-hint = Les expéditeurs apprennent quand un destinataire ouvre leur message pour la première fois.
flash-features-saved = Les fonctionnalités ont été enregistrées.
error-feature-switched-off = Votre organisation a désactivé cette fonction pour ses messages sécurisés.
feature-remember_devices = Mémorisation des appareils
feature-remember_devices-hint = Niveau « Moyen » : les destinataires peuvent cocher « Se souvenir de moi sur cet appareil » et y ouvrir ensuite les messages sans mot de passe. Désactivée, aucun appareil n'est mémorisé et ceux mémorisés auparavant n'ouvrent plus rien.
