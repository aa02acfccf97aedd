"""Phrase closeness: how near a brief's phrases come to the closest of a creator's own.

The meaning vector (:mod:`matching.semantic`) averages all of one side's words into one point;
a creator who writes about running, queer joy and zero waste sits between the three. Closeness
keeps the phrases apart: for each phrase of the brief (its text, each target value, the brand's
description and values) the best cosine with any phrase of the creator (each value phrase, the
bio), averaged with the brief's weights (those of its meaning: the brand's own words count less).

Each phrase is kept as its **fingerprint**: the sign bits of its 512-dim sentence embedding
(64 bytes). The cosine of two fingerprints (as unit ±1 vectors) is ``1 - 2 * hamming / 512``,
an estimate of the embeddings' own that ranks as well on the dev sets. Fingerprints are read
only for the best candidates of a search (see :mod:`matching.index.ranking`), never scanned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from matching.semantic import brief_texts

BITS = 512  # the sentence embedding's dimension: one sign bit each
FINGERPRINT_BYTES = BITS // 8
MAX_PHRASES = 41  # a profile's 40 value phrases and its bio
VERSION = 1


@dataclass(frozen=True)
class BriefPhrases:
    """A brief's fingerprints, one row each, and their weights."""

    bits: np.ndarray  # (n, FINGERPRINT_BYTES) uint8
    weights: np.ndarray  # (n,) float32, summing to 1


@lru_cache(maxsize=4096)
def _fingerprints(texts: tuple[str, ...]) -> bytes:
    from matching.interpret import embed_batch

    return np.packbits(embed_batch(texts) >= 0.0, axis=1).tobytes()


def fingerprints(texts: Sequence[str]) -> np.ndarray | None:
    """Fingerprints of the non-empty ``texts`` (n, 64) uint8, in order; None when none."""
    kept = tuple(t.strip() for t in texts if t and t.strip())[:MAX_PHRASES]
    if not kept:
        return None
    raw = np.frombuffer(_fingerprints(kept), dtype=np.uint8)
    return raw.reshape(len(kept), FINGERPRINT_BYTES).copy()


def creator_phrases(values: Sequence[str], bio: str = "") -> np.ndarray | None:
    """A creator's fingerprints: each value phrase as written, and the bio."""
    return fingerprints([*values, bio])


def brief_phrases(
    *,
    title: str = "",
    description: str = "",
    values: Sequence[str] = (),
    brand_description: str = "",
    brand_values: Sequence[str] = (),
) -> BriefPhrases | None:
    """A brief's fingerprints, weighted as its meaning (:func:`matching.semantic.brief_texts`:
    its text and each target phrase 1, the brand's description and value phrases less)."""
    texts, weights = brief_texts(
        title=title,
        description=description,
        values=values,
        brand_description=brand_description,
        brand_values=brand_values,
    )
    pairs = [(t, w) for t, w in zip(texts, weights, strict=True) if t.strip()]
    if not pairs:
        return None
    bits = fingerprints([t for t, _ in pairs])
    weights = np.array([w for _, w in pairs][: len(bits)], dtype=np.float32)
    return BriefPhrases(bits=bits, weights=weights / weights.sum())


def closeness(brief: BriefPhrases, creator: np.ndarray | None) -> float:
    """The weighted mean, over the brief's phrases, of the best cosine with any of the
    creator's, in [0, 1] (0 when the creator has no phrase)."""
    return float(closeness_many(brief, [creator])[0])


def closeness_many(brief: BriefPhrases, creators: Sequence[np.ndarray | None]) -> np.ndarray:
    """:func:`closeness` for many creators at once (float32), in one pass over their phrases."""
    out = np.zeros(len(creators), dtype=np.float32)
    have = [i for i, bits in enumerate(creators) if bits is not None and len(bits)]
    if not have:
        return out
    counts = np.array([len(creators[i]) for i in have])
    stacked = np.concatenate([creators[i] for i in have]).view(np.uint64)  # (phrases, 8)
    query = brief.bits.view(np.uint64)
    differ = np.bitwise_count(query[:, None, :] ^ stacked[None, :, :]).sum(axis=2)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    fewest = np.minimum.reduceat(differ, starts, axis=1)  # (brief phrases, creators)
    best = 1.0 - 2.0 * fewest / BITS
    out[have] = np.maximum(0.0, brief.weights @ best)
    return out


def to_stored(bits: np.ndarray | None) -> bytes | None:
    """The column form: :data:`VERSION`, then the fingerprints one after another."""
    if bits is None:
        return None
    return bytes([VERSION]) + np.asarray(bits, dtype=np.uint8).tobytes()


def from_stored(raw: bytes | None) -> np.ndarray | None:
    """Stored fingerprints, or None when absent or of another version (recompute them)."""
    if not raw or raw[0] != VERSION or (len(raw) - 1) % FINGERPRINT_BYTES:
        return None
    return np.frombuffer(raw[1:], dtype=np.uint8).reshape(-1, FINGERPRINT_BYTES).copy()
