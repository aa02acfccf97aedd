"""A brief compiled against the taxonomy and the index registries."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matching.index.columns import _U64, _split_amount
from matching.models import Brief
from matching.semantic import SCALE


@dataclass
class _Compiled:
    """A brief resolved against the taxonomy and the index registries."""

    brief: Brief
    cause_rows: np.ndarray  # indices into the causes
    cause_weights: np.ndarray  # normalised, float32
    causes: list[str]
    practices: list[str]
    practice_mask: np.ndarray  # over all slugs
    # per practice: (the slugs whose holders implicitly refuse it, the practice itself). A
    # creator that names the practice among its values embraces it and does not refuse it. A
    # practice the brand also denies (Brief.practices_denied) is uncertain: none.
    conflicts: list[tuple[np.ndarray, np.ndarray]]
    token_row: int | None
    budget_hi: float
    budget_lo: int
    lang_mask: np.ndarray | None
    # the languages the brief prefers: those it requires, else the one it is written in
    own_lang_mask: np.ndarray
    platform_rows: list[int]
    platform_mask: np.ndarray | None
    platform_count: int
    country_mask: np.ndarray | None
    country_count: int
    # The brief's meaning vector scaled so that its dot with a creator's int8 column is their
    # cosine (both vectors have norm SCALE); None when the brief has no text.
    meaning: np.ndarray | None
    # row -> the names that creator refuses and the brand states (Brief.stated_names)
    named: dict[int, list[str]] = field(default_factory=dict)
    cosines: np.ndarray | None = None  # every creator's cosine, once a full pass computed it


class _BriefCompiler:
    def _bits_of(self, bits: int) -> np.ndarray:
        return np.array(
            [(bits >> (64 * w)) & (2**64 - 1) for w in range(self._slug_words)], dtype=_U64
        )

    def _compile(self, brief: Brief) -> _Compiled:
        tax = self.taxonomy
        values = tax.resolve_weights(brief.values)
        practices = tax.resolve_many(brief.practices)
        denied = set(tax.resolve_many(brief.practices_denied))
        causes: dict[str, float] = {}
        for slug, w in values.items():
            if tax.get(slug).kind == "practice":
                if slug not in practices:
                    practices.append(slug)
            else:
                causes[slug] = w
        total = sum(causes.values())
        cause_rows = np.array([self._cause_pos[s] for s in causes], dtype=np.int64)
        weights = np.array([w / total for w in causes.values()], dtype=np.float32)
        conflicts = [
            (self._bits_of(self._refusers[p]), self._slug_mask([p]))
            for p in practices
            if self._refusers.get(p) and p not in denied
        ]
        budget_hi, budget_lo = _split_amount(brief.budget)
        platform_rows = [
            self._platforms.names[p] for p in brief.platforms if p in self._platforms.names
        ]
        named: dict[int, list[str]] = {}
        for name in sorted(brief.stated_names & self._name_refusers.keys()):
            for creator_id in self._name_refusers[name]:
                named.setdefault(self._row[creator_id], []).append(name)
        return _Compiled(
            named=named,
            brief=brief,
            cause_rows=cause_rows,
            cause_weights=weights,
            causes=list(causes),
            practices=practices,
            practice_mask=self._slug_mask(practices),
            conflicts=conflicts,
            token_row=self._tokens.get(brief.token),
            budget_hi=budget_hi,
            budget_lo=budget_lo,
            lang_mask=self._langs.mask(brief.languages) if brief.languages else None,
            own_lang_mask=self._langs.mask(brief.languages or [brief.lang]),
            platform_rows=platform_rows,
            platform_mask=self._platforms.mask(brief.platforms) if brief.platforms else None,
            platform_count=len(set(brief.platforms)),
            country_mask=self._countries.mask(brief.countries) if brief.countries else None,
            country_count=len(set(brief.countries)),
            meaning=None
            if brief.meaning is None
            else brief.meaning.astype(np.float32) * np.float32(1 / SCALE**2),
        )
