"""Meaning vectors: what a creator's or a brief's own words are about, beyond the concepts.

A phrase the taxonomy does not know ("#LesBleues", "finances perso") still says something; so does
a brief's description or a creator's bio. Each side gets one small vector, the weighted mean of its
texts' sentence embeddings (:func:`matching.interpret.embed`, multilingual, so a French brief meets
an English profile), centred and projected on the 64 main directions of the taxonomy's own
vocabulary (labels, descriptions and aliases in both languages: the space where values differ),
then stored in int8. Their cosine is the **affinity** the score blends with concept alignment.

The basis (mean and directions) ships in ``data/meaning_basis.npz`` with the vocabulary it was
fitted on, built by ``python -m matching.semantic`` from the taxonomy; a test checks the shipped
basis is the fit of that vocabulary. Growing the taxonomy does not move it: every stored vector
would change, and each refit alone moves the dev sets' NDCG by about 0.01 either way. A refit is
a deliberate step: a new :data:`VERSION` and a migration that stores every creator's vector
again. A stored vector carries :data:`VERSION` so one made with another basis is recomputed
rather than compared.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

DIM = 64
SCALE = 127  # int8 steps of a unit vector's coordinates
VERSION = 4
BASIS_PATH = Path(__file__).with_name("data") / "meaning_basis.npz"
TAXONOMY_PATH = Path(__file__).with_name("data") / "taxonomy.json"
# A creator: each value phrase and its bio count alike (the bio says what it does).
BIO_WEIGHT = 1.0
# A brief: its target values and its text first, then the brand's own profile.
BRAND_WEIGHT = 0.5


def basis_texts() -> list[str]:
    """The vocabulary the basis is fitted on: every label, description and alias, FR and EN."""
    raw = json.loads(TAXONOMY_PATH.read_text("utf-8"))
    texts: set[str] = set()
    for entry in raw["entries"]:
        for lang in ("fr", "en"):
            texts.add(entry["labels"][lang])
            texts.add(entry["descriptions"][lang])
            texts.update(entry.get("synonyms", {}).get(lang, []))
    return sorted(texts)


def fit_basis(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and the :data:`DIM` principal directions of the texts' embeddings. Each direction's
    sign is fixed (largest coordinate positive) so a refit gives the same basis."""
    from matching.interpret import embed

    x = embed(list(texts)).astype(np.float64)
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    directions = vt[:DIM]
    signs = np.sign(directions[np.arange(DIM), np.abs(directions).argmax(axis=1)])
    return mean.astype(np.float32), (directions * signs[:, None]).astype(np.float32)


@cache
def _basis() -> tuple[np.ndarray, np.ndarray]:
    with np.load(BASIS_PATH) as data:
        return data["mean"], data["directions"]


def _project(embeddings: np.ndarray, weights: np.ndarray) -> np.ndarray:
    mean, directions = _basis()
    centred = (weights[:, None] * (embeddings - mean)).sum(axis=0) / weights.sum()
    v = directions @ centred
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        return np.zeros(DIM, dtype=np.int8)
    return np.round(v * (SCALE / norm)).astype(np.int8)


@lru_cache(maxsize=4096)
def _meaning(texts: tuple[str, ...], weights: tuple[float, ...]) -> bytes:
    from matching.interpret import embed_batch

    return _project(embed_batch(texts), np.asarray(weights, dtype=np.float32)).tobytes()


def meaning(texts: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray | None:
    """The int8 meaning vector of ``texts`` (weighted mean of their embeddings), or None when
    there is no text at all. Cached: a brief asked for its matches again costs nothing."""
    pairs = [
        (t.strip(), float(w))
        for t, w in zip(texts, weights or [1.0] * len(texts), strict=True)
        if t and t.strip() and w > 0
    ]
    if not pairs:
        return None
    vector = _meaning(tuple(t for t, _ in pairs), tuple(w for _, w in pairs))
    return np.frombuffer(vector, dtype=np.int8).copy()


def creator_meaning(values: Sequence[str], bio: str = "") -> np.ndarray | None:
    """A creator's vector: each value phrase counts 1, the bio :data:`BIO_WEIGHT`."""
    texts = list(values) + [bio]
    return meaning(texts, [1.0] * len(values) + [BIO_WEIGHT])


def brief_meaning(
    *,
    title: str = "",
    description: str = "",
    values: Sequence[str] = (),
    brand_description: str = "",
    brand_values: Sequence[str] = (),
) -> np.ndarray | None:
    """A brief's vector: its own text and each target value phrase count 1; the brand's
    description and each of its value phrases :data:`BRAND_WEIGHT`."""
    texts, weights = brief_texts(
        title=title,
        description=description,
        values=values,
        brand_description=brand_description,
        brand_values=brand_values,
    )
    return meaning(texts, weights)


def brief_texts(
    *,
    title: str = "",
    description: str = "",
    values: Sequence[str] = (),
    brand_description: str = "",
    brand_values: Sequence[str] = (),
) -> tuple[list[str], list[float]]:
    """A brief's texts and their weights: its own text and each target value phrase 1, the
    brand's description and each of its value phrases :data:`BRAND_WEIGHT`."""
    own = [f"{title}. {description}".strip(". ")] + list(values)
    brand = [brand_description] + list(brand_values)
    return own + brand, [1.0] * len(own) + [BRAND_WEIGHT] * len(brand)


def to_stored(vector: np.ndarray | None) -> bytes | None:
    """The column form: :data:`VERSION`, then the int8 coordinates."""
    if vector is None:
        return None
    return bytes([VERSION]) + np.asarray(vector, dtype=np.int8).tobytes()


def from_stored(raw: bytes | None) -> np.ndarray | None:
    """A stored vector, or None when absent or made with another basis (recompute it)."""
    if not raw or raw[0] != VERSION or len(raw) != DIM + 1:
        return None
    return np.frombuffer(raw[1:], dtype=np.int8).copy()


def affinity(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Cosine of two meaning vectors, in [-1, 1] (0 when either is missing)."""
    if a is None or b is None:
        return 0.0
    af, bf = a.astype(np.float32), b.astype(np.float32)
    na, nb = float(np.linalg.norm(af)), float(np.linalg.norm(bf))
    return float(af @ bf / (na * nb)) if na and nb else 0.0


def fitted_texts() -> list[str]:
    """The vocabulary the shipped basis was fitted on."""
    with np.load(BASIS_PATH) as data:
        return [str(t) for t in data["texts"]]


def main() -> int:
    texts = basis_texts()
    mean, directions = fit_basis(texts)
    np.savez_compressed(BASIS_PATH, mean=mean, directions=directions, texts=np.array(texts))
    print(f"wrote {BASIS_PATH.name}: {directions.shape[0]} directions over {mean.shape[0]} dims")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
