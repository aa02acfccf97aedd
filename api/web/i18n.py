"""French and English for the web app: the visitor's switch (a cookie), else Accept-Language."""

from __future__ import annotations

from fastapi import Request

LANGS = ("en", "fr")
LANG_COOKIE = "collab_lang"

# key -> (English, French)
MESSAGES: dict[str, tuple[str, str]] = {
    "tagline": (
        "Brand-creator collaborations matched by shared values, paid by an on-chain escrow.",
        "Des collaborations marques-créateurs choisies par valeurs partagées, payées par un "
        "séquestre sur la blockchain.",
    ),
    "connect": ("Connect wallet and sign in", "Connecter le portefeuille et se connecter"),
    "no_wallet": (
        "No browser wallet found: install MetaMask, Rabby or Coinbase Wallet.",
        "Aucun portefeuille trouvé : installez MetaMask, Rabby ou Coinbase Wallet.",
    ),
    "wrong_network": (
        "Your wallet is on another network.",
        "Votre portefeuille est sur un autre réseau.",
    ),
    "switch_network": ("Switch network", "Changer de réseau"),
    "sign_out": ("Sign out", "Se déconnecter"),
    "signed_in_as": ("Signed in as", "Connecté en tant que"),
    "choose_account": ("Choose the account to use", "Choisissez le compte à utiliser"),
    "use": ("Use", "Utiliser"),
    "register": ("Create an account", "Créer un compte"),
    "register_brand": ("Register a brand", "Inscrire une marque"),
    "register_creator": ("Register as a creator", "S'inscrire comme créateur"),
    "name": ("Name", "Nom"),
    "description": ("Description", "Description"),
    "values": ("Values (one per line, your own words)", "Valeurs (une par ligne, vos mots)"),
    "practices": ("Practices (one per line)", "Pratiques (une par ligne)"),
    "dealbreakers": ("Dealbreakers (one per line)", "Refus absolus (un par ligne)"),
    "handle": ("Handle", "Identifiant"),
    "display_name": ("Display name", "Nom affiché"),
    "bio": ("Bio", "Bio"),
    "languages": ("Languages (e.g. fr, en)", "Langues (ex. fr, en)"),
    "platform": ("Platform", "Plateforme"),
    "followers": ("Followers", "Abonnés"),
    "countries": ("Audience countries (e.g. FR, BE)", "Pays de l'audience (ex. FR, BE)"),
    "min_fee_eth": ("Minimum fee (ETH)", "Tarif minimum (ETH)"),
    "is_virtual": ("Virtual creator", "Créateur virtuel"),
    "operator": ("Operator (required for a virtual creator)", "Opérateur (requis si virtuel)"),
    "submit": ("Submit", "Envoyer"),
    "inbox": ("Inbox", "Boîte de réception"),
    "offers": ("Offers", "Offres"),
    "collaborations": ("Collaborations", "Collaborations"),
    "payouts": ("Payouts", "Paiements"),
    "profile": ("Profile", "Profil"),
    "requests": ("Requests", "Demandes"),
    "new_request": ("New request", "Nouvelle demande"),
    "title": ("Title", "Titre"),
    "budget": ("Budget", "Budget"),
    "token": ("Currency", "Monnaie"),
    "deadline": ("Deadline", "Date limite"),
    "deliverables": ("Deliverables", "Livrables"),
    "format": ("Format", "Format"),
    "count": ("Count", "Nombre"),
    "matches": ("Ranked matches", "Créateurs classés"),
    "score": ("Score", "Score"),
    "why_not": ("Why not this creator?", "Pourquoi pas ce créateur ?"),
    "creator_id": ("Creator handle or id", "Identifiant ou id du créateur"),
    "check": ("Check", "Vérifier"),
    "send_offer": ("Send an offer", "Envoyer une offre"),
    "deliver_by": ("Deliver by", "Livrer avant le"),
    "terms": ("Your terms", "Vos conditions"),
    "status": ("Status", "Statut"),
    "amount": ("Amount", "Montant"),
    "brand": ("Brand", "Marque"),
    "creator": ("Creator", "Créateur"),
    "open": ("Open", "Ouvrir"),
    "none": ("Nothing yet.", "Rien pour l'instant."),
    "screened_out": ("Screened out for you", "Écartées pour vous"),
    "screened_reason": ("Why", "Pourquoi"),
    "match_explanation": ("Why it matches", "Pourquoi cela correspond"),
    "alignment": ("value alignment", "alignement des valeurs"),
    "payees": ("Payees and shares", "Bénéficiaires et parts"),
    "milestones": ("Milestones", "Jalons"),
    "labels": ("Disclosure labels", "Mentions obligatoires"),
    "contract": ("Contract to read before signing", "Contrat à lire avant de signer"),
    "accept_sign": ("Accept: sign the terms in my wallet", "Accepter : signer les termes"),
    "decline": ("Decline", "Refuser"),
    "reason": ("Reason (optional)", "Motif (facultatif)"),
    "counter": ("Counter-offer", "Contre-offre"),
    "note": ("Note", "Note"),
    "sign_counter": ("Sign my counter in my wallet", "Signer ma contre-offre"),
    "fund": ("Fund the escrow from my wallet", "Financer le séquestre"),
    "deliver": ("Mark delivered", "Marquer comme livré"),
    "deliverable_link": ("Link to the delivered work", "Lien vers le travail livré"),
    "deliver_signed": (
        "Deliver without ETH: sign, the platform pays the gas",
        "Livrer sans ETH : signer, la plateforme paie les frais",
    ),
    "no_eth": (
        "Your wallet holds no ETH: deliver by signature, the platform's relayer pays the gas.",
        "Votre portefeuille ne contient pas d'ETH : livrez par signature, le relais de la "
        "plateforme paie les frais de réseau.",
    ),
    "approve": ("Approve delivery and release payment", "Approuver et libérer le paiement"),
    "dispute": ("Open a dispute", "Ouvrir un litige"),
    "release": ("Release (review period over)", "Libérer (délai d'examen passé)"),
    "refund": ("Refund (deadline passed)", "Rembourser (délai dépassé)"),
    "withdraw": ("Withdraw", "Retirer"),
    "pending": ("Pending transaction", "Transaction en attente"),
    "waiting_indexer": (
        "waiting for the chain to confirm it…",
        "en attente de confirmation par la chaîne…",
    ),
    "transactions": ("Transactions", "Transactions"),
    "view_explorer": ("view in the explorer", "voir dans l'explorateur"),
    "received": ("Received", "Reçu"),
    "credits": ("Held for you by the escrow", "Retenu pour vous par le séquestre"),
    "copy": ("Copy", "Copier"),
    "copied": ("Copied", "Copié"),
    "wallet": ("Wallet", "Portefeuille"),
    "interpreted_as": ("read by the engine as", "compris par le moteur comme"),
    "not_understood": ("not understood", "non compris"),
    "negated": ("negated", "négation"),
    "split": ("Split", "Répartition"),
    "screening": ("Screening policy", "Politique de filtrage"),
    "deal_id": ("Deal id", "Identifiant du contrat"),
    "expires": ("Expires", "Expire"),
    "error": ("Something went wrong", "Une erreur est survenue"),
    "signed": ("Signed", "Signé"),
}

