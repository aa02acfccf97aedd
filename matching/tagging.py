"""Free text (FR or EN) -> weighted taxonomy values.

How it works, in order:

1. Tokens are folded (case, accents), stemmed (plural, feminine, -ing/-ed), stopwords dropped.
   Hashtags are looked up whole (``#crueltyfree``), else split on camel case (``#CrueltyFree``)
   or segmented into known words (``#sanscruaute`` -> sans cruaute).
2. Phrases of the taxonomy (synonyms, "problem" phrases such as "homophobia", and blocker
   phrases such as "au fur et à mesure" that mean nothing) are matched longest-first through a
   trie. Negation cues inside a phrase may be skipped ("ne teste *pas* sur les animaux").
3. A match is negated by a cue inside it, by a prefix cue at most three words before it in the
   same clause ("we never use fur"), by a postfix cue ("palm oil free"), or by being listed right
   after a negated match ("without animal testing, fur or leather").
4. A negated practice yields the cause its negation implies ("not tested on animals" ->
   cruelty-free, never animal-testing); a negated cause yields nothing; a problem phrase yields
   its cause whatever the negation ("against homophobia" -> lgbtq-rights).
5. Single-word synonyms only match in their own language once the language is known
   ("fur" is not matched in French text, where "au fur et à mesure" is common). Phrases and
   hashtags match in both.

Weights: a value mentioned as often as the most mentioned one gets 1.0; one mentioned once when
another is mentioned ``m`` times gets ``0.5 + 0.5 / m``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from matching.taxonomy import LANGS, Taxonomy, load_taxonomy
from matching.text import (
    CLAUSE_WORDS,
    COORDINATORS,
    CUES,
    LEXICON,
    NOT_SUFFIXED,
    POSTFIX_CUES,
    PREFIX_CUES,
    STOPWORDS,
    normalize_phrase,
    raw_tokens,
    squash,
    stem,
    written_form,
)

PREFIX_WINDOW = 3  # words a prefix negation cue may stand before what it negates

_FR_MARKERS = frozenset(LEXICON["language_markers_fr"])
_EN_MARKERS = frozenset(LEXICON["language_markers_en"])
_FR_LETTERS = frozenset("éèêëàâçùûôîïœ")

# Everyday words that show up glued to values in hashtags (#veganfood, #zerowastelife).
_HASHTAG_WORDS = frozenset(LEXICON["hashtag_words"])


@dataclass(frozen=True)
class _Phrase:
    slug: str | None  # None: a blocker phrase, consumed but meaning nothing
    role: str  # "synonym" | "problem" | "blocker"
    langs: frozenset[str]
    # the phrase starts with a negation cue ("without animal testing"): what is listed right
    # after it is negated too
    opens_negation: bool = False
    # A phrase of several words that only one word of stands for, once the small words are
    # dropped ("machines à sous", "well-being", "fait main"): the text must hold one of these
    # word sequences as written, or the one word alone would mean it ("machines à café" is
    # not gambling, "well known" not wellbeing). Empty: no such condition.
    written: frozenset[str] = frozenset()
    # Phrases of that kind that share this one's word and are read in its place where the text
    # holds them as written: "De Beers" (a blocker) where "beers" is alcohol.
    instead: tuple[_Phrase, ...] = ()


@dataclass
class _Item:
    kind: str  # "w" word, "c" negation cue, "b" clause boundary, "," comma, "t" hashtag value
    stem: str = ""
    raw: str = ""
    coord: bool = False  # a comma or a coordinator ("or", "et") stands right before it
    slug: str | None = None


@dataclass
class _Hit:
    phrase: _Phrase
    start: int
    end: int  # exclusive
    inner_cue: bool
    negated: bool = False
    by_external_cue: bool = False


class _Lexicon:
    def __init__(self, taxonomy: Taxonomy):  # noqa: C901 - builds the lexicon from every kind of term in one pass
        self.taxonomy = taxonomy
        self.trie: dict = {}
        self.hashtags: dict[str, str] = {}
        self.words: set[str] = set(STOPWORDS) | set(CUES) | set(_HASHTAG_WORDS)
        for e in taxonomy.entries:
            for role, table in (("synonym", e.synonyms), ("problem", e.problems)):
                for lang in LANGS:
                    for phrase in table.get(lang, []):
                        self._add(phrase, e.slug, role, lang)
            for lang in LANGS:
                self._add(e.labels[lang], e.slug, "synonym", lang)
            for h in e.hashtags:
                self.hashtags.setdefault(squash(h), e.slug)
        for lang, phrases in taxonomy.blockers.items():
            for phrase in phrases:
                self._add(phrase, None, "blocker", lang)
        for e in taxonomy.entries:  # whole synonyms written as one hashtag: #bodypositive
            for lang in LANGS:
                for s in e.synonyms.get(lang, []):
                    self.hashtags.setdefault(squash(s), e.slug)

    def _add(self, phrase: str, slug: str | None, role: str, lang: str) -> None:
        toks = normalize_phrase(phrase)
        if not toks:
            return
        for raw in raw_tokens(phrase):
            if raw != "." and not raw.startswith("#"):
                self.words.add(raw)
        node = self.trie
        for t in toks:
            node = node.setdefault(t, {})
        opens = raw_tokens(phrase)[0] in PREFIX_CUES
        written = written_form(phrase)
        written = frozenset() if written is None else frozenset({written})
        new = _Phrase(slug, role, frozenset({lang}), opens, written)
        prev: _Phrase | None = node.get(None)
        if prev is None:
            node[None] = new
        elif prev.slug == slug and prev.role == role:
            # one form without the condition lifts it: that one word alone says it
            both = prev.written | written if prev.written and written else frozenset()
            opens = prev.opens_negation or opens
            langs = prev.langs | {lang}
            node[None] = replace(prev, langs=langs, opens_negation=opens, written=both)
        elif written and not prev.written:
            node[None] = replace(prev, instead=(*prev.instead, new))
        elif prev.written and not written:
            node[None] = replace(new, instead=(replace(prev, instead=()), *prev.instead))

    def segment(self, chunk: str) -> list[str] | None:
        """Split a glued hashtag into known words, fewest pieces first; None if impossible."""
        n = len(chunk)
        best: list[tuple[int, int] | None] = [None] * (n + 1)
        best[0] = (0, 0)
        for i in range(1, n + 1):
            for j in range(max(0, i - 24), i):
                if best[j] is None:
                    continue
                piece = chunk[j:i]
                if piece in self.words or (piece.endswith("s") and piece[:-1] in self.words):
                    cand = (best[j][0] + 1, j)
                    if best[i] is None or cand[0] < best[i][0]:
                        best[i] = cand
        if best[n] is None:
            return None
        pieces, i = [], n
        while i > 0:
            j = best[i][1]
            pieces.append(chunk[j:i])
            i = j
        return pieces[::-1]


@cache
def _lexicon(taxonomy: Taxonomy) -> _Lexicon:
    return _Lexicon(taxonomy)


def _language_scores(text: str) -> tuple[float, float]:
    words = [w for w in raw_tokens(text) if w[0] != "#" and w not in ".,"]
    fr = sum(1 for w in words if w in _FR_MARKERS)
    en = sum(1 for w in words if w in _EN_MARKERS)
    fr += 0.5 * min(6, sum(1 for ch in text.lower() if ch in _FR_LETTERS))
    return fr, en


def detect_language(text: str) -> str:
    """'fr' or 'en', from stopword counts and French accents; 'en' when there is no evidence."""
    fr, en = _language_scores(text)
    return "fr" if fr > en else "en"


def _known_language(text: str) -> str | None:
    fr, en = _language_scores(text)
    if fr == en:
        return None
    return "fr" if fr > en else "en"


def _items(tokens: list[str], lex: _Lexicon) -> list[_Item]:  # noqa: C901 - a tokenizer: its branches are the grammar
    items: list[_Item] = []
    coord = False
    before = ""  # the word before this one, small words included

    def push(item: _Item) -> None:
        nonlocal coord
        item.coord = coord
        coord = False
        items.append(item)

    def word(raw: str) -> None:
        nonlocal coord, before
        previous, before = before, raw
        if raw in COORDINATORS:
            coord = True
        if raw in STOPWORDS and raw not in CUES:
            return
        if raw in CLAUSE_WORDS:
            push(_Item("b"))
        elif raw in CUES and not (raw in POSTFIX_CUES and previous in NOT_SUFFIXED):
            push(_Item("c", stem(raw), raw))
        else:
            push(_Item("w", stem(raw), raw))

    for raw in tokens:
        if raw == ".":
            push(_Item("b"))
        elif raw == ",":
            push(_Item(","))
            coord = True
        elif raw.startswith("#"):
            body = raw[1:]
            push(_Item("b"))
            slug = lex.hashtags.get(squash(body))
            if slug is not None:
                push(_Item("t", slug=slug))
            else:
                parts = [p for p in body.split("_") if p]
                if len(parts) == 1:
                    parts = lex.segment(parts[0]) or parts
                for p in parts:
                    word(p)
            push(_Item("b"))
        else:
            word(raw)
    return items


def _longest(items: list[_Item], i: int, trie: dict) -> tuple[_Phrase, int, bool] | None:
    """Longest phrase starting at ``i``; cues not part of the phrase may be skipped inside it."""
    best: tuple[_Phrase, int, bool] | None = None
    # depth-first over (node, position, skipped-a-cue, last-step-was-a-skip)
    stack = [(trie, i, False, False)]
    while stack:
        node, j, skipped, last_skip = stack.pop()
        if None in node and j > i and not last_skip:
            phrase = node[None]
            if best is None or j > best[1] or (j == best[1] and best[2] and not skipped):
                best = (phrase, j, skipped)
        if j >= len(items):
            continue
        item = items[j]
        if item.kind in ("w", "c"):
            child = node.get(item.stem)
            if child is not None:
                stack.append((child, j + 1, skipped, False))
            if item.kind == "c" and node is not trie:
                stack.append((node, j + 1, True, True))
    return best


def _overtaken(items: list[_Item], i: int, end: int, lex: _Lexicon) -> bool:
    """A longer phrase starts inside [i, end) and runs past it: "sacs en *cuir végétal*"."""
    for j in range(i + 1, end):
        other = _longest(items, j, lex.trie)
        if other is not None and other[1] > end and other[1] - j > end - i:
            return True
    return False


def _written(tokens: list[str]) -> str:
    """A text's words (its ``tokens``) as :func:`matching.text.written_form` writes a
    phrase's, padded."""
    return " " + " ".join(t for t in tokens if t not in ".,") + " "


