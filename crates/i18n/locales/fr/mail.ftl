## Emails and the Registered Envelope (see crates/mail)

## Shared by every email
mail-from-name = { $sender } via { $service }
mail-open-online = Ouvrir en ligne
mail-link-fallback = Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur :
mail-label-from = De
mail-label-to = À
mail-label-sent = Envoyé le
mail-footer = Cet e-mail a été envoyé automatiquement par { $service }. Les réponses ne sont pas lues.

## A recipient's notification of a secure message
mail-secure-subject = Message sécurisé envoyé par { $sender }
mail-secure-heading = Vous avez reçu un message sécurisé
mail-secure-intro = { $sender } ({ $email }) vous a envoyé un message sécurisé via { $service }. Le message est chiffré ; il ne figure donc pas dans cet e-mail.
mail-secure-how = Pour le lire, cliquez sur « Ouvrir en ligne ».
mail-secure-attachment = Vous pouvez aussi ouvrir l'enveloppe recommandée jointe ({ $file }) dans votre navigateur et cliquer sur son bouton « Ouvrir en ligne ».
mail-secure-first-time = La première fois, vous vous inscrivez avec votre adresse e-mail et choisissez un mot de passe ; ensuite, vous vous connectez.
mail-secure-footer = Cette notification a été envoyée par { $service } à { $recipient }. Seul le titulaire de cette adresse peut ouvrir le message.

## The Registered Envelope (the attached HTML file)
mail-envelope-title = Enveloppe recommandée
mail-envelope-heading = Message sécurisé envoyé par { $sender }
mail-envelope-explanation = Cette enveloppe recommandée contient un message chiffré destiné à { $recipient }. Pour le lire, cliquez sur « Ouvrir en ligne » et connectez-vous à { $service } ; la première fois, vous vous inscrivez avec cette adresse e-mail.
mail-envelope-privacy = Le message reste chiffré jusqu'à ce que vous l'ouvriez : ce fichier seul ne révèle pas son contenu. L'ouverture nécessite une connexion Internet.
mail-envelope-register-hint = Première visite ?
mail-envelope-register = S'inscrire

## Registration: proving the mailbox
mail-activation-subject = Confirmez votre adresse e-mail pour { $service }
mail-activation-heading = Confirmez votre adresse e-mail
mail-activation-intro = Vous inscrivez { $email } auprès de { $service } pour lire des messages sécurisés. Pour terminer, confirmez que cette adresse vous appartient.
mail-activation-button = Confirmer mon adresse e-mail
mail-activation-expiry = Ce lien ne fonctionne qu'une fois et expire dans 48 heures.
mail-activation-ignore = Si vous ne vous êtes pas inscrit, ignorez cet e-mail : sans confirmation, rien n'est créé.

## Password reset
mail-reset-subject = Réinitialisez votre mot de passe { $service }
mail-reset-heading = Réinitialiser votre mot de passe
mail-reset-intro = Quelqu'un a demandé la réinitialisation du mot de passe de { $email } sur { $service }. Pour choisir un nouveau mot de passe, utilisez le bouton ci-dessous.
mail-reset-button = Choisir un nouveau mot de passe
mail-reset-expiry = Ce lien ne fonctionne qu'une fois et expire dans 1 heure.
mail-reset-ignore = Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : votre mot de passe reste inchangé.

## Read receipt (to the sender)
mail-receipt-subject = { $reader } a ouvert votre message sécurisé
mail-receipt-heading = Votre message sécurisé a été ouvert
mail-receipt-body = { $reader } a ouvert le message sécurisé que vous avez envoyé le { $date }.
mail-receipt-button = Voir le message

## Bounce (to the sender)
mail-bounce-subject = Non distribuable : message sécurisé pour { $failed }
mail-bounce-heading = Votre message sécurisé n'a pas pu être annoncé
mail-bounce-body = La notification de votre message sécurisé à { $failed } n'a pas pu être distribuée ; ce destinataire n'a donc pas été informé du message.
mail-bounce-reason = Motif
mail-bounce-advice = Vérifiez l'adresse et renvoyez le message, ou prévenez le destinataire par un autre moyen.

## Two-step verification reset by an administrator (to the user)
mail-two-step-reset-subject = Votre vérification en deux étapes sur { $service } a été réinitialisée
mail-two-step-reset-heading = Votre vérification en deux étapes a été réinitialisée
mail-two-step-reset-intro = Un administrateur a réinitialisé la vérification en deux étapes de { $email } sur { $service } le { $date }. Votre application d'authentification, vos clés d'accès et vos codes de récupération ne servent plus pour cette connexion : vous vous connectez désormais avec votre seul mot de passe, jusqu'à ce que vous configuriez de nouveau la vérification en deux étapes.
mail-two-step-reset-button = Ouvrir mes paramètres de sécurité
mail-two-step-reset-advice = Si vous n'êtes pas à l'origine de cette demande, prévenez immédiatement votre administrateur et choisissez un nouveau mot de passe avec « Mot de passe oublié ? » sur la page de connexion.

