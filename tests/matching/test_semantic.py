"""Meaning vectors: the shipped basis, the stored form, and affinity inside the index."""

from __future__ import annotations

import numpy as np
import pytest

from matching import MatchIndex
from matching.scoring import AFFINITY_MATCH
from matching.semantic import (
    DIM,
    SCALE,
    VERSION,
    affinity,
    basis_texts,
    brief_meaning,
    creator_meaning,
    fit_basis,
    fitted_texts,
    from_stored,
    meaning,
    to_stored,
)
from tests.matching.test_index import brief, codes, creator


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIM)
    return np.round(v * SCALE / np.linalg.norm(v)).astype(np.int8)


def test_the_shipped_basis_is_the_fit_of_its_vocabulary(monkeypatch) -> None:
    """Refit from the vocabulary shipped with the basis (the taxonomy's when it was fitted)
    and compare what matters: the vectors it gives for new texts."""
    import matching.semantic as semantic

    vocabulary = fitted_texts()
    assert len(vocabulary) > 2000
    assert set(vocabulary) & set(basis_texts())  # the taxonomy's, grown since or not
    texts = ["football féminin", "cuisine végane du quotidien", "privacy and open source"]
    shipped = [meaning([t]) for t in texts]
    refit = fit_basis(vocabulary)
    monkeypatch.setattr(semantic, "_basis", lambda: refit)
    semantic._meaning.cache_clear()
    try:
        for text, before in zip(texts, shipped, strict=True):
            assert affinity(before, meaning([text])) > 0.99
    finally:
        semantic._meaning.cache_clear()


def test_the_stored_form_round_trips_and_refuses_another_basis() -> None:
    vector = creator_meaning(["zéro déchet"], "Je vis sans poubelle depuis 2019")
    assert vector.dtype == np.int8
    assert vector.shape == (DIM,)
    assert np.array_equal(from_stored(to_stored(vector)), vector)
    assert from_stored(bytes([VERSION + 1]) + vector.tobytes()) is None  # recompute it
    assert from_stored(None) is None
    assert to_stored(None) is None
    assert meaning(["", "  "]) is None  # no words, no meaning


def test_affinity_crosses_languages_and_tells_topics_apart() -> None:
    football = creator_meaning(["football féminin", "égalité dans le sport"], "Milieu de terrain")
    baking = creator_meaning(["pâtisserie maison", "recettes de grand-mère"], "Je fais des gâteaux")
    boots = brief_meaning(
        title="Women's football boots",
        description="We look for players who will test our new boots on the pitch.",
        values=["women's football"],
    )
    assert affinity(boots, football) > affinity(boots, baking) + 0.2


def test_a_creator_close_in_words_passes_the_shared_value_rule() -> None:
    """A brief asks a concept the creator's phrases did not map to; the creator's words say
    the same thing: it is a match (explained as such), while one unrelated stays out."""
    words = _unit(1)
    index = MatchIndex()
    index.upsert(creator("close", values={"feminism": 1.0}, meaning=words))
    index.upsert(creator("far", values={"feminism": 1.0}, meaning=-words))
    index.upsert(creator("silent", values={"feminism": 1.0}))
    b = brief(values={"veganism": 1.0}, require_shared_value=True, meaning=words)
    ranked = index.search(b, limit=10)
    assert [m.creator_id for m in ranked] == ["close"]
    assert ranked[0].components["affinity"] == pytest.approx(1.0, abs=0.01)
    assert ranked[0].explanation.startswith("Close to the brand in what it writes")
    assert codes(index, b, "far") == {"no_shared_value"}
    assert codes(index, b, "silent") == {"no_shared_value"}
    assert codes(index, b, "close") == set()


def test_the_rule_reads_the_cosine_at_its_threshold() -> None:
    words = _unit(2)
    w = words.astype(np.float64)
    other = _unit(3).astype(np.float64)
    other -= (other @ w) / (w @ w) * w  # orthogonal to words
    index = MatchIndex()
    for i, cos in enumerate((AFFINITY_MATCH + 0.05, AFFINITY_MATCH - 0.05)):
        mix = cos * w / np.linalg.norm(w) + np.sqrt(1 - cos**2) * other / np.linalg.norm(other)
        index.upsert(creator(f"c{i}", values={"feminism": 1.0}, meaning=np.round(mix * SCALE)))
    b = brief(values={"veganism": 1.0}, require_shared_value=True, meaning=words)
    assert [m.creator_id for m in index.search(b, limit=10)] == ["c0"]


def test_a_brief_naming_no_concept_is_ranked_on_its_words() -> None:
    words = _unit(4)
    index = MatchIndex()
    index.upsert(creator("same", meaning=words))
    index.upsert(creator("opposite", meaning=-words))
    index.upsert(creator("unknown"))
    ranked = index.search(brief(values={}, meaning=words), limit=10)
    assert [m.creator_id for m in ranked][0] == "same"
    assert ranked[0].components["alignment"] == pytest.approx(1.0, abs=0.01)
    assert [m.components["alignment"] for m in ranked[1:]] == [0.0, 0.0]


def test_concepts_and_words_blend_in_one_alignment() -> None:
    """Sharing the concept and the words beats sharing the concept alone, which beats the
    words alone: the concept stays the stronger evidence."""
    words = _unit(5)
    index = MatchIndex()
    index.upsert(creator("both", meaning=words))
    index.upsert(creator("concept", meaning=-words))
    index.upsert(creator("words", values={"feminism": 1.0}, meaning=words))
    ranked = index.search(brief(values={"veganism": 1.0}, meaning=words), limit=10)
    assert [m.creator_id for m in ranked] == ["both", "concept", "words"]


def test_meaning_survives_growth_and_deletes() -> None:
    index = MatchIndex(capacity=4)
    vectors = {f"c{i}": _unit(10 + i) for i in range(40)}
    for cid, v in vectors.items():
        index.upsert(creator(cid, meaning=v))
    for i in range(0, 40, 3):
        index.delete(f"c{i}")
        del vectors[f"c{i}"]
    for cid, v in list(vectors.items())[:5]:
        ranked = index.search(brief(values={}, meaning=v), limit=1)
        assert ranked[0].creator_id == cid
