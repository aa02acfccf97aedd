"""Quality on the hand-written dev set: NDCG@10, hard filters, explanations."""

from __future__ import annotations

import pytest

from matching import load_taxonomy
from tests.matching import devset

NDCG_FLOOR = 0.9  # measured 0.936
# The second tuning set (data/dev2, written apart, read in people's words like the API's): its
# bench row (bench/matching_quality.py). Measured 0.777, no forbidden creator in a top 10.
DEV2_NDCG_FLOOR = 0.75


def test_dev_set_shape():
    briefs, creators = devset.raw_briefs(), devset.raw_creators()
    assert len(briefs) >= 30
    assert sum(b["lang"] == "fr" for b in briefs) == sum(b["lang"] == "en" for b in briefs)
    assert len(creators) >= 150
    assert len({c["creator_id"] for c in creators}) == len(creators)
    ids = {c["creator_id"] for c in creators}
    for b in briefs:
        assert set(b["relevance"]) <= ids
        assert set(b["must_exclude"]) <= ids
        assert all(0 <= int(g) <= 3 for g in b["relevance"].values())
        assert b["must_exclude"], b["brief_id"]


def _ranked(dev_index, brief):
    return dev_index.search(brief, limit=len(dev_index))


def test_ndcg_at_10(dev_index):
    tax = load_taxonomy()
    creators = devset.creators()
    scores = {}
    for raw in devset.raw_briefs():
        brief = devset.brief_from_json(raw)
        eligible = {c.creator_id for c in creators if not devset.reference_reasons(tax, brief, c)}
        ranked = [m.creator_id for m in dev_index.search(brief, limit=10)]
        rel = {k: int(v) for k, v in raw["relevance"].items()}
        scores[raw["brief_id"]] = devset.ndcg_at(ranked, rel, eligible)
    mean = sum(scores.values()) / len(scores)
    print(f"NDCG@10 mean {mean:.3f} over {len(scores)} briefs; per brief {scores}")
    assert mean >= NDCG_FLOOR, scores


def test_second_tuning_set_ranks_well_and_never_shows_a_refusing_creator():
    from bench.matching_quality import DEV2, free_text

    result = free_text(DEV2)
    assert result["forbidden"] == []
    ndcg = result["ndcg"]
    assert sum(ndcg.values()) / len(ndcg) >= DEV2_NDCG_FLOOR, ndcg


def test_no_hard_filter_violation(dev_index):
    """Exhaustive: every (brief, creator) pair against an independent reference."""
    tax = load_taxonomy()
    creators = devset.creators()
    violations = []
    for raw in devset.raw_briefs():
        brief = devset.brief_from_json(raw)
        listed = {m.creator_id for m in _ranked(dev_index, brief)}
        for c in creators:
            expected = devset.reference_reasons(tax, brief, c)
            got = {r.code for r in dev_index.explain_filter(brief, c.creator_id)}
            if got != expected or (c.creator_id in listed) == bool(expected):
                violations.append((raw["brief_id"], c.creator_id, expected, got))
    assert violations == []


@pytest.mark.parametrize("raw", devset.raw_briefs(), ids=lambda r: r["brief_id"])
def test_must_exclude(dev_index, raw):
    brief = devset.brief_from_json(raw)
    listed = {m.creator_id for m in _ranked(dev_index, brief)}
    for cid in raw["must_exclude"]:
        assert cid not in listed
        reasons = dev_index.explain_filter(brief, cid)
        assert reasons
        assert all(r.message for r in reasons)


def test_traps_a_text_matcher_would_fall_for(dev_index):
    briefs = {b["brief_id"]: devset.brief_from_json(b) for b in devset.raw_briefs()}
    # A fur brand whose brief is full of "animal" words: no animal-welfare creator is shown,
    # in particular the vegan investigator whose bio names "animal testing" and "fur farming".
    fur = {m.creator_id for m in _ranked(dev_index, briefs["b02"])}
    assert not fur & {"aw01", "aw09", "aw10", "xx25", "tr07", "xx11"}
    codes = {r.code for r in dev_index.explain_filter(briefs["b02"], "aw09")}
    assert codes == {"value_conflict"}
    # ... while a cruelty-free brief does list that investigator.
    assert "aw09" in {m.creator_id for m in _ranked(dev_index, briefs["b20"])}
    # The oil major sponsoring sport never reaches climate creators.
    oil = {m.creator_id for m in _ranked(dev_index, briefs["b11"])}
    assert not oil & {"cl01", "cl05", "fi06", "pa07"}


@pytest.mark.parametrize("raw", devset.raw_briefs(), ids=lambda r: r["brief_id"])
def test_results_carry_components_and_a_sentence_in_the_brief_language(dev_index, raw):
    brief = devset.brief_from_json(raw)
    tax = load_taxonomy()
    for m in dev_index.search(brief, limit=5):
        assert 0.0 <= m.score <= 1.0
        assert set(m.components) == {
            "alignment",
            "affinity",
            "audience",
            "budget",
            "track_record",
            "language",
            "phrases",
        }
        assert all(0.0 <= v <= 1.0 for v in m.components.values())
        assert m.explanation.count(".") == 1
        assert m.explanation.endswith(".")
        if raw["lang"] == "fr":
            assert m.explanation.startswith(("Partage", "Proche", "Ne partage"))
        else:
            assert m.explanation.startswith(("Shares", "Close"))
        if m.components["alignment"] > 0:
            labels = [e.label(raw["lang"]) for e in tax.entries]
            in_words = ("par ce qu'il écrit", "in what it writes")
            assert any(label in m.explanation for label in labels + list(in_words))
