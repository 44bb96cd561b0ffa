## Navigation and frame
nav-label = Navigation principale
nav-accounts = Comptes
nav-users = Utilisateurs
nav-logout = Se déconnecter
language-switch = Langue

## Error pages
error-request-id = Identifiant de la requête :
error-home = Aller à la page d'accueil
error-not-found-title = Page introuvable
error-not-found-body = Cette page n'existe pas, ou vous n'y avez pas accès.
error-forbidden-title = Accès refusé
error-forbidden-body = Votre utilisateur n'administre aucun compte. Demandez l'accès à un administrateur de compte ou au support technique.
error-conflict-title = Modifié entre-temps
error-conflict-body = Ceci a été modifié ou créé entre-temps, peut-être dans une autre fenêtre. Rechargez la page et réessayez.
error-unprocessable-title = Impossible d'effectuer cette action
error-unauthenticated-title = Veuillez vous connecter
error-unauthenticated-body = Vous devez être connecté pour cela.
error-too-many-title = Trop de tentatives
error-too-many-body = Il y a eu trop de tentatives en peu de temps. Veuillez patienter un instant et réessayer.
error-csrf-title = Ce formulaire a expiré
error-csrf-body = Pour votre sécurité, le formulaire n'a pas pu être accepté. Revenez en arrière, rechargez la page et réessayez.
error-internal-title = Une erreur s'est produite
error-internal-body = Le service n'a pas pu traiter votre demande. Rien n'a été modifié. Veuillez réessayer ; si le problème persiste, communiquez l'identifiant ci-dessous à votre administrateur.

## Logging in
login-title-admin = Connexion à l'administration
login-title-portal = Se connecter à Sealpost
login-email = Adresse e-mail
login-password = Mot de passe
login-submit = Se connecter
login-invalid = L'adresse e-mail ou le mot de passe est incorrect.
login-throttled = { $seconds ->
    [one] Trop de tentatives infructueuses. Veuillez patienter 1 seconde avant de réessayer.
   *[other] Trop de tentatives infructueuses. Veuillez patienter { $seconds } secondes avant de réessayer.
}
login-forgot = Mot de passe oublié ?

## Passwords
password-title = Changer le mot de passe
password-title-forced = Définir un nouveau mot de passe
password-forced-intro = Votre mot de passe a été défini par un administrateur et a expiré. Choisissez votre propre mot de passe permanent pour continuer.
password-current = Mot de passe actuel
password-new = Nouveau mot de passe
password-confirm = Confirmation du mot de passe
password-policy = Au moins 10 caractères. Pas de mot de passe courant, ni votre adresse e-mail ni sa partie avant le @ (pour alice@example.com : alice).
password-submit = Enregistrer le mot de passe

