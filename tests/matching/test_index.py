"""MatchIndex: each hard filter, exact money, scores, explanations, diversity, upserts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import (
    WEIGHTS,
    Audience,
    Brief,
    CreatorProfile,
    FilterReason,
    Match,
    MatchIndex,
    UnknownValueError,
    exposure_gini,
    load_taxonomy,
)
from matching.diversity import DIVERSITY_EPSILON, diversify_matches
from matching.scoring import PHRASE_WEIGHT
from tests.matching import devset

ONE_ETH = 10**18
USDC = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def creator(cid="c1", **kw) -> CreatorProfile:
    base = dict(
        creator_id=cid,
        values={"animal-welfare": 1.0, "veganism": 1.0},
        dealbreakers=[],
        is_virtual=False,
        languages=["fr", "en"],
        audience={"instagram": Audience(50_000, 0.05, ["FR", "BE"])},
        min_fee={"ETH": ONE_ETH // 10},
        completed_deals=3,
    )
    base.update(kw)
    return CreatorProfile(**base)


def brief(**kw) -> Brief:
    base = dict(values={"veganism": 1.0}, practices=[], budget=ONE_ETH, token="ETH")
    base.update(kw)
    return Brief(**base)


def codes(index: MatchIndex, b: Brief, cid: str = "c1") -> set[str]:
    return {r.code for r in index.explain_filter(b, cid)}


@pytest.fixture
def index() -> MatchIndex:
    idx = MatchIndex()
    idx.upsert(creator())
    return idx


# -- hard filters, one reason each -----------------------------------------------------------
def test_passing_creator_is_listed(index):
    assert codes(index, brief()) == set()
    assert [m.creator_id for m in index.search(brief())] == ["c1"]


def test_explicit_dealbreaker(index):
    index.upsert(creator(values=["feminism"], dealbreakers=["alcool"]))
    b = brief(practices=["alcohol"])
    reasons = index.explain_filter(b, "c1")
    assert [r.code for r in reasons] == ["dealbreaker"]
    assert reasons[0].detail == {"practices": ["alcohol"]}
    assert index.search(b) == []


def test_value_conflict_is_implied_by_the_taxonomy(index):
    b = brief(practices=["fur"])
    reasons = index.explain_filter(b, "c1")
    assert [r.code for r in reasons] == ["value_conflict"]
    assert ["animal-welfare", "fur"] in reasons[0].detail["conflicts"]
    assert index.search(b) == []
    # through a parent: a vegan creator refuses animal testing too
    index.upsert(creator(values=["veganism"]))
    assert codes(index, brief(practices=["animal testing"])) == {"value_conflict"}


def test_a_creator_embracing_a_practice_does_not_implicitly_refuse_it():
    """A creator whose values name the brand's practice ("natural wine", here alcohol) embraces
    it: its other values (sobriety's refusal of alcohol) do not screen it out for that practice,
    and it shares the practice with the brand: a shared value, with concept credit."""
    idx = MatchIndex()
    idx.upsert(creator("wine", values=["sobriety", "alcohol"]))
    idx.upsert(creator("sober", values=["sobriety"]))
    idx.upsert(creator("other", values=["football"]))
    b = brief(values={"organic-food": 1.0}, practices=["alcohol"], require_shared_value=True)
    assert codes(idx, b, "wine") == set()
    assert codes(idx, b, "sober") == {"value_conflict", "no_shared_value"}
    assert idx.explain_filter(b, "sober")[0].detail["conflicts"] == [["sobriety", "alcohol"]]
    assert codes(idx, b, "other") == {"no_shared_value"}
    [match] = idx.search(b)
    assert match.creator_id == "wine"
    assert match.components["alignment"] > 0
    assert match.explanation.startswith("Shares alcohol with the brand")
    # an explicit dealbreaker still wins over anything the values say
    idx.upsert(creator("wine", values=["alcohol"], dealbreakers=["alcohol"]))
    assert codes(idx, b, "wine") == {"dealbreaker"}


def test_a_loose_value_earns_credit_but_neither_refuses_nor_embraces():
    """ "Cuisine du marché" read at 0.57 as veganism: some credit for a vegan brief, but it
    does not screen the cook out of a cheese maker, nor does a loose practice embrace one."""
    idx = MatchIndex()
    idx.upsert(creator("cook", values={"cooking": 1.0, "veganism": 0.57}, loose={"veganism"}))
    idx.upsert(creator("vegan", values={"cooking": 1.0, "veganism": 1.0}))
    cheese = brief(values={"cooking": 1.0}, practices=["dairy"])
    assert codes(idx, cheese, "cook") == set()
    assert codes(idx, cheese, "vegan") == {"value_conflict"}
    vegan = idx.search(brief(values={"veganism": 1.0}))
    assert [m.creator_id for m in vegan] == ["vegan", "cook"]
    assert vegan[1].components["alignment"] > 0
    idx.upsert(creator("fan", values={"gambling": 0.55, "football": 1.0}, loose={"gambling"}))
    betting = brief(values={}, practices=["gambling"], require_shared_value=True)
    assert idx.explain_filter(betting, "fan") == []
    [match] = [m for m in idx.search(betting) if m.creator_id == "fan"]
    assert not match.explanation.startswith("Shares gambling")


def test_a_practice_the_brand_also_denies_trips_dealbreakers_only():
    """A craft brewery whose practices also say "bières 0,0% alcool": whether it sells alcohol
    is uncertain. A creator refusing alcohol is still screened out (a refusal is never
    risked); a sober creator, who refuses nothing outright, is not."""
    idx = MatchIndex()
    idx.upsert(creator("sober", values=["sobriety"]))
    idx.upsert(creator("refuses", values=["sobriety"], dealbreakers=["alcohol"]))
    brewery = brief(values={"sobriety": 1.0}, practices=["alcohol"])
    assert codes(idx, brewery, "sober") == {"value_conflict"}
    brewery.practices_denied = ["alcohol"]
    assert codes(idx, brewery, "sober") == set()
    assert codes(idx, brewery, "refuses") == {"dealbreaker"}
    assert [m.creator_id for m in idx.search(brewery)] == ["sober"]


def test_a_dealbreaker_refuses_what_its_practice_covers():
    idx = MatchIndex()
    idx.upsert(creator("vegan", values=["cooking"], dealbreakers=["animal-products"]))
    idx.upsert(creator("crypto", values=["cooking"], dealbreakers=["crypto"]))
    assert codes(idx, brief(values={"cooking": 1.0}, practices=["wool"]), "vegan") == {
        "dealbreaker"
    }
    assert codes(idx, brief(values={"cooking": 1.0}, practices=["nft"]), "crypto") == {
        "dealbreaker"
    }
    # not the other way round: refusing NFTs refuses no plain crypto exchange
    idx.upsert(creator("nft", values=["cooking"], dealbreakers=["nft"]))
    assert codes(idx, brief(values={"cooking": 1.0}, practices=["crypto"]), "nft") == set()


def test_an_embraced_practice_counts_for_a_brief_that_names_no_cause():
    idx = MatchIndex()
    idx.upsert(creator("fan", values=["gambling"]))
    idx.upsert(creator("other", values=["football"]))
    b = brief(values={}, practices=["gambling"])
    assert [m.creator_id for m in idx.search(b)] == ["fan", "other"]


def test_a_creator_speaking_the_brief_language_ranks_first():
    """A brief written in French prefers creators who speak French; one that lists the
    languages it accepts filters on them and prefers none of them."""
    idx = MatchIndex()
    idx.upsert(creator("en", languages=["en"]))
    idx.upsert(creator("fr", languages=["fr"]))
    french = idx.search(brief(lang="fr"))
    assert [m.creator_id for m in french] == ["fr", "en"]
    assert [m.components["language"] for m in french] == [1.0, 0.0]
    assert french[0].score - french[1].score == pytest.approx(WEIGHTS.language, abs=1e-6)
    assert "ne parle pas la langue de la demande" in french[1].explanation
    both = idx.search(brief(lang="fr", languages=["en", "fr"]))
    assert [m.components["language"] for m in both] == [1.0, 1.0]
    assert both[0].score == both[1].score


def test_practice_named_in_brief_values_counts_as_practice(index):
    assert codes(index, brief(values={"veganism": 1, "fourrure": 1})) == {"value_conflict"}


def test_below_min_fee_is_exact_beyond_2_63():
    idx = MatchIndex()
    fee = 50 * ONE_ETH  # 5e19 wei > 2**63
    assert fee > 2**63
    idx.upsert(creator(min_fee={"ETH": fee}))
    assert codes(idx, brief(budget=fee - 1)) == {"below_min_fee"}
    assert codes(idx, brief(budget=fee)) == set()
    assert codes(idx, brief(budget=fee + 1)) == set()
    assert float(fee - 1) == float(fee)  # the float pre-filter alone could not tell
    assert idx.search(brief(budget=fee - 1)) == []
    assert len(idx.search(brief(budget=fee))) == 1


def test_fee_far_beyond_int64_residuals():
    idx = MatchIndex()
    fee = 2**200 + 12345
    idx.upsert(creator(min_fee={"ETH": fee}))
    assert codes(idx, brief(budget=fee - 1)) == {"below_min_fee"}
    assert codes(idx, brief(budget=fee)) == set()
    idx.upsert(creator("c2", min_fee={"ETH": 1}))
    idx.delete("c1")  # moves c2's row, huge-fee side table must follow
    assert codes(idx, brief(budget=1), "c2") == set()


def test_token_not_accepted_and_token_spelling(index):
    index.upsert(creator(min_fee={USDC: 500 * 10**6}))
    assert codes(index, brief(token="ETH")) == {"token_not_accepted"}
    assert codes(index, brief(token=USDC.lower(), budget=500 * 10**6)) == set()
    assert codes(index, brief(token=USDC, budget=499 * 10**6)) == {"below_min_fee"}
    assert codes(index, brief(token="0x" + "ab" * 20)) == {"token_not_accepted"}


def test_language(index):
    assert codes(index, brief(languages=["de"])) == {"language"}
    assert codes(index, brief(languages=["de", "FR"])) == set()


def test_platform(index):
    assert codes(index, brief(platforms=["tiktok"])) == {"platform"}
    assert codes(index, brief(platforms=["tiktok", "instagram"])) == set()
    both = brief(platforms=["tiktok", "instagram"], require_all_platforms=True)
    assert codes(index, both) == {"platform"}
    assert codes(index, brief(platforms=["mastodon"])) == {"platform"}


def test_followers(index):
    assert codes(index, brief(min_followers=50_000)) == set()
    reasons = index.explain_filter(brief(min_followers=50_001), "c1")
    assert [r.code for r in reasons] == ["followers"]
    assert reasons[0].detail == {"followers": 50_000, "min_followers": 50_001}
    # on the requested platform only
    index.upsert(creator(audience={"x": Audience(10**6, 0.01), "tiktok": Audience(100)}))
    assert codes(index, brief(min_followers=1000, platforms=["tiktok"])) == {"followers"}


def test_country(index):
    assert codes(index, brief(countries=["CA"])) == {"country"}
    assert codes(index, brief(countries=["ca", "be"])) == set()


def test_several_reasons_and_messages_in_both_languages(index):
    b = dict(practices=["fur"], languages=["de"], countries=["US"], budget=1)
    en = index.explain_filter(brief(**b), "c1")
    fr = index.explain_filter(brief(**b, lang="fr"), "c1")
    assert [r.code for r in en] == ["value_conflict", "below_min_fee", "language", "country"]
    assert [r.code for r in fr] == [r.code for r in en]
    assert all(isinstance(r, FilterReason) and r.message for r in en + fr)
    assert "fur" in en[0].message
    assert "fourrure" in fr[0].message


def test_unknown_creator_and_unknown_values(index):
    with pytest.raises(KeyError):
        index.explain_filter(brief(), "nobody")
    with pytest.raises(UnknownValueError):
        index.upsert(creator("c9", values=["not a value at all"]))
    with pytest.raises(UnknownValueError):
        index.search(brief(practices=["spaceships"]))
    assert "c9" not in index


def test_money_is_integer_only():
    with pytest.raises(ValueError, match="not a float"):
        Brief(budget=1.5)
    with pytest.raises(ValueError, match="min_fee must be >= 0"):
        CreatorProfile("c", min_fee={"ETH": -1})
    assert Brief(budget="5000000000000000000").budget == 5 * ONE_ETH


# -- scores and explanations -------------------------------------------------------------------
def test_scores_and_components_are_bounded_and_weighted(dev_index):
    assert abs(sum(WEIGHTS.as_dict().values()) - 1) < 1e-9
    for raw in devset.raw_briefs()[:10]:
        for m in dev_index.search(devset.brief_from_json(raw), limit=50):
            assert 0 <= m.score <= 1
            weights = WEIGHTS.as_dict()  # affinity is shown, and counted inside alignment
            recombined = sum(weights[k] * m.components[k] for k in weights)
            # the brief has phrases: closeness is blended in (matching.scoring.PHRASE_WEIGHT)
            near = PHRASE_WEIGHT * m.components["phrases"]
            recombined = (recombined + near) / (1 + PHRASE_WEIGHT)
            assert abs(recombined - m.score) < 1e-4


def test_partial_credit_through_parents():
    idx = MatchIndex()
    idx.upsert(creator("exact", values=["veganism"]))
    idx.upsert(creator("parent", values=["animal-welfare"]))
    idx.upsert(creator("sibling", values=["cruelty-free"]))
    idx.upsert(creator("none", values=["feminism"]))
    align = {m.creator_id: m.components["alignment"] for m in idx.search(brief(), limit=10)}
    assert align["exact"] == 1.0
    assert 0 < align["sibling"] < align["parent"] < 1.0
    assert align["none"] == 0.0


def test_explanation_names_shared_values_and_penalties():
    idx = MatchIndex()
    idx.upsert(creator(values=["animal-welfare", "veganism"], completed_deals=0))
    b = dict(values={"veganism": 1, "cruelty-free": 1})
    en = idx.search(brief(**b))[0].explanation
    fr = idx.search(brief(**b, lang="fr"))[0].explanation
    assert en.startswith("Shares veganism")
    assert "cruelty-free" in en
    assert "no completed deals yet" in en
    assert fr.startswith("Partage les valeurs véganisme")
    assert "sans cruauté" in fr
    assert "aucune collaboration terminée" in fr
    idx.upsert(creator(values=["feminism"], completed_deals=30, min_fee={"ETH": ONE_ETH // 2}))
    assert idx.search(brief())[0].explanation.endswith("with no penalty.")


def test_score_one_agrees_with_search(index):
    c = creator("c1")
    got = index.score_one(brief(), c)
    assert isinstance(got, Match)
    assert got == index.search(brief())[0]
    reasons = index.score_one(brief(practices=["fur"]), c)
    assert [r.code for r in reasons] == ["value_conflict"]


def test_score_indexed_reads_the_version_the_index_holds_in_place():
    idx = MatchIndex()
    others = [creator(f"o{i}", values={"climate": 1.0}, languages=["de"]) for i in range(40)]
    idx.upsert_many([*others, creator("c1", version=7)])
    fresh = creator("c1", version=8, dealbreakers=["fur"])
    for b in (brief(), brief(practices=["fur"]), brief(languages=["de"])):
        held = idx.score_indexed(b, "c1", 7)
        assert held == idx.score_one(b, creator("c1", version=7))
        listed = [m for m in idx.search(b, limit=50) if m.creator_id == "c1"]
        assert [held] == listed if listed else held == idx.explain_filter(b, "c1")
    assert isinstance(idx.score_indexed(brief(), "c1", 7), Match)
    assert idx.score_indexed(brief(), "c1", 8) is None  # another state of the creator
    assert idx.score_indexed(brief(), "nobody", 0) is None
    idx.upsert(fresh)
    assert "dealbreaker" in {r.code for r in idx.score_indexed(brief(practices=["fur"]), "c1", 8)}
    idx.delete("o0")  # the last row moves into the hole, with its version
    assert idx.score_indexed(brief(), "c1", 8) == idx.score_one(brief(), fresh)


# -- diversity and exposure -----------------------------------------------------------------
def test_diversify_keeps_the_relevance_bound(dev_index):
    for raw in devset.raw_briefs():
        b = devset.brief_from_json(raw)
        plain = dev_index.search(b, limit=10)
        div = dev_index.search(b, limit=10, diversify=True)
        assert len(div) == len(plain)
        assert {m.creator_id for m in div} <= {m.creator_id for m in dev_index.search(b, 200)}
        assert sum(m.score for m in div) >= (1 - DIVERSITY_EPSILON) * sum(m.score for m in plain)
        for i, m in enumerate(div):  # each pick within epsilon of the i-th best overall
            assert m.score >= (1 - DIVERSITY_EPSILON) * plain[i].score - 1e-9


def test_diversify_mixes_tiers_and_virtual_creators():
    matches = [Match(f"h{i}", 0.9 - i * 0.001, {}, "", False) for i in range(8)]
    matches += [Match("v1", 0.86, {}, "", True), Match("n1", 0.85, {}, "", False)]
    tiers = {m.creator_id: 4 for m in matches} | {"n1": 0}
    out = diversify_matches(matches, 4, tiers)
    ids = [m.creator_id for m in out]
    assert ids[0] == "h0"
    assert "v1" in ids
    assert "n1" in ids


def test_exposure_gini():
    assert exposure_gini([]) == 0.0
    assert exposure_gini([["a", "b"], ["a", "b"]]) == 0.0
    assert exposure_gini([["a"], ["b"], ["c"]], population=6) == pytest.approx(0.5)
    concentrated = exposure_gini([["a", "b"]] * 9 + [["c", "d"]])
    spread = exposure_gini([["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]])
    assert concentrated > spread
    m = Match("a", 1.0, {}, "", False)
    assert exposure_gini([[m], [m]], population=["a", "b"]) == pytest.approx(0.5)


# -- index maintenance ---------------------------------------------------------------------
def test_upsert_replaces_and_delete_swaps(index):
    index.upsert(creator("c2", values=["feminism"]))
    index.upsert(creator("c3", values=["veganism"], languages=["en"]))
    assert len(index) == 3
    index.upsert(creator("c1", values=["climate"]))  # replace, not add
    assert len(index) == 3
    assert index.search(brief(), limit=1)[0].creator_id == "c3"
    assert index.delete("c1")
    assert not index.delete("c1")
    assert len(index) == 2
    assert set(index.ids) == {"c2", "c3"}
    assert codes(index, brief(languages=["fr"]), "c3") == {"language"}
    for cid in ("c2", "c3"):
        index.delete(cid)
    assert len(index) == 0
    assert index.search(brief()) == []


def test_growth_keeps_rows_intact():
    idx = MatchIndex(capacity=4)
    for i in range(100):
        idx.upsert(creator(f"c{i}", completed_deals=i, min_fee={"ETH": i * ONE_ETH // 100}))
    assert len(idx) == 100
    ranked = idx.search(brief(budget=ONE_ETH // 2), limit=100)
    assert len(ranked) == 51  # fees 0 .. 0.5 ONE_ETH
    assert idx.bytes_per_creator() <= 400


TAX = load_taxonomy()
_CAUSES = TAX.causes[:12]
_PRACTICES = TAX.practices[:6]
_creators = st.builds(
    lambda cid, vals, deal, langs, plats, fee, token, virt, deals: CreatorProfile(
        creator_id=f"c{cid}",
        values=vals,
        dealbreakers=deal,
        is_virtual=virt,
        languages=langs,
        audience={p: Audience(f, 0.03, c) for p, f, c in plats},
        min_fee={token: fee},
        completed_deals=deals,
    ),
    st.integers(0, 15),
    st.dictionaries(st.sampled_from(_CAUSES), st.floats(0.1, 1.0), max_size=3),
    st.lists(st.sampled_from(_PRACTICES), max_size=2),
    st.lists(st.sampled_from(["fr", "en", "es"]), max_size=2),
    st.lists(
        st.tuples(
            st.sampled_from(["instagram", "tiktok", "youtube"]),
            st.integers(0, 2_000_000),
            st.lists(st.sampled_from(["FR", "BE", "US"]), max_size=2),
        ),
        max_size=2,
    ),
    st.sampled_from([0, 10**17, 2**63 - 1, 2**63, 2**63 + 1, 5 * 10**19, 2**130 + 1]),
    st.sampled_from(["ETH", USDC]),
    st.booleans(),
    st.integers(0, 40),
)
_briefs = st.builds(
    lambda vals, prac, budget, token, langs, plats, minf, ctry: Brief(
        values=vals or {_CAUSES[0]: 1.0},
        practices=prac,
        budget=budget,
        token=token,
        languages=langs,
        platforms=plats,
        min_followers=minf,
        countries=ctry,
    ),
    st.dictionaries(st.sampled_from(_CAUSES), st.floats(0.1, 1.0), max_size=3),
    st.lists(st.sampled_from(_PRACTICES), max_size=2),
    st.sampled_from([0, 10**17, 2**63 - 1, 2**63, 2**63 + 1, 5 * 10**19, 2**130 + 1]),
    st.sampled_from(["ETH", USDC]),
    st.lists(st.sampled_from(["fr", "en", "es"]), max_size=2),
    st.lists(st.sampled_from(["instagram", "tiktok", "youtube"]), max_size=2),
    st.sampled_from([0, 1000, 100_000]),
    st.lists(st.sampled_from(["FR", "BE", "US"]), max_size=2),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("up"), _creators), st.tuples(st.just("del"), st.integers(0, 15))
        ),
        max_size=30,
    ),
    b=_briefs,
)
def test_index_matches_brute_force_after_upserts_and_deletes(ops, b):
    idx = MatchIndex(capacity=2)
    reference: dict[str, CreatorProfile] = {}
    for op, arg in ops:
        if op == "up":
            idx.upsert(arg)
            reference[arg.creator_id] = arg
        else:
            assert idx.delete(f"c{arg}") == (reference.pop(f"c{arg}", None) is not None)
    assert sorted(idx.ids) == sorted(reference)
    eligible = {cid for cid, c in reference.items() if not devset.reference_reasons(TAX, b, c)}
    ranked = idx.search(b, limit=100)
    assert {m.creator_id for m in ranked} == eligible
    assert [m.score for m in ranked] == sorted((m.score for m in ranked), reverse=True)
    for cid, c in reference.items():
        assert {r.code for r in idx.explain_filter(b, cid)} == devset.reference_reasons(TAX, b, c)
        single = idx.score_one(b, c)
        if isinstance(single, Match):  # same score as in the shared index
            shared = next(m for m in ranked if m.creator_id == cid)
            assert single.score == pytest.approx(shared.score, abs=1e-5)
            assert single.components == pytest.approx(shared.components, abs=1e-5)
    top3 = idx.search(b, limit=3)
    assert [m.score for m in top3] == [m.score for m in ranked[:3]]


def test_search_paths_agree_on_a_large_index():
    """Many survivors (full scoring pass) and few survivors (gather pass) rank alike."""
    rng = np.random.default_rng(1)
    idx = MatchIndex()
    causes = TAX.causes
    idx.upsert_many(
        creator(
            f"c{i}",
            values={causes[j]: 1.0 for j in rng.choice(len(causes), 3, replace=False)},
            languages=["fr"] if i % 10 else ["de"],
            completed_deals=int(rng.integers(0, 30)),
        )
        for i in range(30_000)
    )
    # every creator passes (a full pass); each speaks a language the brief accepts, as in narrow
    everyone = brief(values={"climate": 1}, languages=["de", "fr"])
    wide = idx.search(everyone, limit=20)
    narrow = idx.search(brief(values={"climate": 1}, languages=["de"]), limit=20)
    assert all(m.creator_id[1:].isdigit() and int(m.creator_id[1:]) % 10 == 0 for m in narrow)
    scores = {m.creator_id: m.score for m in idx.search(everyone, 30_000)}
    for m in narrow:
        assert m.score == pytest.approx(scores[m.creator_id], abs=1e-5)
    assert wide[0].score >= narrow[0].score


def test_creators_sharing_no_value_are_filtered_before_the_top_k() -> None:
    """Big audiences that share nothing used to fill the top k and be dropped afterwards,
    leaving an empty list although a creator sharing a value exists."""
    idx = MatchIndex()
    for i in range(5):
        big = Audience(5_000_000, 0.09, ["FR", "BE"])
        ocean = {"ocean-protection": 1.0}
        idx.upsert(creator(f"big{i}", values=ocean, audience={"instagram": big}))
    small = Audience(2_000, 0.01, ["FR"])
    idx.upsert(creator("small", values={"veganism": 1.0}, audience={"instagram": small}))
    wanted = brief(require_shared_value=True)
    assert [m.creator_id for m in idx.search(wanted, limit=3)] == ["small"]
    assert codes(idx, wanted, "big0") == {"no_shared_value"}
    assert codes(idx, wanted, "small") == set()
    [reason] = idx.explain_filter(wanted, "big0")
    assert "veganism" in reason.detail["requested"]
    # Screening one offer leaves the rule to the creator's own alignment bar.
    assert codes(idx, brief(), "big0") == set()
    # A brief that names no cause keeps everyone (ranked on the rest).
    assert len(idx.search(brief(values={}, require_shared_value=True), limit=10)) == 6


def test_a_refusal_of_pork_is_narrower_than_one_of_meat():
    """A halal creator refusing pork is not screened out of a halal butcher (meat), but is out
    of a charcuterie; so is anyone refusing meat (meat covers pork); halal itself refuses pork
    and alcohol by implication, as vegetarianism refuses pork."""
    idx = MatchIndex()
    idx.upsert(creator("halal", values={"halal": 1.0, "cooking": 1.0}, dealbreakers=["pork"]))
    idx.upsert(creator("no-meat", values={"cooking": 1.0}, dealbreakers=["meat"]))
    idx.upsert(creator("halal-cook", values={"halal": 1.0, "cooking": 1.0}))
    idx.upsert(creator("veggie", values={"vegetarianism": 1.0, "cooking": 1.0}))
    butcher = brief(values={"cooking": 1.0}, practices=["meat"])
    charcuterie = brief(values={"cooking": 1.0}, practices=["pork"])
    assert codes(idx, butcher, "halal") == set()
    assert codes(idx, butcher, "halal-cook") == set()
    assert codes(idx, butcher, "no-meat") == {"dealbreaker"}
    assert codes(idx, charcuterie, "halal") == {"dealbreaker", "value_conflict"}
    assert codes(idx, charcuterie, "no-meat") == {"dealbreaker"}
    assert codes(idx, charcuterie, "halal-cook") == {"value_conflict"}
    assert codes(idx, charcuterie, "veggie") == {"value_conflict"}
    assert codes(idx, brief(values={"cooking": 1.0}, practices=["alcohol"]), "halal-cook") == {
        "value_conflict"
    }


def test_a_refusal_of_trophy_hunting_is_narrower_than_one_of_hunting():
    """An ethical hunter refusing trophy hunts is not screened out of an elk-hunt outfitter;
    anyone refusing hunting is out of a trophy hunt (hunting covers it), and animal welfare
    refuses both by implication."""
    idx = MatchIndex()
    idx.upsert(creator("hunter", values={"hunting": 1.0}, dealbreakers=["trophy-hunting"]))
    idx.upsert(creator("no-hunting", values={"biodiversity": 1.0}, dealbreakers=["hunting"]))
    idx.upsert(creator("welfare", values={"animal-welfare": 1.0}))
    outfitter = brief(values={"hiking-outdoors": 1.0}, practices=["hunting"])
    trophies = brief(values={"hiking-outdoors": 1.0}, practices=["trophy-hunting"])
    assert "dealbreaker" not in codes(idx, outfitter, "hunter")
    assert codes(idx, trophies, "hunter") == {"dealbreaker"}
    assert "dealbreaker" in codes(idx, trophies, "no-hunting")
    assert "value_conflict" in codes(idx, trophies, "welfare")
