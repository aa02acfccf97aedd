"""The full off-chain terms of a deal; their keccak hash goes on chain as `termsHash`."""

from __future__ import annotations

DISCLOSURE = {
    "en": (
        "Disclosure: the creator discloses this paid partnership clearly on every piece of "
        "content made under it (for example #ad or the platform's paid-partnership label)."
    ),
    "fr": (
        "Transparence : le créateur signale clairement ce partenariat rémunéré sur chaque "
        "contenu réalisé dans ce cadre (par exemple #publicité ou la mention « partenariat "
        "rémunéré » de la plateforme)."
    ),
}
VIRTUAL_LABEL = {
    "en": 'The creator is a virtual influencer: every image carries the label "Virtual images".',
    "fr": "Le créateur est un influenceur virtuel : chaque image porte la mention "
    "« Images virtuelles ».",
}


def build_terms_text(
    *,
    brand_terms: str,
    is_virtual: bool,
    operator: str | None,
    deliverables: list[dict],
) -> str:
    """Both languages always: the French label is required by law whatever the brief's language."""
    lines = ["Collab partnership terms / Conditions du partenariat Collab", ""]
    lines += [DISCLOSURE["en"], DISCLOSURE["fr"]]
    if is_virtual:
        lines += [VIRTUAL_LABEL["en"], VIRTUAL_LABEL["fr"]]
        if operator:
            lines.append(f"Operator / Opérateur : {operator}")
    lines.append("")
    lines.append("Deliverables / Livrables :")
    for item in deliverables:
        lines.append(f"- {item['count']} x {item['format']} on {item['platform']}")
    if brand_terms.strip():
        lines += ["", "Brand terms / Conditions de la marque :", brand_terms.strip()]
    return "\n".join(lines) + "\n"
