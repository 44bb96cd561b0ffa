## Faults of the storage and of stored messages (full disk, lost drafts, damaged payloads)

error-storage-full-title = Enregistrement momentanément impossible
error-storage-full-body = Sealpost ne peut rien enregistrer pour le moment, car son espace de stockage est plein. Votre action n'a pas été effectuée et rien n'a été enregistré à moitié. Veuillez réessayer dans quelques minutes.
error-kept-attachments-lost = Les fichiers joints précédemment ne sont plus disponibles (ils ont déjà été envoyés avec un formulaire précédent, ou trop de temps s'est écoulé). Veuillez les joindre à nouveau ; rien n'a été envoyé.
unavailable-damaged-title = Ce message ne peut plus être ouvert
unavailable-damaged = Ce que Sealpost conserve de ce message est endommagé ou manquant ; il ne peut donc plus être ouvert, ni maintenant ni plus tard. Veuillez demander à l'expéditeur de l'envoyer à nouveau.
