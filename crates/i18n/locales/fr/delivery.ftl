# Remise des notifications, telle que la page de suivi de l’expéditeur et l’onglet
# Messages d’un compte la montrent.

tracking-delivery-failed = Échec de la remise : { $reason }
tracking-delivery-failed-short = échec de la remise
