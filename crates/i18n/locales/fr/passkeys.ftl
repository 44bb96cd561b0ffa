# Clés d'accès (WebAuthn) : liste et formulaire de la page de sécurité, page où le
# navigateur en crée une, et deuxième étape de la connexion avec l'une d'elles.

passkeys-heading = Clés d'accès
passkeys-intro = Une clé d'accès vous permet de confirmer votre connexion avec le verrouillage d'écran, l'empreinte digitale ou le visage de votre appareil, ou avec une clé de sécurité, au lieu d'un code.
passkeys-codes-hint = Si vous perdez vos clés d'accès, un code de récupération vous permet de vous connecter une fois sans elles.
passkeys-none = Vous n'avez pas encore de clé d'accès.
passkeys-name = Nom
passkeys-added-at = Ajoutée le
passkeys-last-used = Dernière utilisation
passkeys-remove = Supprimer
passkeys-remove-named = Supprimer la clé d'accès { $name }
passkeys-add-name = Nom de la nouvelle clé d'accès
passkeys-add-hint = Par exemple « Portable » ou « Clé de sécurité », pour distinguer vos clés d'accès.
passkeys-add = Ajouter une clé d'accès
passkeys-unavailable = Les clés d'accès ne sont pas possibles ici : Sealpost est joint à l'adresse { $url }, une adresse IP, et les navigateurs ne proposent de clés d'accès que pour un nom d'hôte. L'exploitant peut donner un nom comme URL publique (public_url).
passkeys-bad-name = Donnez à la clé d'accès un nom de 60 caractères au plus.
passkeys-too-many = Vous avez 20 clés d'accès, le maximum pour un utilisateur. Supprimez-en une avant d'en ajouter une autre.
passkeys-register-title = Ajouter une clé d'accès
passkeys-register-intro = Votre navigateur va vous demander de créer la clé d'accès « { $name } ». Suivez ses étapes : verrouillage d'écran, empreinte digitale, visage ou clé de sécurité.
passkeys-register-go = Créer la clé d'accès
passkeys-back = Retour à la page de sécurité
passkeys-needs-script = Cette étape a besoin de JavaScript, que votre navigateur n'exécute pas sur cette page. Autorisez-le pour ce site, ou utilisez plutôt une application d'authentification.
passkeys-browser-failed = Votre navigateur n'a pas fourni de clé d'accès (annulé ou trop long). Réessayez.
passkeys-refused = La clé d'accès n'a pas été acceptée. Réessayez.
passkeys-ceremony-expired = Cela a pris trop de temps ou a déjà été fait. Veuillez recommencer.
passkey-added = La clé d'accès « { $name } » a été ajoutée.
passkey-removed = La clé d'accès « { $name } » a été supprimée.
passkeys-rename = Renommer
passkeys-rename-named = Renommer la clé d'accès { $name }
passkeys-new-name = Nouveau nom de la clé d'accès { $name }
passkey-renamed = La clé d'accès s'appelle désormais « { $name } ».
passkeys-login-title = Se connecter avec une clé d'accès
passkeys-login-intro = Votre navigateur va vous demander votre clé d'accès.
passkeys-login-go = Utiliser ma clé d'accès
passkeys-or-code = Utiliser plutôt un code
passkeys-use-intro = Vous avez une clé d'accès : utilisez-la pour confirmer votre connexion.
passkeys-use = Utiliser une clé d'accès
