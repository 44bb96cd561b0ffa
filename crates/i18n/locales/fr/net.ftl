# Connexions, enveloppes et tailles des formulaires.
net-busy = Le service est saturé. Veuillez réessayer dans quelques secondes.
envelope-damaged-title = Cette enveloppe ne peut pas être ouverte
envelope-damaged = Cette enveloppe est endommagée ou n’appartient pas à ce message. Ouvrez l’enveloppe jointe à la notification reçue, ou demandez à l’expéditeur de renvoyer le message.
