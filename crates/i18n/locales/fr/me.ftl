# La page personnelle (/me) : nom, langue, fuseau horaire et mot de passe de chaque utilisateur connecté.
me-title = Mes paramètres
me-link = Mes paramètres
me-intro = Vous êtes connecté en tant que { $email }.
me-security = Sécurité
me-language = Langue
me-time-zone = Fuseau horaire
me-time-zone-common = Fuseaux horaires courants
me-time-zone-hint = Les dates et heures sont affichées dans ce fuseau horaire, par exemple maintenant : { $now }.
me-password-legend = Changer le mot de passe
me-password-hint = Laissez ces champs vides pour conserver votre mot de passe.
flash-me-saved = Vos paramètres ont été enregistrés.
flash-me-saved-password = Vos paramètres et votre nouveau mot de passe ont été enregistrés.
error-unknown-time-zone = Ce fuseau horaire est inconnu. Choisissez-en un dans la liste.
