"""Sentences for people, in the brief's language (FR or EN)."""

from __future__ import annotations

from matching.models import FilterReason
from matching.scoring import PENALTY_BELOW
from matching.taxonomy import Taxonomy

_PENALTIES = {
    "en": {
        "audience": "a weak audience fit for this brief",
        "countries": "an audience covering only part of the requested countries",
        "budget": "a budget far above this creator's usual fee",
        "track_record": "no completed deals yet",
    },
    "fr": {
        "audience": "une audience peu adaptée à cette demande",
        "countries": "une audience qui ne couvre qu'une partie des pays demandés",
        "budget": "un budget très au-dessus de son tarif habituel",
        "track_record": "aucune collaboration terminée pour l'instant",
    },
}


def _join(items: list[str], lang: str) -> str:
    conj = " et " if lang == "fr" else " and "
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + conj + items[-1]


def match_sentence(
    *,
    taxonomy: Taxonomy,
    lang: str,
    shared: list[str],
    related: list[str],
    components: dict[str, float],
    partial_countries: bool = False,
) -> str:
    """One sentence: the values shared (by label), the values only related, and penalties."""
    lang = "fr" if lang == "fr" else "en"
    shared_l = [taxonomy.label(s, lang) for s in shared]
    related_l = [taxonomy.label(s, lang) for s in related]
    penalties = [
        _PENALTIES[lang][name]
        for name, limit in PENALTY_BELOW.items()
        if components.get(name, 1.0) < limit
    ]
    if partial_countries and components.get("audience", 1.0) >= PENALTY_BELOW["audience"]:
        penalties.append(_PENALTIES[lang]["countries"])
    if lang == "fr":
        if shared_l:
            head = f"Partage les valeurs {_join(shared_l, lang)} avec la marque"
            if related_l:
                head += f", et s'en rapproche sur {_join(related_l, lang)}"
        elif related_l:
            head = f"Proche des valeurs {_join(related_l, lang)} de la marque sans les partager"
        else:
            head = "Ne partage aucune des valeurs demandées par la marque"
        tail = f" ; pénalité : {_join(penalties, lang)}." if penalties else ", sans pénalité."
    else:
        if shared_l:
            head = f"Shares {_join(shared_l, lang)} with the brand"
            if related_l:
                head += f", and is close on {_join(related_l, lang)}"
        elif related_l:
            head = f"Close to the brand's values {_join(related_l, lang)} without sharing them"
        else:
            head = "Shares none of the values the brand asked for"
        tail = f"; penalty: {_join(penalties, lang)}." if penalties else ", with no penalty."
    return head + tail


def _fmt_list(items) -> str:
    return ", ".join(str(i) for i in items)


def reason(code: str, lang: str, taxonomy: Taxonomy, **detail) -> FilterReason:
    """A :class:`FilterReason` with its message in ``lang``."""
    fr = lang == "fr"

    def lab(slugs):
        return _fmt_list(taxonomy.label(s, "fr" if fr else "en") for s in slugs)

    if code == "dealbreaker":
        msg = (
            f"Le créateur refuse explicitement : {lab(detail['practices'])}."
            if fr
            else f"The creator refuses: {lab(detail['practices'])}."
        )
    elif code == "value_conflict":
        pairs = detail["conflicts"]  # list of [value, practice]
        text = "; ".join(
            f"{taxonomy.label(v, 'fr' if fr else 'en')} / {taxonomy.label(p, 'fr' if fr else 'en')}"
            for v, p in pairs
        )
        msg = (
            f"Les valeurs du créateur s'opposent aux pratiques de la marque ({text})."
            if fr
            else f"The creator's values conflict with the brand's practices ({text})."
        )
    elif code == "token_not_accepted":
        msg = (
            f"Le créateur n'accepte pas le jeton {detail['token']}."
            if fr
            else f"The creator does not accept payment in {detail['token']}."
        )
    elif code == "below_min_fee":
        msg = (
            f"Budget {detail['budget']} inférieur au tarif minimum {detail['min_fee']} "
            f"({detail['token']})."
            if fr
            else f"Budget {detail['budget']} is below the creator's minimum fee "
            f"{detail['min_fee']} ({detail['token']})."
        )
    elif code == "language":
        msg = (
            f"Aucune langue en commun (demandées : {_fmt_list(detail['requested'])})."
            if fr
            else f"No shared language (requested: {_fmt_list(detail['requested'])})."
        )
    elif code == "platform":
        msg = (
            f"Absent des plateformes demandées ({_fmt_list(detail['requested'])})."
            if fr
            else f"Not present on the requested platforms ({_fmt_list(detail['requested'])})."
        )
    elif code == "followers":
        msg = (
            f"{detail['followers']} abonnés, moins que le minimum {detail['min_followers']}."
            if fr
            else f"{detail['followers']} followers, fewer than the minimum "
            f"{detail['min_followers']}."
        )
    elif code == "country":
        msg = (
            f"Audience hors des pays demandés ({_fmt_list(detail['requested'])})."
            if fr
            else f"Audience outside the requested countries ({_fmt_list(detail['requested'])})."
        )
    else:  # pragma: no cover - every code above is produced by the index
        msg = code
    return FilterReason(code=code, message=msg, detail=detail)
