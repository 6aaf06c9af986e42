"""English catalog: French text (as written in templates and code) → English.

Keys are the exact French texts (placeholders included); `{placeholders}` are kept as is.
Vocabulary: intervenant → contractor, gestionnaire → manager, intervention → job,
demande d'intervention → work request, devis → quote.
"""

CATALOG: dict[str, str] = {
    # -- common words and labels -----------------------------------------------------------------
    "Accepter": "Accept",
    "Refuser": "Decline",
    "Valider": "Submit",
    "Accès": "Access",
    "Adresse": "Address",
    "Adresse du site": "Site address",
    "Adresse e-mail": "Email address",
    "Canal": "Channel",
    "Commentaire": "Comment",
    "Créée": "Created",
    "Description": "Description",
    "Destinataire": "Recipient",
    "Dernière activité": "Last activity",
    "E-mail": "Email",
    "En cours": "In progress",
    "Envoyée": "Sent",
    "Échec": "Failed",
    "État": "Status",
    "Événements": "Events",
    "Gestionnaire": "Manager",
    "Intervenant": "Contractor",
    "Message": "Message",
    "Notifications": "Notifications",
    "Référence": "Reference",
    "Réf.": "Ref.",
    "Relais": "Relais",
    "Statut": "Status",
    "Ticket": "Ticket",
    "Tickets": "Tickets",
    "Titre": "Title",
    "Urgence": "Urgency",
    "facultatif": "optional",
    "à": "at",
    "— Choisir —": "— Select —",
    "Motif :": "Reason:",
    "Intervention n°": "Job no.",
    "Intervention prévue": "Scheduled for",
    "Intervention prévue le": "Job scheduled for",
    # -- ticket states (label filter) ------------------------------------------------------------
    "Demande envoyée": "Request sent",
    "Refusée": "Declined",
    "Planifiée": "Scheduled",
    "Sur place": "On site",
    "Fin d'intervention demandée": "Completion requested",
    "Terminée": "Completed",
    "Facture demandée": "Invoice requested",
    "Facturée": "Invoiced",
    "Clôturée": "Closed",
    "Annulée": "Cancelled",
    "Devis demandé": "Quote requested",
    "Devis envoyé": "Quote submitted",
    "Devis refusé": "Quote rejected",
    # -- urgencies (label filter) ----------------------------------------------------------------
    "Normale": "Normal",
    "Urgente": "Urgent",
    "Urgence absolue": "Emergency",
    # -- events (label filter) -------------------------------------------------------------------
    "Demande acceptée": "Request accepted",
    "Demande refusée": "Request declined",
    "Ticket annulé": "Ticket cancelled",
    "Échec d'envoi d'une notification": "A notification could not be sent",
    # -- manager: navigation and sign-in ---------------------------------------------------------
    "Nouvelle demande": "New request",
    "Déconnexion": "Sign out",
    "Oups": "Oops",
    "Retour aux tickets": "Back to tickets",
    "Connexion": "Sign in",
    "Connexion gestionnaire": "Manager sign-in",
    "Saisissez votre adresse e-mail : vous recevrez un lien de connexion valable 15 minutes.":
        "Enter your email address: you will receive a sign-in link valid for 15 minutes.",
    "Recevoir le lien de connexion": "Send me a sign-in link",
    "Cliquez pour ouvrir votre session.": "Click to sign in.",
    "Se connecter": "Sign in",
    "Lien de connexion invalide": "Invalid sign-in link",
    "Ce lien a expiré ou a déjà été utilisé. Demandez-en un nouveau.":
        "This link has expired or has already been used. Please request a new one.",
    "Demander un nouveau lien": "Request a new link",
    "Vérifiez votre messagerie": "Check your inbox",
    "Si cette adresse correspond à un compte gestionnaire actif, un lien de connexion vient d'être envoyé. "
    "Il est valable 15 minutes et ne sert qu'une fois.":
        "If this address belongs to an active manager account, a sign-in link has just been sent. "
        "It is valid for 15 minutes and can be used only once.",
    # -- manager: ticket list, new request, ticket page ------------------------------------------
    "Mes tickets": "My tickets",
    "Aucun ticket pour l'instant.": "No tickets yet.",
    "Type de demande": "Request type",
    "Demande d'intervention": "Work request",
    "Demande de devis": "Quote request",
    "Informations d'accès": "Access information",
    "Envoyer par": "Send by",
    "Sans choix, la préférence de l'intervenant s'applique.": "If none is selected, the contractor's preference applies.",
    "Créer et envoyer": "Create and send",
    "Annuler le ticket": "Cancel ticket",
    "Motif (envoyé à l'intervenant)": "Reason (sent to the contractor)",
    # -- contractor: exchange form ---------------------------------------------------------------
    "Votre réponse": "Your answer",
    "Informations d'intervention": "Job details",
    "Date d'intervention": "Date of the job",
    "Heure d'intervention": "Time of the job",
    "Motif du refus": "Reason for declining",
    "Pourquoi refusez-vous cette demande ?": "Why are you declining this request?",
    "Vous avez accepté cette intervention. Merci !": "You have accepted this job. Thank you!",
    "Cette demande a été annulée par le gestionnaire.": "This request has been cancelled by the manager.",
    "Vous avez refusé cette demande.": "You have declined this request.",
    "Historique des échanges": "Message history",
    "Réponse envoyée": "Answer sent",
    "Votre réponse a bien été envoyée": "Your answer has been sent",
    "Le gestionnaire est prévenu. Vous recevrez un SMS ou un e-mail pour la suite.":
        "The manager has been notified. You will receive a text message or an email about the next steps.",
    "Afficher à nouveau l'intervention": "View the job again",
    # -- contractor: link errors -----------------------------------------------------------------
    "Lien indisponible": "Link unavailable",
    "Ce lien n'est plus valide": "This link is no longer valid",
    "Cette intervention est terminée depuis un moment ou le lien a été remplacé. Si vous avez reçu un message plus "
    "récent, utilisez le lien qu'il contient ; sinon, contactez votre gestionnaire.":
        "This job ended some time ago or the link has been replaced. If you have received a more recent message, "
        "use the link it contains; otherwise, please contact your manager.",
    "Trop de tentatives": "Too many attempts",
    "Trop de liens invalides ont été ouverts depuis votre connexion. Patientez quelques minutes puis réessayez avec "
    "le lien reçu par SMS ou e-mail.":
        "Too many invalid links have been opened from your connection. Please wait a few minutes, then try again "
        "with the link you received by text message or email.",
    "Lien introuvable": "Link not found",
    "Ce lien est incomplet ou erroné. Ouvrez-le à nouveau depuis le SMS ou l'e-mail reçu, sans le modifier.":
        "This link is incomplete or incorrect. Open it again from the text message or email you received, "
        "without changing it.",
    # -- developer outbox ------------------------------------------------------------------------
    "Chaque SMS et e-mail envoyé par Relais en local (le plus récent d'abord).":
        "Every text message and email sent by Relais locally (most recent first).",
    "Aucun message pour l'instant.": "No messages yet.",
    # -- messages (SMS and email) ----------------------------------------------------------------
    "Bonjour {name},": "Hello {name},",
    "Voir les détails de l'intervention": "View the job details",
    "Voir les détails de l'intervention et répondre (accepter ou refuser) :":
        "View the job details and reply (accept or decline):",
    "Voir les détails de la demande": "View the request details",
    "Voir les détails de la demande :": "View the request details:",
    "Si le bouton ne fonctionne pas, copiez ce lien :": "If the button does not work, copy this link:",
    "Ouvrir le ticket": "Open the ticket",
    "{manager} vous adresse une demande d'intervention.": "{manager} has sent you a work request.",
    "{manager} vous demande un devis.": "{manager} is asking you for a quote.",
    "Ouvrez le formulaire pour accepter (avec la date et l'heure d'intervention) ou refuser la demande.":
        "Open the form to accept the request (with the date and time of the job) or to decline it.",
    "Demande d'intervention n°{ref} : {title}": "Work request no. {ref}: {title}",
    "Demande de devis n°{ref} : {title}": "Quote request no. {ref}: {title}",
    "Relais : nouvelle demande d'intervention n°{ref} ({title}). Répondez ici :":
        "Relais: new work request no. {ref} ({title}). Reply here:",
    "Relais : demande de devis n°{ref} ({title}). Répondez ici :": "Relais: quote request no. {ref} ({title}). Reply here:",
    "Relais : l'intervention n°{ref} ({title}) est annulée. Détails :":
        "Relais: job no. {ref} ({title}) has been cancelled. Details:",
    "Intervention n°{ref} annulée": "Job no. {ref} cancelled",
    "L'intervention n°{ref} ({title}) est annulée par {manager}.": "Job no. {ref} ({title}) has been cancelled by {manager}.",
    "{name} a accepté la demande n°{ref} ({title}).": "{name} has accepted request no. {ref} ({title}).",
    "{name} a refusé la demande n°{ref} ({title}).": "{name} has declined request no. {ref} ({title}).",
    "{ref} acceptée par {name} : {date} à {time}": "{ref} accepted by {name}: {date} at {time}",
    "{ref} refusée par {name}": "{ref} declined by {name}",
    "Votre lien de connexion à Relais": "Your Relais sign-in link",
    "Voici votre lien de connexion, valable 15 minutes et utilisable une seule fois :":
        "Here is your sign-in link, valid for 15 minutes and usable only once:",
    "Si vous n'avez rien demandé, ignorez ce message.": "If you did not request this, please ignore this message.",
    # -- validation errors (chalicelib/validation.py) --------------------------------------------
    "Indiquez la date d'intervention.": "Please enter the date of the job.",
    "Date invalide (format attendu : JJ/MM/AAAA).": "Invalid date (expected format: DD/MM/YYYY).",
    "Indiquez l'heure d'intervention.": "Please enter the time of the job.",
    "Heure invalide (format attendu : HH:MM).": "Invalid time (expected format: HH:MM).",
    "Cette heure n'existe pas ce jour-là (changement d'heure).":
        "This time does not exist on that day (clocks change).",
    "La date et l'heure d'intervention sont déjà passées.": "The date and time of the job are already in the past.",
    "La date d'intervention doit être dans les douze prochains mois.":
        "The date of the job must be within the next twelve months.",
    "Le commentaire dépasse 2000 caractères.": "The comment is longer than 2000 characters.",
    "Indiquez le motif du refus.": "Please give a reason for declining.",
    "Le motif dépasse 2000 caractères.": "The reason is longer than 2000 characters.",
    "Ce champ dépasse 200 caractères.": "This field is longer than 200 characters.",
    "Ce champ dépasse 500 caractères.": "This field is longer than 500 characters.",
    "Ce champ dépasse 2000 caractères.": "This field is longer than 2000 characters.",
    "Ce champ dépasse 5000 caractères.": "This field is longer than 5000 characters.",
    "Choisissez un intervenant.": "Please select a contractor.",
    "Indiquez un titre.": "Please enter a title.",
    "Décrivez l'intervention.": "Please describe the job.",
    "Indiquez l'adresse du site.": "Please enter the site address.",
    "Urgence inconnue.": "Unknown urgency.",
    "Type de demande inconnu.": "Unknown request type.",
    "Choisissez au moins un canal : SMS ou e-mail.": "Select at least one channel: SMS or email.",
    # -- contact errors (chalicelib/contacts.py) -------------------------------------------------
    "Numéro de téléphone invalide.": "Invalid phone number.",
    "Adresse e-mail invalide.": "Invalid email address.",
    # -- page errors and notices (chalicelib/web) ------------------------------------------------
    "Jeton de sécurité invalide. Rechargez la page et réessayez.":
        "Invalid security token. Please reload the page and try again.",
    "Indiquez une adresse e-mail valide.": "Please enter a valid email address.",
    "Cet intervenant n'existe pas ou a été désactivé.": "This contractor does not exist or has been deactivated.",
    "L'intervenant n'a pas de coordonnées pour le canal choisi.":
        "The contractor has no contact details for the selected channel.",
    "Ticket introuvable.": "Ticket not found.",
    "Le motif est trop long.": "The reason is too long.",
    "Formulaire invalide, rechargez la page.": "Invalid form, please reload the page.",
    "Le ticket a changé entre-temps : il n'a pas été annulé. Voici son état actuel.":
        "The ticket changed in the meantime: it has not been cancelled. Here is its current status.",
    "Le formulaire a expiré. Vérifiez vos réponses et validez à nouveau.":
        "The form has expired. Please check your answers and submit again.",
    "Choisissez : accepter ou refuser la demande.": "Please choose: accept or decline the request.",
    "La demande a changé entre-temps et votre réponse n'a pas été enregistrée. Voici son état actuel.":
        "The request changed in the meantime and your answer was not saved. Here is its current status.",
    "Annulation": "Cancellation",
    "Alerte : demande acceptée": "Alert: request accepted",
    "Alerte : demande refusée": "Alert: request declined",
    "Lien de connexion": "Sign-in link",
}
