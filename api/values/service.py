"""Reading people's phrases into stored interpretations, and the slug lists derived from them.

A profile keeps both: the phrases as written with their readings (so the person can see and
correct how they were understood) and the slugs the matching engine reads. The slugs are always
derived from the readings here, never taken from the client directly.
"""

from __future__ import annotations

from collections.abc import Iterable

from api.values.models import StoredPhrase
from matching import Interpretation, detect_language, interpret, load_taxonomy
from matching.interpret import BY_NAME, Role, loose, spared
from matching.taxonomy import LANGS


def profile_language(languages: Iterable[str]) -> str:
    """The language a creator's phrases default to: the first of its languages we read."""
    return next((lang for lang in languages if lang in LANGS), "en")


def phrase_language(text: str, *, default: str) -> str:
    """French when the phrase reads French, otherwise the profile's language: a short phrase
    ("vegan", "cruelty-free") carries no evidence of its own, and its author then expects the
    labels of the language they use."""
    return "fr" if detect_language(text) == "fr" else default


def stored(interpretation: Interpretation) -> StoredPhrase:
    return {
        "text": interpretation.text,
        "lang": interpretation.lang,
        "concepts": [
            {"slug": slug, "confidence": float(confidence)}
            for slug, confidence in interpretation.concepts
        ],
        "negated": interpretation.negated,
        "understood": interpretation.understood,
        "reason": interpretation.reason,
    }


def read_phrases(texts: Iterable[str], *, role: Role, lang: str) -> list[StoredPhrase]:
    """Each distinct phrase read once, in the order written (a repeated phrase is kept once).

    ``role`` "value" maps to causes (a negated value such as "sans huile de palme" becomes the
    cause that fights it); "practice" and "dealbreaker" map to practices (a dealbreaker's
    "no alcohol" names what it refuses)."""
    return [
        stored(interpret(text, lang=phrase_language(text, default=lang), role=role))
        for text in dict.fromkeys(texts)
    ]


def concept_weights(phrases: Iterable[StoredPhrase]) -> dict[str, float]:
    """Concepts the phrases assert, each with its best confidence, in the order first met.

    A negated phrase asserts nothing: "no palm oil" is not a practice of the brand that
    writes it. (Read as a dealbreaker, "no palm oil" is not negated: it refuses palm oil.)"""
    weights: dict[str, float] = {}
    for phrase in phrases:
        if phrase["negated"]:
            continue
        for slug, confidence in _pairs(phrase):
            weights[slug] = max(weights.get(slug, 0.0), confidence)
    return weights


def brand_targets(weights: dict[str, float]) -> list[str]:
    """The brand's values (slug -> confidence, :func:`concept_weights`) a brief that names
    none targets: its causes, and the practices it names outright. A practice read only by
    meaning ("modern romance", 0.74 from the pharmaceutical industry) would be held against
    the brief as the brand's practice: it is left out."""
    taxonomy = load_taxonomy()
    return [
        slug
        for slug, confidence in weights.items()
        if taxonomy.get(slug).kind == "cause" or confidence >= BY_NAME
    ]


def denied_slugs(phrases: Iterable[StoredPhrase]) -> list[str]:
    """Concepts the negated phrases deny: a brand's "bières 0,0% alcool" denies alcohol."""
    out: dict[str, None] = {}
    for phrase in phrases:
        if phrase["negated"]:
            out.update((concept["slug"], None) for concept in phrase["concepts"])
    return list(out)


def held_practices(practices: Iterable[str], phrases: Iterable[StoredPhrase]) -> list[str]:
    """The practices a brand's phrases state firmly enough to be held against it: a phrase read
    only by meaning, below HELD_CONFIDENCE ("resale of pre-loved clothing" at 0.55 as fast
    fashion), still counts through the brief's words, as a loose value does, but trips no
    dealbreaker and no value's refusal."""
    unsure = loose(concept_weights(phrases))
    return [slug for slug in practices if slug not in unsure]


def spared_practices(
    value_phrases: Iterable[StoredPhrase], dealbreaker_phrases: Iterable[StoredPhrase]
) -> dict[str, str]:
    """Practices a creator's dealbreakers name only in a narrower form than its values embrace
    them ("crypto scams" next to "bitcoin"): slug -> the value phrase (see
    :func:`matching.interpret.spared`). They trip no dealbreaker by concept."""
    return spared(
        ((p["text"], _pairs(p), p["negated"]) for p in value_phrases),
        ((p["text"], _pairs(p)) for p in dealbreaker_phrases),
    )


def with_spared(
    value_phrases: list[StoredPhrase], dealbreaker_phrases: list[StoredPhrase]
) -> list[StoredPhrase]:
    """The dealbreaker phrases as their author sees them: one whose concepts are all spared
    says so in its reason."""
    spare = spared_practices(value_phrases, dealbreaker_phrases)
    out = []
    for phrase in dealbreaker_phrases:
        slugs = [s for s, _ in _pairs(phrase)]
        if slugs and all(s in spare for s in slugs):
            values = ", ".join(dict.fromkeys(f'"{spare[s]}"' for s in slugs))
            note = f"narrower than what your values embrace ({values}): it refuses by name only"
            phrase = {**phrase, "reason": f"{phrase.get('reason', '')}; {note}"}
        out.append(phrase)
    return out


def refused_practices(
    value_phrases: list[StoredPhrase], dealbreaker_phrases: list[StoredPhrase], slugs: list[str]
) -> tuple[list[str], list[tuple[str, bool]]]:
    """What a creator's dealbreakers refuse: the practices of ``slugs`` (those derived from the
    dealbreaker phrases) that are not spared, and each phrase as (text, refuses by concept) for
    :func:`matching.names.names_refused` (a phrase whose every concept is spared is kept as
    names, as one not understood is)."""
    spare = spared_practices(value_phrases, dealbreaker_phrases)
    phrases = [
        (p["text"], p.get("understood", True) and any(s not in spare for s, _ in _pairs(p)))
        for p in dealbreaker_phrases
    ]
    return [s for s in slugs if s not in spare], phrases


def _pairs(phrase: StoredPhrase) -> list[tuple[str, float]]:
    return [(c["slug"], float(c["confidence"])) for c in phrase["concepts"]]


def concept_slugs(phrases: Iterable[StoredPhrase]) -> list[str]:
    return list(concept_weights(phrases))


def read_fields(fields: dict, roles: dict[str, tuple[Role, str]], *, lang: str) -> dict:
    """``fields`` with each phrase field named in ``roles`` (field -> (role, phrase column))
    replaced by what is stored: the phrases with their readings in the phrase column, and the
    slugs derived from them in the field itself (causes of value phrases; practices of
    practice phrases that are not negated, so "no palm oil" never makes palm oil a practice)."""
    out = dict(fields)
    for field, (role, column) in roles.items():
        if field in fields:
            phrases = read_phrases(fields[field], role=role, lang=lang)
            out[column], out[field] = phrases, concept_slugs(phrases)
    return out
