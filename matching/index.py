"""In-memory, vectorised index of creators: hard filters as masks, scores as array arithmetic.

Layout (``n`` creators, capacity ``cap`` >= n, doubled when full; deletes swap the last row into
the hole so the first ``n`` columns are always the live creators):

=================  =====================  ==================================================
array              shape, dtype           holds
=================  =====================  ==================================================
``_credit``        (causes, cap) float32  value credit per cause, parents' partial credit
                                          already applied (column-major: a brief reads only
                                          the rows of its own values)
``_held``          (words, cap) uint64    bit per slug the creator holds (any weight > 0)
``_refused``       (words, cap) uint64    explicit dealbreakers
``_langs`` etc.    (words, cap) uint64    languages, platforms present, audience countries
``_followers``     (platforms, cap) u32   followers per platform (clamped at 2**32 - 1)
``_quality``       (platforms, cap) u8    static audience quality per platform, in 1/255
``_best_quality``  (cap,) uint8           best of those over all platforms
``_base``          (cap,) float32         the score's brief-independent part (audience and
                                          track record when the brief sets no platform or
                                          country), precomputed
``_fee_hi``        (tokens, cap) float64  ``float(min_fee)``; +inf when the token is refused
``_fee_lo``        (tokens, cap) int64    ``min_fee - int(float(min_fee))``
``_track``         (cap,) float32         track-record component
``_virtual``       (cap,) bool
``_tier``          (cap,) int8            audience-size tier, for diversity
=================  =====================  ==================================================

Exact money comparison: float rounding is monotone, so ``float(fee) < float(budget)`` implies
``fee < budget`` and ``>`` implies ``>``; only equal floats are ambiguous, and there the exact
difference is ``fee_lo - budget_lo`` (both residuals are exact Python ints, stored as int64 when
they fit, which holds for amounts below 2**116; larger amounts keep their exact residual in a
side table and are compared in Python). So the vectorised budget filter is exact for amounts of
any size, e.g. 50 ETH = 5e19 wei, far above 2**63.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np

from matching.diversity import TIER_BOUNDS, diversify_matches
from matching.explain import match_sentence, reason
from matching.models import Audience, Brief, CreatorProfile, FilterReason, Match
from matching.scoring import (
    AUDIENCE_COUNTRIES,
    AUDIENCE_PLATFORMS,
    AUDIENCE_QUALITY,
    WEIGHTS,
    budget_fit_from_ratio,
    platform_quality_one,
    relation_credit,
    track_record_one,
)
from matching.taxonomy import Taxonomy, load_taxonomy

_U64 = np.uint64
_TIER_BOUNDS = TIER_BOUNDS.tolist()
_MAX_FOLLOWERS = 2**32 - 1
_INT64_MAX = 2**63 - 1
_HUGE = np.iinfo(np.int64).min  # residual sentinel: exact value lives in the side table


def _split_amount(amount: int) -> tuple[float, int]:
    hi = float(amount)
    return hi, amount - int(hi)


class _Bits:
    """Named bits over a (words, cap) uint64 matrix; words grow with the registry."""

    def __init__(self, cap: int, names: Iterable[str] = ()):
        self.names: dict[str, int] = {}
        self.arr = np.zeros((1, cap), dtype=_U64)
        for name in names:
            self.bit(name)

    def bit(self, name: str) -> int:
        b = self.names.get(name)
        if b is None:
            b = self.names[name] = len(self.names)
            words = b // 64 + 1
            if words > self.arr.shape[0]:
                extra = np.zeros((words - self.arr.shape[0], self.arr.shape[1]), dtype=_U64)
                self.arr = np.vstack([self.arr, extra])
        return b

    def grow(self, cap: int) -> None:
        new = np.zeros((self.arr.shape[0], cap), dtype=_U64)
        new[:, : self.arr.shape[1]] = self.arr
        self.arr = new

    def mask(self, names: Iterable[str], create: bool = False) -> np.ndarray:
        """Per-word query mask; unknown names are skipped unless ``create``."""
        bits = [self.bit(n) if create else self.names.get(n) for n in names]
        m = [0] * self.arr.shape[0]
        for b in bits:
            if b is not None:
                m[b // 64] |= 1 << (b % 64)
        return np.array(m, dtype=_U64)

    def set_row(self, row: int, names: Iterable[str]) -> None:
        bits = 0
        for name in names:
            bits |= 1 << self.bit(name)
        for w in range(self.arr.shape[0]):
            self.arr[w, row] = (bits >> (64 * w)) & 0xFFFFFFFFFFFFFFFF

    def row_names(self, row: int) -> list[str]:
        out = []
        for name, b in self.names.items():
            if int(self.arr[b // 64, row]) >> (b % 64) & 1:
                out.append(name)
        return out

    def intersects(self, qmask: np.ndarray, cols) -> np.ndarray:
        hit = None
        for w, m in enumerate(qmask):
            if m:
                part = (self.arr[w, cols] & m) != 0
                hit = part if hit is None else (hit | part)
        if hit is None:
            return np.zeros(self._len(cols), dtype=bool)
        return hit

    def count_common(self, qmask: np.ndarray, cols) -> np.ndarray:
        total = None
        for w, m in enumerate(qmask):
            if m:
                part = np.bitwise_count(self.arr[w, cols] & m)
                total = part if total is None else total + part
        if total is None:
            return np.zeros(self._len(cols), dtype=np.uint8)
        return total

    def _len(self, cols) -> int:
        return len(self.arr[0, cols])


@dataclass
class _Compiled:
    """A brief resolved against the taxonomy and the index registries."""

    brief: Brief
    cause_rows: np.ndarray  # indices into the causes
    cause_weights: np.ndarray  # normalised, float32
    causes: list[str]
    practices: list[str]
    practice_mask: np.ndarray  # over all slugs
    conflict_mask: np.ndarray  # slugs whose holders implicitly refuse one of the practices
    token_row: int | None
    budget_hi: float
    budget_lo: int
    lang_mask: np.ndarray | None
    platform_rows: list[int]
    platform_mask: np.ndarray | None
    platform_count: int
    country_mask: np.ndarray | None
    country_count: int


@cache
def _taxonomy_tables(tax: Taxonomy) -> tuple[np.ndarray, dict[str, int]]:
    """Relation credit between causes, and for each practice the bitmask (over slugs) of the
    values whose holders implicitly refuse it."""
    pos = {s: i for i, s in enumerate(tax.slugs)}
    refusers: dict[str, int] = {}
    for s in tax.slugs:
        for practice in tax.refusals(s):
            refusers[practice] = refusers.get(practice, 0) | (1 << pos[s])
    return relation_credit(tax, list(tax.causes)), refusers


FILTER_CODES = (
    "dealbreaker",
    "value_conflict",
    "token_not_accepted",
    "below_min_fee",
    "language",
    "platform",
    "followers",
    "country",
    "no_shared_value",
)


class MatchIndex:
    """Creators held as numpy arrays; ``search`` ranks them for a brief.

    Not thread-safe for writers: callers serialise ``upsert``/``delete`` (readers may run
    between writes).
    """

    def __init__(self, taxonomy: Taxonomy | None = None, capacity: int = 1024):
        self.taxonomy = taxonomy or load_taxonomy()
        tax = self.taxonomy
        self._causes = list(tax.causes)
        self._cause_pos = {s: i for i, s in enumerate(self._causes)}
        self._slug_pos = {s: i for i, s in enumerate(tax.slugs)}
        self._relation, self._refusers = _taxonomy_tables(tax)
        self._slug_words = (len(tax.slugs) + 63) // 64
        cap = max(16, int(capacity))
        self._cap = cap
        self._n = 0
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._credit = np.zeros((len(self._causes), cap), dtype=np.float32)
        self._held = np.zeros((self._slug_words, cap), dtype=_U64)
        self._refused = np.zeros((self._slug_words, cap), dtype=_U64)
        self._langs = _Bits(cap)
        self._platforms = _Bits(cap, ("instagram", "tiktok", "youtube", "twitch", "x", "linkedin"))
        self._countries = _Bits(cap)
        p = len(self._platforms.names)
        self._followers = np.zeros((p, cap), dtype=np.uint32)
        self._quality = np.zeros((p, cap), dtype=np.uint8)
        self._best_quality = np.zeros(cap, dtype=np.uint8)
        self._base = np.zeros(cap, dtype=np.float32)
        self._tokens: dict[str, int] = {}
        self._fee_hi = np.full((0, cap), np.inf, dtype=np.float64)
        self._fee_lo = np.zeros((0, cap), dtype=np.int64)
        self._fee_huge: dict[tuple[int, int], int] = {}
        self._track = np.zeros(cap, dtype=np.float32)
        self._virtual = np.zeros(cap, dtype=bool)
        self._tier = np.zeros(cap, dtype=np.int8)

    # -- size and memory --------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    def __contains__(self, creator_id: object) -> bool:
        return creator_id in self._row

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    def _arrays(self) -> list[np.ndarray]:
        return [
            self._credit,
            self._held,
            self._refused,
            self._langs.arr,
            self._platforms.arr,
            self._countries.arr,
            self._followers,
            self._quality,
            self._best_quality,
            self._base,
            self._fee_hi,
            self._fee_lo,
            self._track,
            self._virtual,
            self._tier,
        ]

    def bytes_per_creator(self) -> float:
        """Bytes of the per-creator arrays per creator slot (capacity slack excluded)."""
        return sum(a.nbytes for a in self._arrays()) / self._cap

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._arrays())

    # -- writes -----------------------------------------------------------------------------
    def _grow(self, need: int) -> None:
        if need <= self._cap:
            return
        cap = max(need, self._cap * 2)

        def g(a: np.ndarray, fill=0) -> np.ndarray:
            new = np.full(a.shape[:-1] + (cap,), fill, dtype=a.dtype)
            new[..., : a.shape[-1]] = a
            return new

        self._credit = g(self._credit)
        self._held = g(self._held)
        self._refused = g(self._refused)
        for bits in (self._langs, self._platforms, self._countries):
            bits.grow(cap)
        self._followers = g(self._followers)
        self._quality = g(self._quality)
        self._best_quality = g(self._best_quality)
        self._base = g(self._base)
        self._fee_hi = g(self._fee_hi, np.inf)
        self._fee_lo = g(self._fee_lo)
        self._track = g(self._track)
        self._virtual = g(self._virtual)
        self._tier = g(self._tier)
        self._cap = cap

    def _platform_row(self, name: str) -> int:
        before = len(self._platforms.names)
        b = self._platforms.bit(name)
        if len(self._platforms.names) > before:
            cap = self._cap
            self._followers = np.vstack([self._followers, np.zeros((1, cap), np.uint32)])
            self._quality = np.vstack([self._quality, np.zeros((1, cap), np.uint8)])
        return b

    def _token_row(self, token: str, create: bool) -> int | None:
        k = self._tokens.get(token)
        if k is None and create:
            k = self._tokens[token] = len(self._tokens)
            self._fee_hi = np.vstack([self._fee_hi, np.full((1, self._cap), np.inf)])
            self._fee_lo = np.vstack([self._fee_lo, np.zeros((1, self._cap), np.int64)])
        return k

    def _slug_mask(self, slugs: Iterable[str]) -> np.ndarray:
        m = [0] * self._slug_words
        for s in slugs:
            b = self._slug_pos[s]
            m[b // 64] |= 1 << (b % 64)
        return np.array(m, dtype=_U64)

    def _slug_bits(self, slugs: Iterable[str]) -> list[int]:
        m = [0] * self._slug_words
        for s in slugs:
            b = self._slug_pos[s]
            m[b // 64] |= 1 << (b % 64)
        return m

    def upsert(self, creator: CreatorProfile) -> None:
        """Insert or replace a creator. Raises UnknownValueError on an unknown value term."""
        self.upsert_many([creator])

    def upsert_many(self, creators: Iterable[CreatorProfile]) -> None:  # noqa: C901 - one batch write of every column; splitting it would copy the arrays twice
        """Insert or replace many creators; the arrays are written in one batch."""
        tax = self.taxonomy
        batch = []
        for c in creators:
            values = tax.resolve_weights(c.values)
            dealbreakers = tax.resolve_many(c.dealbreakers)
            batch.append((c, values, dealbreakers))
        if not batch:
            return
        # later duplicates of one id in the same batch win
        last = {c.creator_id: i for i, (c, _, _) in enumerate(batch)}
        batch = [b for i, b in enumerate(batch) if last[b[0].creator_id] == i]
        new = sum(1 for c, _, _ in batch if c.creator_id not in self._row)
        self._grow(self._n + new)
        rows = []
        for c, _, _ in batch:
            row = self._row.get(c.creator_id)
            if row is None:
                row = self._n
                self._n += 1
                self._ids.append(c.creator_id)
                self._row[c.creator_id] = row
            rows.append(row)
        rows_a = np.array(rows, dtype=np.int64)
        # value credit, vectorised over the batch: credit[s] = max_r held[r] * R[r, s]
        held = np.zeros((len(batch), len(self._causes)), dtype=np.float64)
        for i, (_, values, _) in enumerate(batch):
            for slug, w in values.items():
                pos = self._cause_pos.get(slug)
                if pos is not None:
                    held[i, pos] = w
        credit = np.zeros_like(held)
        for r in np.flatnonzero(held.any(axis=0)):
            np.maximum(credit, held[:, r : r + 1] * self._relation[r], out=credit)
        self._credit[:, rows_a] = credit.T.astype(np.float32)
        for i, (c, values, dealbreakers) in enumerate(batch):
            row = rows[i]
            for w, word in enumerate(self._slug_bits(values)):
                self._held[w, row] = word
            for w, word in enumerate(self._slug_bits(dealbreakers)):
                self._refused[w, row] = word
            self._langs.set_row(row, c.languages)
            for platform in c.audience:
                self._platform_row(platform)
            self._platforms.set_row(row, c.audience)
            countries = {cc for a in c.audience.values() for cc in a.countries}
            self._countries.set_row(row, countries)
            self._followers[:, row] = 0
            self._quality[:, row] = 0
            best_q, best_f = 0.0, 0
            for platform, aud in c.audience.items():
                p = self._platform_row(platform)
                f = min(aud.followers, _MAX_FOLLOWERS)
                q = round(255 * platform_quality_one(aud.followers, aud.engagement_rate))
                self._followers[p, row] = f
                self._quality[p, row] = q
                best_q, best_f = max(best_q, q), max(best_f, aud.followers)
            self._best_quality[row] = best_q
            best_q /= 255.0
            self._tier[row] = bisect.bisect_right(_TIER_BOUNDS, best_f)
            self._set_fees(row, c.min_fee)
            track = track_record_one(c.completed_deals)
            self._track[row] = track
            w = WEIGHTS
            audience = AUDIENCE_QUALITY * best_q + AUDIENCE_COUNTRIES + AUDIENCE_PLATFORMS
            self._base[row] = w.audience * audience + w.track_record * track
            self._virtual[row] = bool(c.is_virtual)

    def _set_fees(self, row: int, min_fee: dict[str, int]) -> None:
        for k in range(len(self._tokens)):
            self._fee_huge.pop((k, row), None)
        self._fee_hi[:, row] = np.inf
        self._fee_lo[:, row] = 0
        for token, amount in min_fee.items():
            k = self._token_row(token, create=True)
            hi, lo = _split_amount(amount)
            self._fee_hi[k, row] = hi
            if -_INT64_MAX <= lo <= _INT64_MAX:
                self._fee_lo[k, row] = lo
            else:
                self._fee_lo[k, row] = _HUGE
                self._fee_huge[(k, row)] = lo

    def delete(self, creator_id: str) -> bool:
        """Remove a creator; returns False when it was not indexed. O(1): swap-remove."""
        row = self._row.pop(creator_id, None)
        if row is None:
            return False
        last = self._n - 1
        for k in range(len(self._tokens)):
            self._fee_huge.pop((k, row), None)
        if row != last:
            moved = self._ids[last]
            for a in self._arrays():
                a[..., row] = a[..., last]
            for k in range(len(self._tokens)):
                v = self._fee_huge.pop((k, last), None)
                if v is not None:
                    self._fee_huge[(k, row)] = v
            self._ids[row] = moved
            self._row[moved] = row
        for a in self._arrays():
            a[..., last] = 0
        self._fee_hi[:, last] = np.inf
        self._ids.pop()
        self._n = last
        return True

    # -- reading a creator back (for explanations) ------------------------------------------
    def _fee_exact(self, k: int, row: int) -> int | None:
        hi = float(self._fee_hi[k, row])
        if math.isinf(hi):
            return None
        lo = int(self._fee_lo[k, row])
        if lo == _HUGE and (k, row) in self._fee_huge:
            lo = self._fee_huge[(k, row)]
        return int(hi) + lo

    def _held_slugs(self, row: int) -> list[str]:
        bits = [int(w) for w in self._held[:, row]]
        return [s for s, b in self._slug_pos.items() if bits[b // 64] >> (b % 64) & 1]

    # -- briefs -----------------------------------------------------------------------------
    def _compile(self, brief: Brief) -> _Compiled:
        tax = self.taxonomy
        values = tax.resolve_weights(brief.values)
        practices = tax.resolve_many(brief.practices)
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
        conflict = 0
        for p in practices:
            conflict |= self._refusers.get(p, 0)
        conflict_words = np.array(
            [(conflict >> (64 * w)) & (2**64 - 1) for w in range(self._slug_words)], dtype=_U64
        )
        budget_hi, budget_lo = _split_amount(brief.budget)
        platform_rows = [
            self._platforms.names[p] for p in brief.platforms if p in self._platforms.names
        ]
        return _Compiled(
            brief=brief,
            cause_rows=cause_rows,
            cause_weights=weights,
            causes=list(causes),
            practices=practices,
            practice_mask=self._slug_mask(practices),
            conflict_mask=conflict_words,
            token_row=self._tokens.get(brief.token),
            budget_hi=budget_hi,
            budget_lo=budget_lo,
            lang_mask=self._langs.mask(brief.languages) if brief.languages else None,
            platform_rows=platform_rows,
            platform_mask=self._platforms.mask(brief.platforms) if brief.platforms else None,
            platform_count=len(set(brief.platforms)),
            country_mask=self._countries.mask(brief.countries) if brief.countries else None,
            country_count=len(set(brief.countries)),
        )

    def _filters(self, q: _Compiled, cols, merged: bool = False) -> dict[str, np.ndarray]:  # noqa: C901 - one vectorised mask per hard filter, side by side on purpose
        """code -> boolean array, True where that hard filter removes the creator.

        ``merged`` (for search, which only needs the union): a refused token is reported under
        ``below_min_fee`` (its fee is +inf) instead of costing a pass of its own.
        """
        out: dict[str, np.ndarray] = {}
        m = len(self._virtual[cols])

        def any_bits(arr: np.ndarray, qmask: np.ndarray) -> np.ndarray:
            hit = np.zeros(m, dtype=bool)
            for w, word in enumerate(qmask):
                if word:
                    hit |= (arr[w, cols] & word) != 0
            return hit

        if q.practices:
            out["dealbreaker"] = any_bits(self._refused, q.practice_mask)
            out["value_conflict"] = any_bits(self._held, q.conflict_mask)
        if q.token_row is None:
            out["token_not_accepted"] = np.ones(m, dtype=bool)
        else:
            hi = self._fee_hi[q.token_row, cols]
            below = hi > q.budget_hi
            ties = np.flatnonzero(hi == q.budget_hi)
            if len(ties):
                lo = self._fee_lo[q.token_row, cols][ties]
                tie_below = lo > q.budget_lo
                huge = np.flatnonzero(lo == _HUGE)
                if len(huge):
                    rows = np.arange(self._n)[cols][ties[huge]]
                    for j, r in zip(huge, rows, strict=True):
                        tie_below[j] = self._fee_huge[(q.token_row, int(r))] > q.budget_lo
                below[ties] = tie_below
            if merged:
                out["below_min_fee"] = below
            else:
                refused = np.isinf(hi)
                out["token_not_accepted"] = refused
                out["below_min_fee"] = below & ~refused
        if q.lang_mask is not None:
            out["language"] = ~self._langs.intersects(q.lang_mask, cols)
        if q.platform_mask is not None:
            if q.brief.require_all_platforms:
                common = self._platforms.count_common(q.platform_mask, cols)
                out["platform"] = common < q.platform_count
            else:
                out["platform"] = ~self._platforms.intersects(q.platform_mask, cols)
        if q.brief.min_followers > 0:
            out["followers"] = self._followers_for(q, cols) < q.brief.min_followers
        if q.country_mask is not None:
            out["country"] = ~self._countries.intersects(q.country_mask, cols)
        if q.brief.require_shared_value and len(q.cause_rows):
            credit = self._credit[:, cols][q.cause_rows]
            out["no_shared_value"] = ~(credit > 0).any(axis=0)
        return out

    def _followers_for(self, q: _Compiled, cols) -> np.ndarray:
        if q.brief.platforms:
            if not q.platform_rows:
                return np.zeros(len(self._virtual[cols]), dtype=np.uint32)
            f = self._followers[q.platform_rows[0], cols]
            for p in q.platform_rows[1:]:
                f = np.maximum(f, self._followers[p, cols])
            return f
        return self._followers[:, cols].max(axis=0)

    def _audience(self, q: _Compiled, cols) -> np.ndarray | None:
        """Audience fit for the creators at ``cols``; None when the brief sets no platform and
        no country (then it is brief-independent and already inside ``_base``)."""
        if not q.brief.platforms and q.country_mask is None:
            return None
        m = len(self._virtual[cols])
        if q.brief.platforms:
            if q.platform_rows:
                quality = self._quality[q.platform_rows[0], cols]
                for p in q.platform_rows[1:]:
                    quality = np.maximum(quality, self._quality[p, cols])
                quality = quality.astype(np.float32)
                quality *= np.float32(1 / 255)
            else:
                quality = np.zeros(m, dtype=np.float32)
            presence = self._platforms.count_common(q.platform_mask, cols).astype(np.float32)
            presence *= np.float32(AUDIENCE_PLATFORMS / q.platform_count)
        else:
            quality = self._best_quality[cols].astype(np.float32)
            quality *= np.float32(1 / 255)
            presence = np.float32(AUDIENCE_PLATFORMS)
        quality *= np.float32(AUDIENCE_QUALITY)
        quality += presence
        if q.country_mask is not None:
            countries = self._countries.count_common(q.country_mask, cols).astype(np.float32)
            countries *= np.float32(AUDIENCE_COUNTRIES / q.country_count)
            quality += countries
        else:
            quality += np.float32(AUDIENCE_COUNTRIES)
        return np.minimum(quality, np.float32(1.0), out=quality)

    def _budget(self, q: _Compiled, cols) -> np.ndarray | None:
        """Budget fit at ``cols`` (None: 1 for everyone, i.e. no usable budget or token)."""
        if q.token_row is None or q.brief.budget <= 0:
            return None
        ratio = self._fee_hi[q.token_row, cols] * (1.0 / q.budget_hi)
        np.minimum(ratio, 1.0, out=ratio)
        return budget_fit_from_ratio(ratio).astype(np.float32)

    def _components(self, q: _Compiled, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Score components (float32 in [0, 1]) for a few creators (the top-k, or one)."""
        m = len(rows)
        align = np.zeros(m, dtype=np.float32)
        for r, w in zip(q.cause_rows, q.cause_weights, strict=True):
            align += self._credit[r, rows] * w
        np.minimum(align, np.float32(1.0), out=align)
        audience = self._audience(q, rows)
        if audience is None:
            quality = self._best_quality[rows].astype(np.float32) * np.float32(1 / 255)
            audience = quality * np.float32(AUDIENCE_QUALITY) + np.float32(
                AUDIENCE_COUNTRIES + AUDIENCE_PLATFORMS
            )
        budget = self._budget(q, rows)
        return {
            "alignment": align,
            "audience": audience,
            "budget": np.ones(m, dtype=np.float32) if budget is None else budget,
            "track_record": self._track[rows],
        }

    @staticmethod
    def _combine(comp: dict[str, np.ndarray]) -> np.ndarray:
        w = WEIGHTS
        score = comp["alignment"] * np.float32(w.alignment)
        score += comp["audience"] * np.float32(w.audience)
        score += comp["budget"] * np.float32(w.budget)
        score += comp["track_record"] * np.float32(w.track_record)
        return np.clip(score, 0.0, 1.0, out=score)

    def _score_all(self, q: _Compiled) -> np.ndarray:
        """Scores of every creator (float32), the same sum as ``_combine(_components)``."""
        n, w = self._n, WEIGHTS
        qvec = np.zeros(len(self._causes), dtype=np.float32)
        qvec[q.cause_rows] = q.cause_weights * np.float32(w.alignment)
        score = qvec @ self._credit[:, :n]  # one BLAS pass over the value matrix
        cols = slice(0, n)
        audience = self._audience(q, cols)
        if audience is None:
            score += self._base[:n]
        else:
            audience *= np.float32(w.audience)
            score += audience
            score += self._track[:n] * np.float32(w.track_record)
        budget = self._budget(q, cols)
        if budget is None:
            score += np.float32(w.budget)
        else:
            budget *= np.float32(w.budget)
            score += budget
        return np.clip(score, 0.0, 1.0, out=score)

    @staticmethod
    def _top(score: np.ndarray, k: int) -> np.ndarray:
        """Indices of the ``k`` largest scores (unordered), exact.

        A strided sample gives a threshold expected to keep about 4k candidates; when at least k
        scores reach it the top k are all among them, so ``argpartition`` runs on those few.
        Otherwise it runs on everything.
        """
        n = len(score)
        if k >= n:
            return np.arange(n)
        if n > 20_000:
            step = n // 2048
            sample = score[::step]
            above = min(len(sample) - 1, max(1, (4 * k * len(sample)) // n + 1))
            threshold = np.partition(sample, len(sample) - above)[len(sample) - above]
            cand = np.flatnonzero(score >= threshold)
            if k <= len(cand) <= n // 4:
                sub = score[cand]
                if len(cand) == k:
                    return cand
                return cand[np.argpartition(-sub, k - 1)[:k]]
        return np.argpartition(-score, k - 1)[:k]

    # -- queries ----------------------------------------------------------------------------
    def search(self, brief: Brief, limit: int = 20, diversify: bool = False) -> list[Match]:
        """Top ``limit`` creators passing every hard filter, best first.

        ``diversify`` re-ranks a candidate pool for variety of audience tier and human/virtual
        (see :func:`matching.diversity.diversify_matches` for the relevance it may give up).
        """
        if limit <= 0 or self._n == 0:
            return []
        q = self._compile(brief)
        n = self._n
        blocked = np.zeros(n, dtype=bool)
        for f in self._filters(q, slice(0, n), merged=True).values():
            np.logical_or(blocked, f, out=blocked)
        passing = n - int(np.count_nonzero(blocked))
        if passing == 0:
            return []
        pool = min(limit * 5 if diversify else limit, passing)
        if passing <= n // 8:
            # few survivors: score only them (gathers are cheaper than full passes)
            rows = np.flatnonzero(~blocked)
            score = self._combine(self._components(q, rows))
            local = self._top(score, pool)
            top, top_scores = rows[local], score[local]
        else:
            score = self._score_all(q)
            score -= np.float32(2.0) * blocked  # filtered scores drop below zero
            top = self._top(score, pool)
            top_scores = score[top]
            keep = top_scores >= 0.0
            top, top_scores = top[keep], top_scores[keep]
        ids = self._ids
        order = sorted(range(len(top)), key=lambda i: (-float(top_scores[i]), ids[top[i]]))
        rows_sorted = top[order]
        matches = self._matches(q, rows_sorted, top_scores[order])
        if diversify:
            tiers = {
                m.creator_id: int(self._tier[r]) for m, r in zip(matches, rows_sorted, strict=True)
            }
            return diversify_matches(matches, limit, tiers=tiers)
        return matches[:limit]

    def _matches(self, q: _Compiled, rows: np.ndarray, scores: np.ndarray) -> list[Match]:
        comp = self._components(q, rows)
        names = list(comp)
        columns = [np.round(comp[name].astype(np.float64), 6).tolist() for name in names]
        held = self._held[:, rows].tolist()
        credit = self._credit[q.cause_rows][:, rows].tolist() if len(q.cause_rows) else []
        partial = [False] * len(rows)
        if q.country_mask is not None:
            common = self._countries.count_common(q.country_mask, rows).tolist()
            partial = [c < q.country_count for c in common]
        bits = [self._slug_pos[s] for s in q.causes]
        out = []
        for i, row in enumerate(rows.tolist()):
            components = {name: col[i] for name, col in zip(names, columns, strict=True)}
            shared, related = [], []
            for j, (slug, b) in enumerate(zip(q.causes, bits, strict=True)):
                if held[b // 64][i] >> (b % 64) & 1:
                    shared.append(slug)
                elif credit[j][i] > 0:
                    related.append(slug)
            sentence = match_sentence(
                taxonomy=self.taxonomy,
                lang=q.brief.lang,
                shared=shared,
                related=related,
                components=components,
                partial_countries=partial[i],
            )
            out.append(
                Match(
                    creator_id=self._ids[row],
                    score=round(float(scores[i]), 6),
                    components=components,
                    explanation=sentence,
                    is_virtual=bool(self._virtual[row]),
                )
            )
        return out

    def explain_filter(self, brief: Brief, creator_id: str) -> list[FilterReason]:
        """Why ``creator_id`` is filtered out for ``brief``; empty when it is not filtered.

        Raises KeyError for an unknown creator.
        """
        row = self._row[creator_id]
        q = self._compile(brief)
        filters = self._filters(q, [row])
        return [
            self._reason(q, row, code)
            for code in FILTER_CODES
            if code in filters and filters[code][0]
        ]

    def _reason(self, q: _Compiled, row: int, code: str) -> FilterReason:
        tax, lang, b = self.taxonomy, q.brief.lang, q.brief
        if code == "dealbreaker":
            refused = {
                s
                for s in q.practices
                if int(self._refused[self._slug_pos[s] // 64, row]) >> (self._slug_pos[s] % 64) & 1
            }
            return reason(code, lang, tax, practices=[s for s in q.practices if s in refused])
        if code == "value_conflict":
            held = self._held_slugs(row)
            pairs = [[v, p] for v in held for p in q.practices if p in tax.refusals(v)]
            return reason(code, lang, tax, conflicts=pairs)
        if code == "token_not_accepted":
            return reason(code, lang, tax, token=b.token)
        if code == "below_min_fee":
            fee = self._fee_exact(q.token_row, row)
            return reason(code, lang, tax, token=b.token, budget=str(b.budget), min_fee=str(fee))
        if code == "language":
            return reason(
                code, lang, tax, requested=list(b.languages), creator=self._langs.row_names(row)
            )
        if code == "platform":
            return reason(
                code, lang, tax, requested=list(b.platforms), creator=self._platforms.row_names(row)
            )
        if code == "followers":
            f = int(self._followers_for(q, [row])[0])
            return reason(code, lang, tax, followers=f, min_followers=b.min_followers)
        if code == "no_shared_value":
            return reason(code, lang, tax, requested=list(q.causes))
        return reason(
            code, lang, tax, requested=list(b.countries), creator=self._countries.row_names(row)
        )

    def score_one(self, brief: Brief, creator: CreatorProfile) -> Match | list[FilterReason]:
        """Screen one offer: the filter reasons if any hard filter applies, else the Match.

        Uses a one-creator index with the same taxonomy, so it agrees with ``search``.
        """
        single = MatchIndex(self.taxonomy, capacity=16)
        single.upsert(creator)
        reasons = single.explain_filter(brief, creator.creator_id)
        if reasons:
            return reasons
        return single.search(brief, limit=1)[0]


__all__ = ["MatchIndex", "FILTER_CODES", "Audience"]
