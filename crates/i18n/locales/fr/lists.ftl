# Listes à grande échelle : filtres, pages et exports (onglet Journal).
lists-audit-filter = Filtrer le journal
lists-audit-who = Qui
lists-audit-kind = Quoi
lists-audit-kind-changes = Modifications (sans les consultations de messages)
lists-audit-kind-all = Tout
lists-audit-kind-views = Consultations de messages
lists-audit-kind-account = Paramètres du compte
lists-audit-kind-group = Groupes et membres
lists-audit-kind-message = Messages (sans les consultations)
lists-audit-kind-profile = Profils d'enveloppe
lists-audit-kind-token = Jetons
lists-audit-kind-gateway = Passerelle SMTP
lists-audit-kind-user = Utilisateurs et mots de passe
lists-audit-kind-session = Connexions
lists-audit-kind-device = Appareils mémorisés
lists-from = Du (date)
lists-to = Au (date)
lists-filter = Filtrer
lists-clear = Effacer les filtres
lists-bad-date = Une date n'a pas été comprise et a été ignorée ; utilisez le format AAAA-MM-JJ.
lists-audit-total = { $count ->
    [one] 1 événement correspond.
   *[other] { $count } événements correspondent.
}
lists-audit-total-more = Plus de { $count } événements correspondent.
lists-audit-none-match = Aucun événement ne correspond à ce filtre.
lists-export-csv = Télécharger en CSV
lists-pages = Pages
lists-newer = Plus récents
lists-older = Plus anciens
lists-csv-action = Action
lists-csv-outcome = Résultat
lists-csv-cut = L'export s'arrête ici : restreignez le filtre (par exemple les dates) pour obtenir la suite.