def _held(phrase: _Phrase, written: str) -> bool:
    """Whether the text (its words, :func:`_written`) holds one of the ways ``phrase`` must be
    written (_Phrase.written)."""
    return any(f" {w} " in written for w in phrase.written)


def _hits(items: list[_Item], lex: _Lexicon, lang: str | None, written: str = "") -> list[_Hit]:
    """The phrases named in ``items``; ``written`` is the text's words (:func:`_written`),
    which a phrase that must be written as is (_Phrase.written) is looked for in."""
    hits: list[_Hit] = []
    i = 0
    while i < len(items):
        item = items[i]
        if item.kind == "t":
            hits.append(_Hit(_Phrase(item.slug, "synonym", frozenset(LANGS)), i, i + 1, False))
            i += 1
            continue
        if item.kind in ("b", ","):
            i += 1
            continue
        found = _longest(items, i, lex.trie)
        if found is not None:
            phrase, end, skipped = found
            phrase = next((alt for alt in phrase.instead if _held(alt, written)), phrase)
            single_word = end - i == 1
            other_language = single_word and lang is not None and lang not in phrase.langs
            if other_language or (phrase.written and not _held(phrase, written)):
                found = None
        if found is None or _overtaken(items, i, end, lex):
            i += 1
            continue
        hits.append(_Hit(phrase, i, end, skipped))
        i = end
    return hits