## The user's password was changed (to the user)
mail-password-changed-subject = Votre mot de passe sur { $service } a été modifié
mail-password-changed-heading = Votre mot de passe a été modifié
mail-password-changed-intro = Le mot de passe de { $email } sur { $service } a été modifié le { $date }. Toutes les sessions ouvertes avec l'ancien mot de passe ont pris fin.
mail-password-changed-button = Choisir un nouveau mot de passe
mail-password-changed-advice = Si vous ne l'avez pas modifié, quelqu'un d'autre connaît peut-être votre mot de passe : choisissez-en immédiatement un nouveau avec le bouton ci-dessus et prévenez votre administrateur.

## The user turned two-step verification off (to the user)
mail-two-step-off-subject = La vérification en deux étapes de votre connexion à { $service } a été désactivée
mail-two-step-off-heading = La vérification en deux étapes a été désactivée
mail-two-step-off-intro = La vérification en deux étapes par application d'authentification a été désactivée pour { $email } sur { $service } le { $date }, avec le mot de passe de cette connexion. Les codes de l'application ne sont plus demandés.
mail-two-step-off-button = Ouvrir mes paramètres de sécurité
mail-two-step-off-advice = Si vous ne l'avez pas désactivée, quelqu'un d'autre connaît votre mot de passe : choisissez-en immédiatement un nouveau avec « Mot de passe oublié ? » sur la page de connexion, réactivez la vérification en deux étapes et prévenez votre administrateur.

## A passkey was added to the user's login (to the user)
mail-passkey-added-subject = Une clé d'accès a été ajoutée à votre connexion à { $service }
mail-passkey-added-heading = Une clé d'accès a été ajoutée
mail-passkey-added-intro = Une clé d'accès nommée « { $name } » a été ajoutée à la connexion de { $email } sur { $service } le { $date }. Elle confirme la connexion à la place d'un code d'une application d'authentification.
mail-passkey-added-button = Ouvrir mes paramètres de sécurité
mail-passkey-added-advice = Si vous ne l'avez pas ajoutée, quelqu'un d'autre peut se connecter à votre place : supprimez la clé d'accès sur la page de vos paramètres de sécurité, choisissez un nouveau mot de passe avec « Mot de passe oublié ? » sur la page de connexion et prévenez votre administrateur.

## One of the user's recovery codes logged them in (to the user)
mail-recovery-code-used-subject = Un code de récupération a servi à vous connecter à { $service }
mail-recovery-code-used-heading = Un code de récupération a été utilisé
mail-recovery-code-used-intro = L'un des codes de récupération de { $email } sur { $service } a servi à se connecter le { $date }, à la place de l'application d'authentification ou d'une clé d'accès. Ce code ne fonctionne plus ; vous pouvez créer de nouveaux codes sur la page de vos paramètres de sécurité.
mail-recovery-code-used-button = Ouvrir mes paramètres de sécurité
mail-recovery-code-used-advice = Si vous ne l'avez pas utilisé, quelqu'un d'autre connaît votre mot de passe et l'un de vos codes : choisissez immédiatement un nouveau mot de passe avec « Mot de passe oublié ? » sur la page de connexion, créez de nouveaux codes de récupération et prévenez votre administrateur.

## Proving a mailbox: an existing user's own request, in the browser that asked.
mail-proof-subject = Confirmez que { $email } vous appartient
mail-proof-heading = Confirmez votre adresse e-mail
mail-proof-intro = Quelqu'un s'est connecté à { $service } en tant que { $email } et demande à lire les messages sécurisés envoyés à cette adresse. Avant qu'ils ne s'ouvrent, nous devons savoir que la boîte aux lettres appartient à la personne connectée. Si c'était vous, utilisez le bouton ci-dessous dans le même navigateur.
mail-proof-button = Oui, cette boîte aux lettres est la mienne
mail-proof-expiry = Ce lien ne fonctionne qu'une fois, uniquement dans le navigateur qui l'a demandé, et expire dans 1 heure.
mail-proof-ignore = Si vous n'êtes pas à l'origine de cette demande, quelqu'un d'autre est peut-être connecté avec votre adresse : n'utilisez pas le lien et choisissez un nouveau mot de passe avec « Mot de passe oublié ? » sur la page de connexion. Sa session prendra fin.

## Someone tried to register an address that already has an account.
mail-known-subject = Votre compte { $service }
mail-known-heading = Vous avez déjà un compte
mail-known-intro = Quelqu'un, peut-être vous, a demandé à inscrire { $email } sur { $service }. Cette adresse a déjà un compte, rien n'a donc été modifié. Si vous avez oublié votre mot de passe, choisissez-en un nouveau avec le bouton ci-dessous.
mail-known-button = Choisir un nouveau mot de passe
mail-known-expiry = Ce lien ne fonctionne qu'une fois et expire dans 1 heure.
mail-known-ignore = Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : votre compte reste inchangé.

## An account's new sending address confirms by a link sent to it.
mail-sender-subject = Confirmez { $email } comme adresse d'expédition de { $account }
mail-sender-heading = Confirmer cette adresse d'expédition
mail-sender-intro = Un administrateur de { $account } sur { $service } souhaite envoyer les notifications de messages sécurisés depuis { $email }. Aucun e-mail ne part de cette adresse tant que vous n'avez pas confirmé qu'elle peut être utilisée.
mail-sender-button = Confirmer cette adresse d'expédition
mail-sender-expiry = Ce lien ne fonctionne qu'une fois et expire dans 48 heures.
mail-sender-ignore = Si vous ne vous attendez pas à ce message, ignorez-le : aucune notification ne sera envoyée depuis cette adresse.
