"""Sentences for people, in the brief's language (FR or EN)."""

from __future__ import annotations

from matching.models import FilterReason
from matching.scoring import AFFINITY_FLOOR, AFFINITY_FULL, AFFINITY_MATCH, PENALTY_BELOW
from matching.taxonomy import Taxonomy

_PENALTIES = {
    "en": {
        "audience": "a weak audience fit for this brief",
        "countries": "an audience covering only part of the requested countries",
        "budget": "a budget far above this creator's usual fee",
        "track_record": "no completed deals yet",
        "language": "does not speak the language of the brief",
    },
    "fr": {
        "audience": "une audience peu adaptée à cette demande",
        "countries": "une audience qui ne couvre qu'une partie des pays demandés",
        "budget": "un budget très au-dessus de son tarif habituel",
        "track_record": "aucune collaboration terminée pour l'instant",
        "language": "ne parle pas la langue de la demande",
    },
}


def _join(items: list[str], lang: str) -> str:
    conj = " et " if lang == "fr" else " and "
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + conj + items[-1]


# An affinity from here on is worth saying when no concept is shared: the affinity at which a
# creator sharing no concept is a match on its words (AFFINITY_MATCH, read on the score's scale).
CLOSE_IN_WORDS = (AFFINITY_MATCH - AFFINITY_FLOOR) / (AFFINITY_FULL - AFFINITY_FLOOR)


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
    close = components.get("affinity", 0.0) >= CLOSE_IN_WORDS
    head = _head(lang, shared_l, related_l, close)
    if lang == "fr":
        tail = f" ; pénalité : {_join(penalties, lang)}." if penalties else ", sans pénalité."
    else:
        tail = f"; penalty: {_join(penalties, lang)}." if penalties else ", with no penalty."
    return head + tail


def _head(lang: str, shared: list[str], related: list[str], close: bool) -> str:
    """What the match shares: concepts by label, else related ones, else close words."""
    if lang == "fr":
        if shared:
            head = f"Partage les valeurs {_join(shared, lang)} avec la marque"
            if related:
                head += f", et s'en rapproche sur {_join(related, lang)}"
            return head
        if related:
            return f"Proche des valeurs {_join(related, lang)} de la marque sans les partager"
        if close:
            return "Proche de la marque par ce qu'il écrit, sans valeur reconnue en commun"
        return "Ne partage aucune des valeurs demandées par la marque"
    if shared:
        head = f"Shares {_join(shared, lang)} with the brand"
        if related:
            head += f", and is close on {_join(related, lang)}"
        return head
    if related:
        return f"Close to the brand's values {_join(related, lang)} without sharing them"
    if close:
        return "Close to the brand in what it writes, with no recognised value in common"
    return "Shares none of the values the brand asked for"


def _fmt_list(items) -> str:
    return ", ".join(str(i) for i in items)


def _messages(fr: bool, taxonomy: Taxonomy, d: dict) -> dict:
    """code -> a function giving its message in French (fr) or English."""
    lang = "fr" if fr else "en"

    def lab(slugs) -> str:
        return _fmt_list(taxonomy.label(s, lang) for s in slugs)

    def refused() -> str:
        """The practices refused, then the names (a dealbreaker no concept covers)."""
        named = [f"« {n} »" if fr else f'"{n}"' for n in d.get("names", ())]
        return _fmt_list([taxonomy.label(s, lang) for s in d["practices"]] + named)

    def pairs() -> str:
        return "; ".join(
            f"{taxonomy.label(v, lang)} / {taxonomy.label(p, lang)}" for v, p in d["conflicts"]
        )

    def fee() -> str:
        if fr:
            return f"Budget {d['budget']} inférieur au tarif minimum {d['min_fee']} ({d['token']})."
        return (
            f"Budget {d['budget']} is below the creator's minimum fee {d['min_fee']} "
            f"({d['token']})."
        )

    def asked() -> str:
        return _fmt_list(d["requested"])

    if fr:
        return {
            "dealbreaker": lambda: f"Le créateur refuse explicitement : {refused()}.",
            "value_conflict": lambda: (
                f"Les valeurs du créateur s'opposent aux pratiques de la marque ({pairs()})."
            ),
            "token_not_accepted": lambda: f"Le créateur n'accepte pas le jeton {d['token']}.",
            "below_min_fee": fee,
            "language": lambda: f"Aucune langue en commun (demandées : {asked()}).",
            "platform": lambda: f"Absent des plateformes demandées ({asked()}).",
            "followers": lambda: (
                f"{d['followers']} abonnés, moins que le minimum {d['min_followers']}."
            ),
            "country": lambda: f"Audience hors des pays demandés ({asked()}).",
            "no_shared_value": lambda: (
                f"Aucune valeur en commun avec la demande ({lab(d['requested'])})."
            ),
        }
    return {
        "dealbreaker": lambda: f"The creator refuses: {refused()}.",
        "value_conflict": lambda: (
            f"The creator's values conflict with the brand's practices ({pairs()})."
        ),
        "token_not_accepted": lambda: f"The creator does not accept payment in {d['token']}.",
        "below_min_fee": fee,
        "language": lambda: f"No shared language (requested: {asked()}).",
        "platform": lambda: f"Not present on the requested platforms ({asked()}).",
        "followers": lambda: (
            f"{d['followers']} followers, fewer than the minimum {d['min_followers']}."
        ),
        "country": lambda: f"Audience outside the requested countries ({asked()}).",
        "no_shared_value": lambda: f"No value in common with the brief ({lab(d['requested'])}).",
    }


def reason(code: str, lang: str, taxonomy: Taxonomy, **detail) -> FilterReason:
    """A :class:`FilterReason` with its message in ``lang``."""
    message = _messages(lang == "fr", taxonomy, detail)[code]()
    return FilterReason(code=code, message=message, detail=detail)
