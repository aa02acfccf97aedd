"""What every content must say, by jurisdiction of the targeted audience and by platform."""

from __future__ import annotations

from api.legal.countries import FRANCE, UNITED_KINGDOM, UNITED_STATES

# loi 2023-451 art. 5: one of these, clear, legible and identifiable, for the whole content.
ADVERTISING_FR = ("Publicité", "Collaboration commerciale")
RETOUCHED_FR = "Images retouchées"
VIRTUAL_FR = "Images virtuelles"

# (jurisdiction, FR clause, EN clause), applied when the audience targets that jurisdiction.
JURISDICTION_LABELS = (
    (
        FRANCE,
        "France (loi 2023-451, art. 5) : chaque contenu porte la mention « Publicité » ou "
        "« Collaboration commerciale », de façon claire, lisible et identifiable pendant toute "
        "sa durée, quel que soit le format.",
        'France (loi 2023-451, art. 5): every content carries the words "Publicité" or '
        '"Collaboration commerciale", clear, legible and identifiable for its whole length, '
        "whatever the format.",
    ),
    (
        UNITED_KINGDOM,
        "Royaume-Uni (code CAP de l'ASA, CMA) : « Ad » (ou « #ad ») en premier, avant tout "
        "autre texte ou image du contenu, bien visible.",
        'United Kingdom (ASA CAP Code, CMA): "Ad" (or "#ad") first, ahead of any other text '
        "or image of the content, clearly visible.",
    ),
    (
        UNITED_STATES,
        "États-Unis (FTC, 16 CFR Part 255) : « #ad » (ou « Sponsored »), clair et placé au "
        "début, pas noyé parmi d'autres hashtags ; dans une vidéo, aussi à l'image et dit à "
        "voix haute.",
        'United States (FTC, 16 CFR Part 255): "#ad" (or "Sponsored"), clear and near the '
        "start, not buried among other hashtags; in a video, also on screen and said aloud.",
    ),
)

# The platform's own paid-partnership disclosure, which the creator switches on as well.
PAID_PARTNERSHIP_TOGGLE = {
    "instagram": "Instagram: « Partenariat rémunéré » / Paid partnership label",
    "tiktok": "TikTok: « Divulgation du contenu » / Content disclosure, branded content",
    "youtube": "YouTube: « Contient une promotion rémunérée » / Includes paid promotion",
    "twitch": "Twitch: « Contenu de marque » / Branded content",
    "snapchat": "Snapchat: « Partenariat rémunéré » / Paid partnership",
    "linkedin": "LinkedIn: « Partenariat de marque » / Brand partnership",
    "x": "X: pas d'outil fiable, la mention dans le texte fait foi / no reliable tool, the "
    "label in the text is the disclosure",
    "twitter": "X (Twitter): pas d'outil fiable, la mention dans le texte fait foi / no "
    "reliable tool, the label in the text is the disclosure",
}


def jurisdiction_labels(countries: list[str]) -> list[tuple[str, str]]:
    """The (FR, EN) label clauses for the jurisdictions these audience countries fall in."""
    targeted = set(countries)
    return [(fr, en) for where, fr, en in JURISDICTION_LABELS if targeted & where]


def content_labels(*, french: bool, retouched: bool, virtual: bool) -> list[str]:
    """The French mentions every content carries: art. 5 for a French audience; « Images
    virtuelles » on every virtual creator's content wherever it is seen (Collab's rule, and the
    AI Act's transparency duty in the EU)."""
    labels = []
    if french:
        labels.append(" ou ".join(f"« {label} »" for label in ADVERTISING_FR))
        if retouched:
            labels.append(f"« {RETOUCHED_FR} »")
    if virtual:
        labels.append(f"« {VIRTUAL_FR} »")
    return labels
