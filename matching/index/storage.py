"""The creators' columns: growth, writes, deletes, memory, reading a creator back."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from functools import cache

import numpy as np

from matching.index.columns import (
    _HUGE,
    _INT64_MAX,
    _MAX_FOLLOWERS,
    _TIER_BOUNDS,
    _U64,
    _Bits,
    _split_amount,
)
from matching.models import CreatorProfile
from matching.scoring import (
    AUDIENCE_COUNTRIES,
    AUDIENCE_PLATFORMS,
    AUDIENCE_QUALITY,
    WEIGHTS,
    platform_quality_one,
    relation_credit,
    track_record_one,
)
from matching.semantic import DIM
from matching.taxonomy import Taxonomy, load_taxonomy


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


class _Storage:
    """Columns of creators (see the package docstring for the layout)."""

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
        self._credit = np.zeros((len(self._causes), cap), dtype=np.uint8)
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
        self._version = np.zeros(cap, dtype=np.int64)
        self._virtual = np.zeros(cap, dtype=bool)
        self._tier = np.zeros(cap, dtype=np.int8)
        self._meaning = np.zeros((DIM, cap), dtype=np.int8)
        # Phrase fingerprints by creator id: read for the best candidates only, never scanned,
        # so they live beside the columns (64 bytes a phrase; see matching.closeness).
        self._phrases: dict[str, np.ndarray] = {}
        # Dealbreakers by name (CreatorProfile.refused_names): id -> names, and name -> ids.
        self._refused_names: dict[str, frozenset[str]] = {}
        self._name_refusers: dict[str, set[str]] = {}

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
            self._version,
            self._virtual,
            self._tier,
            self._meaning,
        ]

    def bytes_per_creator(self) -> float:
        """Bytes of the per-creator arrays per creator slot (capacity slack excluded)."""
        return sum(a.nbytes for a in self._arrays()) / self._cap

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._arrays())

    def phrase_bytes(self) -> int:
        """Bytes of the phrase fingerprints kept beside the columns."""
        return sum(bits.nbytes for bits in self._phrases.values())

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
        self._version = g(self._version)
        self._virtual = g(self._virtual)
        self._tier = g(self._tier)
        self._meaning = g(self._meaning)
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

    def _holds_any(self, arr: np.ndarray, mask: np.ndarray, cols) -> np.ndarray:
        """Where the creators at ``cols`` have any bit of ``mask`` (over slugs) set in ``arr``."""
        hit = np.zeros(len(self._virtual[cols]), dtype=bool)
        for w, word in enumerate(mask):
            if word:
                hit |= (arr[w, cols] & word) != 0
        return hit

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
        self._credit[:, rows_a] = np.rint(np.clip(credit.T, 0.0, 1.0) * 255).astype(np.uint8)
        for i, (c, values, dealbreakers) in enumerate(batch):
            row = rows[i]
            held = (s for s in values if s not in c.loose)
            for w, word in enumerate(self._slug_bits(held)):
                self._held[w, row] = word
            # a dealbreaker refuses what its practice covers ("animal products": meat, wool...)
            refused = {s for d in dealbreakers for s in self.taxonomy.covered(d)}
            for w, word in enumerate(self._slug_bits(refused)):
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
            self._version[row] = c.version
            w = WEIGHTS
            audience = AUDIENCE_QUALITY * best_q + AUDIENCE_COUNTRIES + AUDIENCE_PLATFORMS
            self._base[row] = w.audience * audience + w.track_record * track
            self._virtual[row] = bool(c.is_virtual)
            self._meaning[:, row] = 0 if c.meaning is None else c.meaning
            if c.phrases is None:
                self._phrases.pop(c.creator_id, None)
            else:
                self._phrases[c.creator_id] = c.phrases
            self._set_refused_names(c.creator_id, c.refused_names)

    def _set_refused_names(self, creator_id: str, names: frozenset[str]) -> None:
        for name in self._refused_names.pop(creator_id, ()):
            refusers = self._name_refusers[name]
            refusers.discard(creator_id)
            if not refusers:
                del self._name_refusers[name]
        if names:
            self._refused_names[creator_id] = names
            for name in names:
                self._name_refusers.setdefault(name, set()).add(creator_id)

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
        self._phrases.pop(creator_id, None)
        self._set_refused_names(creator_id, frozenset())
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

    # -- meaning ------------------------------------------------------------------------------
    _CHUNK = 16_384  # creators per int8 -> float32 conversion: stays in cache, one gemv each

    def _cosine(self, q, cols) -> np.ndarray | None:
        """Cosine between the brief's meaning and the creators' at ``cols`` (float32, a fresh
        array the caller may change), None when the brief has no meaning. A pass over every
        creator is kept on the compiled brief: filters and score share it."""
        if q.meaning is None:
            return None
        n = self._n
        if q.cosines is None and isinstance(cols, slice) and cols == slice(0, n):
            full = np.empty(n, dtype=np.float32)
            for i in range(0, n, self._CHUNK):
                j = min(n, i + self._CHUNK)
                np.matmul(q.meaning, self._meaning[:, i:j].astype(np.float32), out=full[i:j])
            q.cosines = full
        if q.cosines is not None:
            return q.cosines[cols].copy()
        return q.meaning @ self._meaning[:, cols].astype(np.float32)

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