## Accounts
accounts-title = Comptes
accounts-empty = Aucun compte à afficher.
accounts-number = Numéro de compte
accounts-name = Nom
accounts-created = Créé le
accounts-add-heading = Nouveau compte
accounts-first-admin = Premier administrateur (adresse e-mail d'un utilisateur existant)
accounts-add = Créer le compte
account-heading = Compte { $number }
account-tabs = Sections du compte
tab-details = Détails
tab-groups = Groupes
details-administrators = Administrateurs
details-no-administrators = Ce compte n'a pas encore d'administrateur.

details-sending-address = Adresse d'expédition
details-sending-address-default = Non définie : les notifications viennent de { $address } avec le nom du compte.
details-sending-address-hint = L'adresse d'où viennent les notifications aux destinataires. Laissez vide pour utiliser l'expéditeur du service. Votre serveur de messagerie doit être autorisé à envoyer pour elle (SPF, DKIM).
flash-sending-address-set = L'adresse d'expédition a été enregistrée.
details-delivery-mode = Mode de remise
details-delivery-mode-default = Valeur par défaut du service : { $mode }
delivery-mode-stored = Conservé et joint
delivery-mode-stored-hint = Le message chiffré est conservé sur ce service et voyage aussi dans l'enveloppe : les destinataires l'ouvrent depuis l'enveloppe ou par le lien.
delivery-mode-envelope = Enveloppe seule
delivery-mode-envelope-hint = Le message chiffré voyage uniquement dans l'enveloppe ; ce service n'en garde que la clé. Les destinataires ont besoin de l'enveloppe pour le lire.
delivery-mode-link = Lien seul
delivery-mode-link-hint = La notification contient un lien et aucune enveloppe ; le message chiffré reste sur ce service.
flash-delivery-mode-set = Le mode de remise a été enregistré.

tab-audit = Journal
audit-intro = Les dernières modifications et les accès aux messages de ce compte : qui, quoi, quand et d'où.
audit-col-when = Quand
audit-col-who = Qui
audit-col-what = Quoi
audit-col-target = Cible
audit-col-from = Depuis
audit-refused = refusé
audit-empty = Rien ne s'est encore passé dans ce compte.
audit-system = (service)
audit-action-account-created = Compte créé
audit-action-account-delivery-mode-set = Mode de remise modifié
audit-action-account-key-rotated = Clé du compte renouvelée
audit-action-account-sending-address-set = Adresse d'expédition modifiée
audit-action-group-created = Groupe ajouté
audit-action-group-deleted = Groupe supprimé
audit-action-group-member-added = Membre ajouté
audit-action-group-member-removed = Membre retiré
audit-action-message-expiry-set = Expiration du message modifiée
audit-action-message-forwarded = Message transféré
audit-action-message-key-destroyed = Clé du message détruite
audit-action-message-locked = Message verrouillé
audit-action-message-opened = Message ouvert
audit-action-message-replied = Réponse envoyée
audit-action-message-sent = Message envoyé
audit-action-message-unlocked = Message déverrouillé

## Groups
group-account-administrators = Administrateurs de compte
groups-name-field = Nom du groupe
groups-add = Ajouter un groupe
groups-col-name = Nom
groups-col-actions = Actions
groups-member-count = { $count ->
    [one] 1 membre
   *[other] { $count } membres
}
groups-action-members = Membres du groupe { $group }
groups-action-delete = Supprimer le groupe { $group }
groups-showing = { $count } groupe(s) affiché(s).
groups-back = Retour à la liste des comptes

## Members
members-user-id = ID utilisateur
members-add = Ajouter au groupe
members-empty = Ce groupe n'a pas encore de membres.
members-col-name = Nom
members-col-added = Ajouté le
members-remove = Retirer { $email } du groupe
members-back = Retour aux groupes
pager-next = Page suivante

## Users
users-title = Utilisateurs
users-add = Ajouter un utilisateur
users-search = Rechercher par adresse e-mail
users-search-submit = Rechercher
users-empty = Aucun utilisateur ne correspond.
users-username = Nom d'utilisateur
users-status = Statut
users-first-name = Prénom
users-last-name = Nom de famille
users-password = Mot de passe
users-confirm-password = Confirmation du mot de passe
users-force-expiration = Imposer l'expiration du mot de passe
users-save = Enregistrer
form-cancel = Annuler
status-active = Actif
status-pending = Pas encore inscrit
status-locked = Verrouillé

## Portal
portal-title = Mon Sealpost
portal-welcome = Bienvenue, { $name }
portal-language = Langue
portal-language-browser = Comme dans mon navigateur
portal-accounts = Mes comptes
portal-no-accounts = Vous n'êtes encore membre d'aucun compte.
portal-to-admin = Aller à l'administration
portal-change-password = Changer le mot de passe

## Confirmations
flash-user-added = Utilisateur { $email } ajouté.
flash-member-added = { $email } a été ajouté au groupe { $group }.
flash-member-removed = { $email } a été retiré du groupe { $group }.
flash-group-added = Groupe { $group } ajouté.
flash-group-deleted = Groupe { $group } supprimé.
flash-account-created = Compte { $number } ({ $name }) créé.
flash-password-changed = Votre nouveau mot de passe est enregistré.
flash-logged-out = Vous êtes déconnecté.

## Refusals
error-email-malformed = Saisissez une adresse e-mail valide, par exemple nom@example.com.
error-required = Veuillez remplir ce champ.
error-name-too-long = Les noms peuvent comporter au plus 100 caractères.
error-group-name-too-long = Les noms de groupe peuvent comporter au plus 64 caractères.
error-group-name-reserved = Ce nom est réservé au groupe d'administrateurs intégré.
error-password-too-short = Le mot de passe doit comporter au moins 10 caractères.
error-password-too-long = Le mot de passe peut comporter au plus 128 caractères.
error-password-too-common = Ce mot de passe est trop courant. Choisissez-en un plus difficile à deviner.
error-password-contains-username = Le mot de passe ne doit contenir ni votre adresse e-mail ni sa partie avant le @ (votre nom d'utilisateur).
error-password-mismatch = Les mots de passe ne correspondent pas.
error-password-unchanged = Le nouveau mot de passe doit être différent de l'actuel.
error-current-password-wrong = Le mot de passe actuel est incorrect.
error-non-existent-user = Ne peut pas ajouter un utilisateur inexistant.
error-already-member = Cet utilisateur est déjà membre du groupe.
error-last-administrator = Le dernier administrateur d'un compte ne peut pas être retiré.
error-builtin-group = Le groupe intégré ne peut pas être supprimé.
error-username-taken = Un utilisateur avec ce nom d'utilisateur existe déjà.
error-group-name-taken = Ce compte a déjà un groupe portant ce nom.
error-account-name-too-long = Les noms de compte peuvent comporter au plus 120 caractères.
error-unknown-locale = Cette langue n'est pas disponible.
error-unknown-delivery-mode = Choisissez l'un des modes de remise.
error-control-characters = Ce texte contient des caractères qui ne peuvent pas être utilisés (caractères de contrôle).

## Who may read what: mailbox proof, sending-address confirmation.
details-sending-address-pending = En attente de confirmation : { $address }. Elle s'applique dès que le lien qui lui a été envoyé est utilisé.
flash-sending-address-confirm = Un lien de confirmation a été envoyé à { $email }. L'adresse s'applique dès que ce lien est utilisé.
audit-action-account-sending-address-requested = Confirmation de l'adresse d'expédition envoyée
