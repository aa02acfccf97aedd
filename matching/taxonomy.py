"""The value taxonomy: causes creators defend and practices brands may have.

The data lives in ``matching/data/taxonomy.json``; this module loads it, checks it, and answers
"which slug does this word mean" (:meth:`Taxonomy.resolve`).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from matching.text import fold, normalize_phrase, squash, written_form

Kind = Literal["cause", "practice"]
LANGS = ("fr", "en")


class UnknownValueError(ValueError):
    """A term that is neither a slug nor a label nor a synonym of the taxonomy.

    ``term`` and ``suggestions`` describe the first unknown term; ``unknown`` maps every
    unknown term (in input order) to its suggestions, for :meth:`Taxonomy.resolve_many`.
    """

    def __init__(self, unknown: dict[str, list[str]]):
        self.unknown = dict(unknown)
        self.term, self.suggestions = next(iter(self.unknown.items()))
        parts = []
        for term, suggestions in self.unknown.items():
            hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
            parts.append(f"{term!r}{hint}")
        super().__init__("unknown value: " + "; ".join(parts))


@dataclass(frozen=True)
class ValueEntry:
    slug: str
    kind: Kind
    labels: dict[str, str]
    synonyms: dict[str, list[str]]
    parents: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    # Phrases naming the problem a cause fights ("homophobia"): they tag the cause whether
    # or not they are negated ("against homophobia").
    problems: dict[str, list[str]] = field(default_factory=dict)
    # For a practice: the cause its negation implies ("not tested on animals" -> cruelty-free).
    negation: str | None = None
    # One sentence per language saying what the concept covers: shown to people and embedded
    # with the labels, so a phrase that names no synonym can still land on the right concept.
    descriptions: dict[str, str] = field(default_factory=dict)
    # For a practice: the narrower practices a refusal of it refuses too ("anything of animal
    # origin" refuses meat, dairy, wool...; "crypto" refuses NFTs; "wool" refuses mulesing).
    covers: list[str] = field(default_factory=list)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["en"]


class Taxonomy:
    """Entries plus the derived lookups: parents, inherited conflicts, term index."""

    def __init__(self, entries: list[ValueEntry], blockers: dict[str, list[str]] | None = None):
        self.entries = list(entries)
        self.blockers = blockers or {}
        self._blocked = frozenset(
            _blocker_key(p) for phrases in self.blockers.values() for p in phrases
        )
        self._by_slug = {e.slug: e for e in self.entries}
        if len(self._by_slug) != len(self.entries):
            raise ValueError("duplicate slug in taxonomy")
        self._check()
        self.slugs = [e.slug for e in self.entries]
        self.causes = [e.slug for e in self.entries if e.kind == "cause"]
        self.practices = [e.slug for e in self.entries if e.kind == "practice"]
        self._children: dict[str, list[str]] = {s: [] for s in self.slugs}
        for e in self.entries:
            for p in e.parents:
                self._children[p].append(e.slug)
        self._refusals = {s: frozenset(self._compute_refusals(s)) for s in self.slugs}
        self._covered = {s: frozenset(self._compute_covered(s)) for s in self.slugs}
        self._absence = {s: tuple(self._compute_absence(s)) for s in self.slugs}
        self._terms = self._build_term_index()

    # -- checks and derived relations -------------------------------------------------------
    def _check(self) -> None:  # noqa: C901 - one check per rule of the taxonomy file, each with its message
        for e in self.entries:
            if e.kind not in ("cause", "practice"):
                raise ValueError(f"{e.slug}: bad kind {e.kind!r}")
            for lang in LANGS:
                if not e.labels.get(lang):
                    raise ValueError(f"{e.slug}: missing {lang} label")
            if e.descriptions and sorted(e.descriptions) != sorted(LANGS):
                raise ValueError(f"{e.slug}: descriptions need exactly {' and '.join(LANGS)}")
            for lang, text in e.descriptions.items():
                if not isinstance(text, str) or not text.strip():
                    raise ValueError(f"{e.slug}: empty {lang} description")
            for p in e.parents:
                if p not in self._by_slug or self._by_slug[p].kind != "cause":
                    raise ValueError(f"{e.slug}: unknown parent {p!r}")
            # Causes and practices never mix: a dealbreaker (a practice) must only ever meet
            # practices, so only a cause may refuse one, and a practice sits in no hierarchy.
            if e.kind == "practice" and (e.parents or e.conflicts):
                raise ValueError(f"{e.slug}: a practice has no parents or conflicts")
            for c in e.covers:
                if e.kind != "practice" or c not in self._by_slug or c == e.slug:
                    raise ValueError(f"{e.slug}: covers {c!r}: a practice covers other practices")
                if self._by_slug[c].kind != "practice":
                    raise ValueError(f"{e.slug}: covers {c!r}, which is not a practice")
            for c in e.conflicts:
                if c not in self._by_slug or self._by_slug[c].kind != "practice":
                    raise ValueError(f"{e.slug}: conflict {c!r} is not a practice")
            if e.negation is not None and e.negation not in self._by_slug:
                raise ValueError(f"{e.slug}: unknown negation target {e.negation!r}")
            if e.negation is not None and (
                e.kind != "practice" or self._by_slug[e.negation].kind != "cause"
            ):
                raise ValueError(f"{e.slug}: only a practice negates, into a cause")
        self._check_terms_unambiguous()
        for e in self.entries:  # no cycles in the parent graph
            seen, stack = set(), list(e.parents)
            while stack:
                p = stack.pop()
                if p == e.slug:
                    raise ValueError(f"parent cycle through {e.slug}")
                if p not in seen:
                    seen.add(p)
                    stack.extend(self._by_slug[p].parents)

    def _check_terms_unambiguous(self) -> None:
        """Refuse a term that two concepts claim, in any of the forms lookups compare.

        The term index and the tagger both keep the first concept that claims a form, so a
        shared synonym ("running" in a sport and in its parent) silently means whichever comes
        first in the file. Blocker phrases mean nothing, so they may not be terms either.
        """
        owner: dict[str, tuple[str, str]] = {}
        for slug, term, kinds in self._terms_of_entries():
            for key in _forms(term, kinds):
                first = owner.setdefault(key, (slug, term))
                if first[0] != slug:
                    raise ValueError(f"{term!r} of {slug} is also {first[1]!r} of {first[0]}")
        for phrase in (p for phrases in self.blockers.values() for p in phrases):
            # one read only as written ("De Beers") is not its one word ("beers")
            for key in _forms(phrase, ("f",) if written_form(phrase) else ("f", "n")):
                if key in owner:
                    raise ValueError(f"blocker {phrase!r} is a term of {owner[key][0]}")

    def _terms_of_entries(self) -> Iterator[tuple[str, str, tuple[str, ...]]]:
        """(slug, term, forms compared) for every slug, label, synonym, problem and hashtag."""
        for e in self.entries:
            yield e.slug, e.slug, ("f", "n", "s")
            for lang in LANGS:
                for term in [e.labels[lang], *e.problems.get(lang, [])]:
                    yield e.slug, term, ("f", "n", "s")
                for term in e.synonyms.get(lang, []):
                    yield e.slug, term, _synonym_forms(term)
            for h in e.hashtags:
                yield e.slug, h, ("s",)

    def ancestors(self, slug: str) -> list[str]:
        """Every ancestor of ``slug``, nearest first, without duplicates."""
        out: list[str] = []
        frontier = list(self._by_slug[slug].parents)
        while frontier:
            nxt = []
            for p in frontier:
                if p not in out:
                    out.append(p)
                    nxt.extend(self._by_slug[p].parents)
            frontier = nxt
        return out

    def children(self, slug: str) -> list[str]:
        return list(self._children[slug])

    def _compute_refusals(self, slug: str) -> set[str]:
        # A value's conflicts are inherited by its descendants: a vegan creator (veganism is a
        # child of animal-welfare) refuses fur and animal testing too.
        out = set(self._by_slug[slug].conflicts)
        for a in self.ancestors(slug):
            out.update(self._by_slug[a].conflicts)
        return out

    def refusals(self, slug: str) -> frozenset[str]:
        """Practices a creator holding ``slug`` implicitly refuses (own and inherited)."""
        return self._refusals[slug]

    def _compute_covered(self, slug: str) -> set[str]:
        out, stack = {slug}, list(self._by_slug[slug].covers)
        while stack:
            c = stack.pop()
            if c not in out:
                out.add(c)
                stack.extend(self._by_slug[c].covers)
        return out

    def covered(self, slug: str) -> frozenset[str]:
        """What a dealbreaker on ``slug`` refuses: the practice and every one it covers."""
        return self._covered[slug]

    def _compute_absence(self, slug: str) -> list[str]:
        entry = self._by_slug[slug]
        out = [e.slug for e in self.entries if e.kind == "practice" and e.negation == slug]
        if not out and entry.kind == "cause":
            kin = set(self.ancestors(slug))
            out = [p for p in entry.conflicts if self._by_slug[p].negation in kin]
        return out

    def absence(self, slug: str) -> tuple[str, ...]:
        """The practices a cause is the absence of: those whose negation it is ("cruelty-free":
        animal testing), else those it fights whose negation is a cause it belongs to
        ("alcohol-free": alcohol, whose negation is sobriety). Empty for a topic ("sport")."""
        return self._absence[slug]

    # -- lookups ----------------------------------------------------------------------------
    def get(self, slug: str) -> ValueEntry:
        return self._by_slug[slug]

    def is_blocker(self, text: str) -> bool:
        """Whether ``text`` is, as a whole, a blocker phrase ("deal hunting", "team spirit"):
        everyday words that look like a value and name none."""
        return _blocker_key(text) in self._blocked

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    def __len__(self) -> int:
        return len(self.entries)

    def label(self, slug: str, lang: str = "en") -> str:
        return self._by_slug[slug].label(lang)

    def _build_term_index(self) -> dict[str, str]:  # noqa: C901 - one index over slugs, labels, synonyms and hashtags
        """Normalised term -> slug, for slugs, labels, synonyms and hashtags in both languages.

        Three normal forms are indexed: folded text, stemmed content tokens, squashed. When two
        entries claim the same form the first one (file order) wins; slugs and labels are
        indexed before synonyms so they always win.
        """
        index: dict[str, str] = {}

        def add(term: str, slug: str, kinds: tuple[str, ...] = ("f", "n", "s")) -> None:
            for key in _forms(term, kinds):
                index.setdefault(key, slug)

        for e in self.entries:
            add(e.slug, e.slug)
        for e in self.entries:
            for lang in LANGS:
                add(e.labels[lang], e.slug)
        for e in self.entries:
            for lang in LANGS:
                for s in e.synonyms.get(lang, []):
                    add(s, e.slug, _synonym_forms(s))
            for h in e.hashtags:
                add(h, e.slug, ("s",))
        return index

    def _lookup(self, term: str) -> str | None:
        if term in self._by_slug:
            return term
        for key in _forms(term.strip().lstrip("#"), ("f", "n", "s")):
            if key in self._terms:
                return self._terms[key]
        return None

    def suggestions(self, term: str, limit: int = 5) -> list[str]:
        """Closest known slugs for an unknown term (difflib on folded forms)."""
        target = " ".join(fold(term).replace("-", " ").split())
        candidates: dict[str, str] = {}
        for key, slug in self._terms.items():
            if key.startswith("f:"):
                candidates.setdefault(key[2:], slug)
        out: list[str] = []
        for form in difflib.get_close_matches(target, list(candidates), n=limit * 3, cutoff=0.6):
            slug = candidates[form]
            if slug not in out:
                out.append(slug)
        if len(out) < limit:  # a word of the term that is a word of a label or synonym
            words = set(target.split())
            for form, slug in candidates.items():
                if slug not in out and words & set(form.split()) and len(out) < limit:
                    out.append(slug)
        return out[:limit]

    def lookup(self, term: str) -> str | None:
        """The slug ``term`` names exactly (a slug, a label or a synonym, FR or EN, folded,
        stemmed and squashed alike), or None. Strict: reading free text is
        ``matching.interpret``'s job, not the taxonomy's."""
        if not isinstance(term, str) or not term.strip():
            return None
        return self._lookup(term)

    def resolve(self, term: str) -> str:
        """The slug ``term`` names exactly; :class:`UnknownValueError` with suggestions
        otherwise."""
        slug = self.lookup(term)
        if slug is None:
            raise UnknownValueError({str(term): self.suggestions(term) if term else []})
        return slug

    def resolve_many(self, terms) -> list[str]:
        """Slugs for every term, first occurrence order, duplicates dropped.

        Every unknown term is reported at once in one :class:`UnknownValueError`.
        """
        out: list[str] = []
        unknown: dict[str, list[str]] = {}
        for term in terms:
            try:
                slug = self.resolve(term)
            except UnknownValueError as exc:
                unknown.update(exc.unknown)
                continue
            if slug not in out:
                out.append(slug)
        if unknown:
            raise UnknownValueError(unknown)
        return out

    def resolve_weights(self, values) -> dict[str, float]:
        """``{term: weight}`` or a list of terms (weight 1) -> ``{slug: weight}``.

        Weights are clipped to [0, 1]; zero or negative weights are dropped; when two terms
        resolve to one slug the larger weight is kept.
        """
        if values is None:
            return {}
        items = values.items() if isinstance(values, dict) else ((v, 1.0) for v in values)
        out: dict[str, float] = {}
        unknown: dict[str, list[str]] = {}
        for term, weight in items:
            try:
                slug = self.resolve(term)
            except UnknownValueError as exc:
                unknown.update(exc.unknown)
                continue
            w = float(weight)
            if w != w:  # NaN
                raise ValueError(f"weight of {term!r} is NaN")
            w = min(1.0, w)
            if w > 0:
                out[slug] = max(out.get(slug, 0.0), w)
        if unknown:
            raise UnknownValueError(unknown)
        return out

    def to_dict(self) -> dict:
        """A JSON-ready view (for ``GET /v1/values``)."""
        return {
            "entries": [
                {
                    "slug": e.slug,
                    "kind": e.kind,
                    "labels": dict(e.labels),
                    "descriptions": dict(e.descriptions),
                    "synonyms": {k: list(v) for k, v in e.synonyms.items()},
                    "hashtags": list(e.hashtags),
                    "parents": list(e.parents),
                    "conflicts": list(e.conflicts),
                    "covers": list(e.covers),
                }
                for e in self.entries
            ]
        }


def _synonym_forms(term: str) -> tuple[str, ...]:
    """The forms a synonym is indexed and compared in: one read only as written ("plus size",
    see matching.tagging._Phrase.written) is not its one word ("size")."""
    return ("f", "s") if written_form(term) else ("f", "n", "s")


def _blocker_key(text: str):
    """How a blocker phrase, or a phrase asked about, is compared: as written when only its
    small words tell it from a term ("De Beers" is not "beers"), else by its content words."""
    return written_form(text) or normalize_phrase(text)


def _forms(term: str, kinds: tuple[str, ...]) -> list[str]:
    """The normal forms lookups compare: folded "f", stemmed content words "n", squashed "s"."""
    makers = {
        "f": lambda t: "f:" + " ".join(fold(t).replace("-", " ").split()),
        "n": lambda t: "n:" + " ".join(normalize_phrase(t)),
        "s": lambda t: "s:" + squash(t),
    }
    return [key for key in (makers[k](term) for k in kinds) if len(key) > 2]


def taxonomy_from_dict(data: dict) -> Taxonomy:
    entries = [
        ValueEntry(
            slug=raw["slug"],
            kind=raw["kind"],
            labels=dict(raw["labels"]),
            synonyms={lang: list(raw.get("synonyms", {}).get(lang, [])) for lang in LANGS},
            parents=list(raw.get("parents", [])),
            conflicts=list(raw.get("conflicts", [])),
            hashtags=list(raw.get("hashtags", [])),
            problems={lang: list(raw.get("problems", {}).get(lang, [])) for lang in LANGS},
            negation=raw.get("negation"),
            descriptions=dict(raw.get("descriptions", {})),
            covers=list(raw.get("covers", [])),
        )
        for raw in data["entries"]
    ]
    return Taxonomy(entries, blockers=data.get("blockers"))


@cache
def load_taxonomy() -> Taxonomy:
    """The packaged taxonomy, loaded once per process."""
    text = (Path(__file__).parent / "data" / "taxonomy.json").read_text("utf-8")
    return taxonomy_from_dict(json.loads(text))