def _apply_negation(items: list[_Item], hits: list[_Hit], tax: Taxonomy) -> None:  # noqa: C901 - the negation scope rules, read together
    owner: list[_Hit | None] = [None] * len(items)
    for h in hits:
        for k in range(h.start, h.end):
            owner[k] = h
    prev: _Hit | None = None
    for h in hits:
        negated = h.inner_cue
        external = False
        # A prefix cue in the same clause (commas close it too), at most PREFIX_WINDOW items
        # back. The scope runs through values that cue already negated ("alternatives
        # végétales à la viande") but stops at any other value.
        k, seen = h.start - 1, 0
        while k >= 0 and not negated and seen < PREFIX_WINDOW:
            it = items[k]
            if it.kind in ("b", ",", "t"):
                break
            other = owner[k]
            if other is not None:
                if not other.by_external_cue:
                    break
                k = other.start - 1
                seen += 1
                continue
            if it.kind == "c" and it.raw in PREFIX_CUES:
                negated = external = True
                break
            seen += 1
            k -= 1
        # postfix cue right after: "palm oil free"
        if not negated and h.end < len(items):
            it = items[h.end]
            if it.kind == "c" and it.raw in POSTFIX_CUES and owner[h.end] is None:
                negated = external = True
                owner[h.end] = h
        # a practice listed after a negated practice: "without animal testing, fur or leather"
        if (
            not negated
            and prev is not None
            and h.phrase.role == "synonym"
            and h.phrase.slug is not None
            and tax.get(h.phrase.slug).kind == "practice"
            and (prev.by_external_cue or prev.phrase.opens_negation)
            and all(items[k].kind == "," for k in range(prev.end, h.start))
            and (items[h.start].coord or prev.end < h.start)
        ):
            negated = external = True
        h.negated = negated
        h.by_external_cue = external
        prev = h
    _spread_absence(items, hits, tax)


