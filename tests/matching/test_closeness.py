"""Phrase closeness: fingerprints, the best phrase on each side, and the rerank in the index."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from matching import Audience, Brief, CreatorProfile, MatchIndex
from matching.closeness import (
    FINGERPRINT_BYTES,
    brief_phrases,
    closeness,
    creator_phrases,
    fingerprints,
    from_stored,
    to_stored,
)
from matching.scoring import PHRASE_WEIGHT, RERANK_DEPTH

TRAIL = "Des chaussures de trail pour courir en montagne"


def test_fingerprints_are_sign_bits_one_row_per_phrase():
    bits = fingerprints(["trail running", "", "  ", "queer joy"])
    assert bits.shape == (2, FINGERPRINT_BYTES)
    assert bits.dtype == np.uint8
    assert np.array_equal(bits, fingerprints(["trail running", "queer joy"]))
    assert fingerprints(["", " "]) is None


def test_identical_phrases_are_as_close_as_can_be():
    brief = brief_phrases(description="trail running")
    assert closeness(brief, fingerprints(["trail running"])) == 1.0
    assert closeness(brief, None) == 0.0


def test_the_closest_phrase_counts_not_the_average():
    """A runner who also writes about two unrelated things stays as close to a trail brief as
    one who only runs: each brief phrase meets the creator's best phrase."""
    brief = brief_phrases(description=TRAIL)
    runner = creator_phrases(["trail running"])
    busy = creator_phrases(["trail running", "tricot", "finances personnelles"])
    knitter = creator_phrases(["tricot", "laine locale"])
    assert closeness(brief, busy) == closeness(brief, runner)
    assert closeness(brief, runner) > closeness(brief, knitter) + 0.1


def test_the_brand_words_weigh_half():
    brief = brief_phrases(title="Trail", description=TRAIL, brand_values=["tricot"])
    assert brief.weights.tolist() == pytest.approx([2 / 3, 1 / 3])


def test_stored_fingerprints_round_trip_and_another_version_is_recomputed():
    bits = creator_phrases(["vegan", "zéro déchet"], "Je cuisine végétal.")
    assert np.array_equal(from_stored(to_stored(bits)), bits)
    assert from_stored(bytes([99]) + bits.tobytes()) is None
    assert from_stored(to_stored(bits)[:-1]) is None
    assert to_stored(None) is None


def _creator(cid: str, phrases) -> CreatorProfile:
    return CreatorProfile(
        cid,
        values=["running"],
        languages=["fr"],
        audience={"instagram": Audience(10_000, 0.04, ["FR"])},
        min_fee={"ETH": 1},
        phrases=phrases,
    )


def test_the_index_reranks_its_best_candidates_by_closeness():
    idx = MatchIndex()
    idx.upsert(_creator("knitter", creator_phrases(["tricot"])))
    idx.upsert(_creator("runner", creator_phrases(["trail en montagne"])))
    idx.upsert(_creator("silent", None))
    brief = Brief(
        values=["running"], budget=10, lang="fr", phrases=brief_phrases(description=TRAIL)
    )
    ranked = idx.search(brief)
    assert [m.creator_id for m in ranked] == ["runner", "knitter", "silent"]
    near = {m.creator_id: m.components["phrases"] for m in ranked}
    assert near["runner"] > near["knitter"] > 0.0 == near["silent"]
    # the same creators score alike on the columns: closeness alone orders them
    base = ranked[-1].score * (1 + PHRASE_WEIGHT)
    for m in ranked:
        assert m.score == pytest.approx(
            (base + PHRASE_WEIGHT * near[m.creator_id]) / (1 + PHRASE_WEIGHT), abs=1e-5
        )
    # without phrases in the brief the columns decide, unblended
    plain = idx.search(Brief(values=["running"], budget=10, lang="fr"))
    assert [m.score for m in plain] == pytest.approx([base] * 3, abs=1e-5)
    # screening one offer reads the same score
    one = idx.score_one(brief, _creator("runner", creator_phrases(["trail en montagne"])))
    assert one.score == ranked[0].score
    idx.delete("runner")
    idx.upsert(_creator("knitter", None))
    assert idx.phrase_bytes() == 0


def test_the_rerank_reaches_past_the_limit():
    """The best by closeness is found among the RERANK_DEPTH best by the columns, even when it
    is not among the first ``limit`` of them."""
    idx = MatchIndex()
    for i in range(RERANK_DEPTH - 1):
        c = _creator(f"k{i:02d}", creator_phrases(["tricot"]))
        c.completed_deals = 20  # better on the columns than the runner
        idx.upsert(c)
    idx.upsert(_creator("runner", creator_phrases(["trail en montagne"])))
    brief = Brief(
        values=["running"], budget=10, lang="fr", phrases=brief_phrases(description=TRAIL)
    )
    assert idx.search(brief, limit=1)[0].creator_id == "runner"


def test_a_profile_is_embedded_once_for_its_meaning_and_its_fingerprints(monkeypatch):
    """Both read the same texts: one batch through the encoder, not two."""
    from matching.semantic import brief_meaning, creator_meaning

    interpret = importlib.import_module("matching.interpret")  # the package exports a function

    calls = []
    embed = interpret.embed

    def counted(texts):
        calls.append(tuple(texts))
        return embed(texts)

    monkeypatch.setattr(interpret, "embed", counted)
    values, bio = ["escalade en falaise, jamais seule"], "Je grimpe le week-end du côté de Buoux."
    creator_meaning(values, bio)
    creator_phrases(values, bio)
    words = {
        "title": "Cordes d'escalade",
        "description": "Pour grimper en falaise.",
        "values": ["escalade"],
    }
    brief_meaning(**words)
    brief_phrases(**words)
    assert len(calls) == 2, calls
