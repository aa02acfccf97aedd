"""The written contract of a deal (loi 2023-451 art. 8), in French and English in one text.

Its keccak-256 hash is the `termsHash` the creator signs: the text must come out byte for byte
the same from the same inputs, so it holds no clock reading and no set iteration order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, localcontext

from api.kit.types import ETH, WEI_PER_ETH
from api.legal.categories import prohibited, restricted
from api.legal.countries import FRANCE
from api.legal.labels import PAID_PARTNERSHIP_TOGGLE, content_labels, jurisdiction_labels
from api.legal.models import UsageRights

NOT_PROVIDED = "non communiqué / not provided"
LAW = "loi n° 2023-451 du 9 juin 2023, modifiée par l'ordonnance n° 2024-978"
LAW_EN = "French law no. 2023-451 of 9 June 2023, as amended by ordinance no. 2024-978"


@dataclass(frozen=True)
class Party:
    """A party as the contract names it (for a virtual creator: its operator's identity)."""

    name: str  # as known on Collab: the brand's name, or the creator's display name and handle
    wallet: str
    legal_name: str | None = None
    postal_address: str | None = None
    email: str | None = None
    tax_country: str | None = None


@dataclass(frozen=True)
class ContractInputs:
    brand: Party
    creator: Party
    is_virtual: bool
    operator: str | None
    retouched_images: bool
    countries: list[str]  # the targeted audience
    deliverables: list[dict]
    amount: int
    token: str
    deliver_by: datetime
    review_period_seconds: int
    platform_fee_bps: int
    brand_terms: str = ""
    usage_rights: UsageRights | None = None
    categories: list[str] = field(default_factory=list)
    benefits_in_kind: str | None = None
    # An ongoing revenue share: {split_id, splitter, share_bps, revenue}
    revenue_share: dict | None = None
    eur_per_eth: Decimal | None = None
    # The payment schedule when the offer has milestones: ({label, amount, deliver_by}, ...)
    # with deliver_by in unix seconds. None: one payment of the whole amount at `deliver_by`.
    milestones: tuple[dict, ...] | None = None

    @property
    def french_audience(self) -> bool:
        return bool(set(self.countries) & FRANCE)


def render_contract(inputs: ContractInputs) -> str:
    sections = [
        _parties(inputs),
        _missions(inputs),
        _remuneration(inputs),
        _revenue_share(inputs),
        _rights(inputs),
        _mentions(inputs),
        _categories(inputs),
        _virtual(inputs),
        _liability(),
        _law(inputs),
        _brand_terms(inputs),
        _signature(),
    ]
    lines = [
        "# Contrat d'influence commerciale / Commercial influence contract",
        "",
        f"Contrat écrit établi en application de l'article 8 de la {LAW}, entre l'annonceur et "
        "l'influenceur ci-dessous, pour une activité d'influence commerciale conclue sur Collab.",
        "",
        f"Written contract made under article 8 of {LAW_EN} (the French influencer "
        "marketing law), between the advertiser and the influencer below, for a commercial "
        "influence activity agreed on Collab.",
        "",
        f"Public visé / Targeted audience: {', '.join(inputs.countries) or NOT_PROVIDED}",
    ]
    present = [section for section in sections if section is not None]
    for number, (heading, body) in enumerate(present, start=1):
        lines += ["", f"## {number}. {heading}", "", *body]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ sections
# Each returns (heading, lines), or None when it does not apply to this deal.


def _identity(party: Party) -> list[str]:
    return [
        f"- Identité / Identity: {party.legal_name or NOT_PROVIDED} ({party.name} on Collab)",
        f"- Adresse postale / Postal address: {party.postal_address or NOT_PROVIDED}",
        f"- Adresse e-mail / E-mail address: {party.email or NOT_PROVIDED}",
        f"- Pays de résidence fiscale / Country of tax residence: "
        f"{party.tax_country or NOT_PROVIDED}",
        f"- Portefeuille / Wallet: {party.wallet}",
    ]


def _parties(inputs: ContractInputs):
    lines = ["**L'annonceur / The advertiser**", "", *_identity(inputs.brand), ""]
    lines += ["**L'influenceur / The influencer**", ""]
    if inputs.is_virtual:
        operator = inputs.operator or NOT_PROVIDED
        lines += [
            f"{inputs.creator.name} est un influenceur virtuel : la partie au contrat est son "
            f"opérateur, la personne responsable ({operator}), identifié ci-dessous.",
            "",
            f"{inputs.creator.name} is a virtual influencer: the contracting party is its "
            f"operator, the legal person responsible ({operator}), identified below.",
            "",
        ]
    lines += _identity(inputs.creator)
    return "Parties / Parties", lines


def _missions(inputs: ContractInputs):
    lines = ["Livrables / Deliverables:", ""]
    lines += [
        f"- {item['count']} × {item['format']} sur / on {item['platform']}"
        for item in inputs.deliverables
    ]
    days = Decimal(inputs.review_period_seconds) / 86_400
    lines += [
        "",
        f"- Livraison au plus tard le / Deliver by: {_utc(inputs.deliver_by)}",
        f"- Délai de revue de l'annonceur / Advertiser's review period: "
        f"{inputs.review_period_seconds} s ({_number(days)} j / days)",
    ]
    return "Missions / Missions", lines


def _remuneration(inputs: ContractInputs):
    if inputs.token == ETH:
        amount = f"{inputs.amount} wei ({_number(Decimal(inputs.amount).scaleb(-18))} ETH)"
    else:
        amount = f"{inputs.amount} (plus petite unité / smallest unit of token {inputs.token})"
    lines = [
        f"- Montant / Amount: {amount}",
        f"- Équivalent en euros à l'offre / Euro equivalent at the offer: {_euros(inputs)}",
        f"- Avantages en nature / Benefits in kind: {inputs.benefits_in_kind or 'aucun / none'}",
        f"- Frais de plateforme Collab / Collab platform fee: {inputs.platform_fee_bps} "
        "points de base / basis points",
        "",
        "L'annonceur dépose le montant dans le contrat de séquestre Collab ; il est versé à "
        "l'influenceur et aux bénéficiaires qu'il a désignés, selon les parts signées, à "
        "l'approbation de la livraison ou à la fin du délai de revue.",
        "",
        "The advertiser deposits the amount in the Collab escrow contract; it is paid to the "
        "influencer and the payees it named, by the signed shares, when the delivery is "
        "approved or when the review period ends.",
    ]
    if inputs.milestones:
        lines += [
            "",
            "Échéancier / Milestones: chaque jalon est livré, approuvé, versé, remboursé ou "
            "contesté séparément / each milestone is delivered, approved, paid, refunded or "
            "disputed on its own.",
            "",
        ]
        lines += [
            f"{number}. {m['label']}: {m['amount']} ; livraison au plus tard le / deliver by "
            f"{_utc(datetime.fromtimestamp(m['deliver_by'], UTC))}"
            for number, m in enumerate(inputs.milestones, start=1)
        ]
    return "Rémunération / Remuneration", lines


def _revenue_share(inputs: ContractInputs):
    share = inputs.revenue_share
    if not share:
        return None
    percent = _number(Decimal(share["share_bps"]) / 100)
    lines = [
        f"- Recettes partagées / Shared revenue: {share['revenue']}",
        f"- Part / Share: {share['share_bps']} points de base / basis points ({percent} %)",
        f"- Contrat de partage / Revenue splitter: {share['splitter']} "
        f"(Collab split {share['split_id']})",
        "",
        f"En plus de la rémunération, l'annonceur verse {percent} % de ces recettes, à mesure "
        "qu'elles sont encaissées, à l'adresse du contrat de partage ci-dessus, qui les "
        "répartit entre ses bénéficiaires selon des parts fixées sur la chaîne.",
        "",
        f"On top of the remuneration, the advertiser sends {percent} % of that revenue, as it "
        "is collected, to the revenue splitter address above, which shares it among its payees "
        "by shares fixed on chain.",
    ]
    return "Partage de recettes / Revenue share", lines


def _rights(inputs: ContractInputs):
    lines = [
        "L'influenceur réalise et publie les livrables dans les délais, avec les mentions de la "
        "section « Mentions » ; l'annonceur lui donne des informations exactes sur ses produits "
        "et paie par le séquestre. Chacun respecte les règles des plateformes utilisées.",
        "",
        "The influencer makes and publishes the deliverables on time, with the labels of the "
        "Disclosure section; the advertiser gives it accurate information on its products and "
        "pays through the escrow. Each follows the rules of the platforms used.",
        "",
        "**Propriété intellectuelle / Intellectual property**",
        "",
        "L'influenceur reste titulaire des droits d'auteur sur ses contenus. Toute cession ou "
        "licence à l'annonceur est limitée à ce qui suit (code de la propriété intellectuelle, "
        "art. L. 131-3).",
        "",
        "The influencer keeps the copyright in its content. Any assignment or licence to the "
        "advertiser is limited to what follows.",
        "",
    ]
    rights = inputs.usage_rights
    if rights is None or (rights.duration_days == 0 and not rights.paid_ads):
        lines += [
            "- Droits d'utilisation / Usage rights: aucun au-delà de la publication par "
            "l'influenceur / none beyond the influencer's own publication",
        ]
    else:
        territories = ", ".join(rights.territories) or "aucun / none"
        platforms = ", ".join(rights.platforms) if rights.platforms else "toutes / any"
        lines += [
            f"- Publicité payante / Paid ads: {'oui / yes' if rights.paid_ads else 'non / no'}",
            f"- Durée / Duration: {rights.duration_days} j / days après publication / after "
            "publication",
            f"- Territoires / Territories: {territories}",
            f"- Plateformes / Platforms: {platforms}",
        ]
    return "Droits et obligations / Rights and obligations", lines


def _mentions(inputs: ContractInputs):
    lines = [
        "Chaque contenu réalisé dans le cadre de ce contrat signale clairement le partenariat "
        "commercial, dès le début et pendant toute sa durée.",
        "",
        "Every content made under this contract discloses the commercial partnership clearly, "
        "from its start and for its whole length.",
        "",
    ]
    labels = content_labels(
        french=inputs.french_audience,
        retouched=inputs.retouched_images,
        virtual=inputs.is_virtual,
    )
    if labels:
        lines += ["Mentions obligatoires sur chaque contenu / Labels required on every content:"]
        lines += [f"- {label}" for label in labels]
        lines.append("")
    if inputs.french_audience and inputs.retouched_images:
        lines += [
            "« Images retouchées » : images dont le visage ou la silhouette ont été modifiés "
            "par un procédé de traitement d'image / images whose face or body was changed by "
            "image processing (loi 2023-451, art. 5).",
            "",
        ]
    if inputs.is_virtual:
        lines += [
            "« Images virtuelles » : images produites par intelligence artificielle pour "
            "représenter un visage ou une silhouette / images made by artificial intelligence "
            'to represent a face or a body ("Virtual images").',
            "",
        ]
    for fr, en in jurisdiction_labels(inputs.countries):
        lines += [f"- {fr}", f"- {en}"]
    platforms = sorted({item["platform"] for item in inputs.deliverables})
    lines += [
        "",
        "L'influenceur active aussi l'outil de partenariat rémunéré de chaque plateforme / "
        "The influencer also switches on each platform's paid-partnership tool:",
    ]
    lines += [f"- {PAID_PARTNERSHIP_TOGGLE[platform]}" for platform in platforms]
    return "Mentions / Disclosure", lines


def _categories(inputs: ContractInputs):
    if not inputs.categories:
        return None
    lines = [f"Catégories déclarées / Declared categories: {', '.join(inputs.categories)}"]
    banned = prohibited(inputs.categories)
    if banned and not inputs.french_audience:
        lines += [
            "",
            "Ces catégories ne peuvent pas être promues auprès d'un public en France ; "
            "l'influenceur n'y diffuse pas ces contenus / These categories may not be promoted "
            "to an audience in France; the influencer does not show this content there:",
        ]
        lines += [f"- {rule.name_fr} / {rule.name_en} ({rule.reference})" for rule in banned]
    for rule in restricted(inputs.categories):
        lines += [
            "",
            f"{rule.name_fr} ({rule.reference}) : {rule.condition_fr}.",
            "",
            f"{rule.name_en} ({rule.reference}): {rule.condition_en}.",
        ]
    return "Catégories de produits / Product categories", lines


def _virtual(inputs: ContractInputs):
    if not inputs.is_virtual:
        return None
    return "Influenceur virtuel et IA / Virtual influencer and AI", [
        "Règlement (UE) 2024/1689 sur l'intelligence artificielle, art. 50 : l'opérateur "
        "signale tout contenu généré ou manipulé par IA (image, vidéo, son, texte) comme tel, "
        "et ne supprime ni n'altère les marquages lisibles par machine qui en indiquent "
        "l'origine artificielle (filigranes, métadonnées de provenance).",
        "",
        "Regulation (EU) 2024/1689 (AI Act), art. 50: the operator labels all content generated "
        "or manipulated by AI (image, video, audio, text) as such, and neither strips nor alters "
        "the machine-readable marks that show its artificial origin (watermarks, provenance "
        "metadata).",
    ]


def _liability():
    return "Responsabilité solidaire / Joint liability", [
        "L'annonceur et l'influenceur sont solidairement responsables des dommages causés aux "
        "tiers dans l'exécution du présent contrat (loi 2023-451, art. 8 III).",
        "",
        "The advertiser and the influencer are jointly and severally liable for damage caused "
        "to third parties in performing this contract (loi 2023-451, art. 8 III).",
    ]


def _law(inputs: ContractInputs):
    if inputs.french_audience:
        return "Droit applicable / Governing law", [
            "Le public visé étant en France, le présent contrat est soumis au droit français, "
            "notamment à la loi 2023-451 (art. 8).",
            "",
            "As the targeted audience is in France, this contract is governed by French law, "
            "in particular loi 2023-451 (art. 8).",
        ]
    return "Droit applicable / Governing law", [
        "Le public visé n'est pas en France : le droit applicable est celui que prévoient les "
        "conditions de l'annonceur, à défaut celui de son pays de résidence fiscale.",
        "",
        "The targeted audience is not in France: the governing law is the one the advertiser's "
        "terms name, failing that the law of its country of tax residence.",
    ]


def _brand_terms(inputs: ContractInputs):
    if not inputs.brand_terms.strip():
        return None
    return "Conditions particulières de l'annonceur / Advertiser's own terms", [
        inputs.brand_terms.strip()
    ]


def _signature():
    return "Signature / Signature", [
        "L'influenceur accepte ce contrat en signant son empreinte keccak-256 (termsHash, "
        "données typées EIP-712) avec son portefeuille ; l'annonceur, en signant les mêmes "
        "conditions ou en finançant le séquestre avec elles. Aucune donnée personnelle n'est "
        "écrite sur la chaîne : seule l'empreinte de ce texte l'est.",
        "",
        "The influencer accepts this contract by signing its keccak-256 hash (termsHash, "
        "EIP-712 typed data) with its wallet; the advertiser, by signing the same terms or "
        "funding the escrow with them. No personal data is written on chain: only this text's "
        "hash is.",
    ]


# --------------------------------------------------------------------------------- formatting


def _number(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 0.5, 1.000000000000000007, 3."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _utc(moment: datetime) -> str:
    """To the second, as the escrow reads it (a stored naive datetime is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return datetime.fromtimestamp(int(moment.timestamp()), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _euros(inputs: ContractInputs) -> str:
    if inputs.token != ETH or inputs.eur_per_eth is None:
        return "inconnu / unknown"
    with localcontext(prec=80):  # exact for any amount the API takes (up to 10^30 wei)
        euros = (Decimal(inputs.amount) * inputs.eur_per_eth / WEI_PER_ETH).quantize(
            Decimal("0.01")
        )
    return f"{euros} EUR ({_number(inputs.eur_per_eth)} EUR/ETH)"
