# accounts : renommer, suspendre, supprimer des comptes ; la liste des comptes ; les domaines d'expéditeur autorisés.

accounts-state = État
accounts-state-active = Actif
accounts-state-suspended = Suspendu
accounts-state-suspended-since = Suspendu depuis le { $date } : aucun nouveau message ne peut être envoyé ; les destinataires ouvrent toujours ce qu'ils ont reçu.
details-rename = Nom du compte
details-rename-button = Renommer
details-manage = Suspendre ou supprimer
details-suspend = Suspendre le compte
details-suspend-hint = Un compte suspendu ne peut plus envoyer de nouveaux messages sécurisés (portail, réponses, passerelle). Ses destinataires peuvent toujours ouvrir les messages reçus.
details-resume = Réactiver le compte
details-resume-hint = Le compte est suspendu. Une fois réactivé, ses membres peuvent de nouveau envoyer des messages sécurisés.
details-delete = Supprimer le compte…
delete-account-title = Supprimer le compte
delete-account-warning = La suppression du compte { $number } détruit les clés de tous ses messages, de sorte qu'aucun destinataire ne pourra plus jamais les ouvrir, efface leurs contenus stockés et retire ses groupes, adhésions, paramètres et jetons. Son journal est conservé. Cette action est irréversible.
delete-account-confirm = Saisissez le numéro du compte pour confirmer
delete-account-button = Supprimer définitivement le compte
delete-account-cancel = Annuler et revenir au compte
audit-account-deleted = Ce compte a été supprimé le { $date }. Seul son journal subsiste.
error-account-suspended = Ce compte est suspendu : aucun nouveau message sécurisé ne peut en être envoyé pour le moment.
error-account-number-mismatch = Ce n'est pas le numéro de ce compte. Saisissez le numéro affiché ci-dessus pour supprimer le compte.
flash-account-renamed = Le compte s'appelle désormais { $name }.
flash-account-suspended = Le compte { $number } est suspendu : il n'envoie plus de nouveaux messages.
flash-account-resumed = Le compte { $number } peut de nouveau envoyer des messages.
flash-account-deleted = Le compte { $number } a été supprimé. Les opérateurs peuvent toujours consulter son journal.
audit-action-account-renamed = Compte renommé
audit-action-account-suspended = Compte suspendu
audit-action-account-resumed = Compte réactivé
audit-action-account-deleted = Compte supprimé
accounts-list-heading = Tous les comptes
accounts-search = Nom ou numéro de compte
accounts-search-button = Rechercher
accounts-none-found = Aucun compte ne correspond à « { $search } ».
accounts-showing = { $total ->
    [0] Aucun compte.
    [one] Le seul compte est affiché.
   *[other] Comptes { $first } à { $last } sur { $total } affichés.
}
accounts-pages = Pages de la liste des comptes
accounts-previous = Page précédente
accounts-next = Page suivante
details-sender-domains = Domaines d'expéditeur autorisés
details-sender-domains-hint = Un domaine par ligne. Les membres du compte envoient toujours par la passerelle SMTP ; une adresse de l'un de ces domaines qui n'est pas encore membre peut aussi envoyer, et devient membre sans mot de passe (« Mot de passe oublié ? » lui permet d'en choisir un). « *.example.com » autorise tous les sous-domaines d'example.com (ajoutez aussi example.com pour le domaine lui-même). Laissez vide pour que seuls les membres envoient.
error-sender-domain-malformed = Chaque entrée doit être un nom de domaine comme example.com, ou *.example.com pour ses sous-domaines.
error-too-many-sender-domains = Un compte peut indiquer au plus 100 domaines d'expéditeur.
flash-sender-domains-set = Les domaines d'expéditeur autorisés ont été enregistrés.
audit-action-account-sender-domains-set = Domaines d'expéditeur autorisés modifiés