# Statuses and payee roles as people read them; the API's own word stays in data-status.
WORDS: dict[str, tuple[str, str]] = {
    "sent": ("sent", "envoyée"),
    "countered": ("countered", "contre-proposée"),
    "accepted": ("accepted", "acceptée"),
    "declined": ("declined", "refusée"),
    "screened_out": ("screened out", "écartée"),
    "expired": ("expired", "expirée"),
    "cancelled": ("cancelled", "annulée"),
    "drafted": ("signed, to fund", "signée, à financer"),
    "funded": ("funded", "financée"),
    "delivered": ("delivered", "livrée"),
    "released": ("paid", "payée"),
    "refunded": ("refunded", "remboursée"),
    "disputed": ("disputed", "en litige"),
    "resolved": ("resolved", "résolue"),
    "designer": ("designer", "designer"),
    "charity": ("charity", "association"),
    "paid": ("paid", "payé"),
    "credited": ("credited", "crédité"),
    "withdrawn": ("withdrawn", "retiré"),
    "fee": ("fee", "commission"),
    "refund": ("refund", "remboursement"),
}


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return chosen
    weighted = []
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((quality, tag.strip().lower()[:2]))
    for _, lang in sorted(weighted, key=lambda pair: -pair[0]):
        if lang in LANGS:
            return lang
    return "en"


def translator(lang: str):
    index = LANGS.index(lang)

    def t(key: str) -> str:
        return MESSAGES[key][index]

    return t


def word_translator(lang: str):
    """A status or role in the visitor's language (unknown words as they are)."""
    index = LANGS.index(lang)
    return lambda word: WORDS[word][index] if word in WORDS else word