def _spread_absence(items: list[_Item], hits: list[_Hit], tax: Taxonomy) -> None:
    """A product named next to the absence of what makes it that product is its absent form.
    Two neighbouring hits in one clause of one family of practices (one covers the other) take
    one polarity, the negated one: "cocktails sans alcool", "spiritueux sans alcool", "bières
    0,0% alcool" (the "0" already spent on "bières"). A cause that is the absence of a practice,
    right before it, negates it: "alcohol-free spirits", "dairy-free cheese"."""
    for a, b in zip(hits, hits[1:], strict=False):
        if a.phrase.slug is None or b.phrase.slug is None or b.phrase.role != "synonym":
            continue
        if any(items[k].kind in ("b", ",") for k in range(a.end, b.start)):
            continue
        ka, kb = tax.get(a.phrase.slug).kind, tax.get(b.phrase.slug).kind
        if ka == kb == "practice" and a.negated != b.negated and a.phrase.role == "synonym":
            # one family: the same practice, or one covering the other
            if a.phrase.slug in tax.covered(b.phrase.slug) or b.phrase.slug in tax.covered(
                a.phrase.slug
            ):
                a.negated = b.negated = True
        elif ka == "cause" and kb == "practice" and not a.negated and not b.negated:
            absent = {p for s in tax.absence(a.phrase.slug) for p in tax.covered(s)}
            if b.start == a.end and not items[b.start].coord and b.phrase.slug in absent:
                b.negated = True


def tag_text(
    text: str, lang: str | None = None, *, taxonomy: Taxonomy | None = None
) -> dict[str, float]:
    """Taxonomy values named in ``text``: ``{slug: weight}``, weights in (0, 1], heaviest first.

    ``lang`` ('fr' or 'en') skips language detection; it only matters for single-word
    synonyms, which match in their own language only.
    """
    if not text or not text.strip():
        return {}
    tax = taxonomy or load_taxonomy()
    lex = _lexicon(tax)
    if lang is not None and lang not in LANGS:
        raise ValueError(f"lang must be 'fr' or 'en', not {lang!r}")
    language = lang or _known_language(text)
    tokens = raw_tokens(text)
    items = _items(tokens, lex)
    hits = _hits(items, lex, language, _written(tokens))
    _apply_negation(items, hits, tax)
    counts: dict[str, int] = {}
    for h in hits:
        slug = h.phrase.slug
        if slug is None:
            continue
        if h.phrase.role == "synonym" and h.negated:
            entry = tax.get(slug)
            slug = entry.negation if entry.kind == "practice" else None
            if slug is None:
                continue
        counts[slug] = counts.get(slug, 0) + 1
    if not counts:
        return {}
    top = max(counts.values())
    weights = {s: (1.0 if c == top else 0.5 + 0.5 * c / top) for s, c in counts.items()}
    return dict(sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])))
