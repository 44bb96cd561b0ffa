# gateway : les mots de la passerelle SMTP dans l'administration (étiquette d'objet du formulaire de profil, lignes du journal).
profile-subject-tag = Étiquette d'objet (passerelle SMTP)
profile-subject-tag-hint = Facultatif. Le courrier remis à la passerelle SMTP dont l'objet contient ce mot, quelle que soit la casse, par exemple [juridique], est scellé avec ce profil ; le mot est retiré de l'objet. De 2 à 40 caractères, un profil par étiquette. L'en-tête X-Sealpost-Profile portant le nom du profil le choisit aussi.
error-subject-tag-invalid = Écrivez l'étiquette d'objet en 2 à 40 caractères sans saut de ligne, par exemple [juridique].
error-subject-tag-taken = Un autre profil de ce compte a déjà cette étiquette d'objet.
audit-action-gateway-submission = Message remis par la passerelle SMTP
audit-action-gateway-relayed = Message sans étiquette relayé tel quel par la passerelle SMTP
audit-action-gateway-auth = Connexion à la passerelle SMTP
audit-action-user-created-by-gateway = Utilisateur créé par la passerelle SMTP (domaine d'expéditeur autorisé)
