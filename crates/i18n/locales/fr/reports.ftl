# L'onglet « Rapports » d'un compte (admin/reports.rs) et son fichier CSV.
tab-reports = Rapports
reports-heading = Activité en { $year }
reports-intro = Les messages sont comptés le mois de leur envoi ; « notifiés » et « ouverts » disent ce que sont devenus les messages de ce mois. Les inscriptions et activations comptent les personnes à qui ce compte avait écrit, le mois de leur inscription ou activation. Les mois sont des mois civils en UTC.
reports-year = Année
reports-show = Afficher
reports-bad-year = L'année « { $typed } » ne peut pas être affichée ; saisissez une année de { $first } à { $last }. { $shown } est affichée à la place.
reports-previous-year = Année précédente ({ $year })
reports-next-year = Année suivante ({ $year })
reports-col-month = Mois
reports-col-sent = Messages envoyés
reports-col-notified = Destinataires notifiés
reports-col-opened = Messages ouverts
reports-col-registrations = Inscriptions
reports-col-activations = Activations
reports-total = Total
reports-table-caption = Activité par mois en { $year }
reports-chart-title = Activité par mois en { $year }
reports-chart-desc = Diagramme en barres des messages envoyés, destinataires notifiés, messages ouverts, inscriptions et activations pour chaque mois de { $year }. Le tableau ci-dessous contient les mêmes chiffres.
reports-bar = { $month } : { $series } { $count }
reports-nothing = Rien n'a été envoyé et personne ne s'est inscrit en { $year }.
reports-export-csv = Télécharger en CSV
reports-csv-account = Compte
reports-csv-month = Mois (AAAA-MM)

# Le filtre de l'onglet « Messages » (admin/messages.rs).
messages-filter = Filtrer les messages
messages-filter-sender = Expéditeur
messages-filter-recipient = Destinataire
messages-filter-state = État
messages-state-any = Tous les états
messages-state-open = Lisible
messages-state-locked = Verrouillé
messages-state-expired = Expiré ou détruit
messages-filter-too-long = Un expéditeur ou destinataire plus long qu'une adresse ne peut l'être ({ $max } caractères) a été ignoré.
messages-total = { $count ->
    [one] 1 message correspond.
   *[other] { $count } messages correspondent.
}
messages-none-match = Aucun message ne correspond à ce filtre.

# Verrouiller un message depuis l'onglet « Messages », avec une étape de confirmation.
messages-lock-start = Verrouiller le message…
messages-lock-title = Verrouiller ce message ?
messages-lock-question = Le message envoyé par { $sender } le { $date } ne s'ouvrira plus pour aucun de ses destinataires ; ils verront le motif que vous indiquez ici. Vous pourrez le déverrouiller plus tard.
messages-lock-confirm = Verrouiller le message

# Recherche dans la boîte de réception et les messages envoyés (portal/mailbox.rs).
mailbox-search = Rechercher un objet, un expéditeur ou un destinataire
mailbox-search-button = Rechercher
mailbox-search-cut = Seuls les { $max } messages les plus récents ont été parcourus.
