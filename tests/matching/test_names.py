"""Dealbreakers no concept covers, matched by name against what a brand states."""

from __future__ import annotations

from matching import Brief, CreatorProfile, MatchIndex
from matching.names import names_refused, refused_names, stated_names


def test_a_dealbreaker_stands_for_the_names_it_lists() -> None:
    assert refused_names("Amazon (jamais)") == ("amazon",)
    assert refused_names("Nestlé (or anything they own)") == ("nestle",)
    assert refused_names("Shein, Temu & co") == ("shein", "temu")
    assert refused_names("la grande distribution") == ("grande distribution",)
    # a sentence is not a name
    assert refused_names("marques qui font du pinkwashing") == ()


def test_only_dealbreakers_the_reader_did_not_understand_are_names() -> None:
    assert names_refused([("Nestlé", False), ("palm oil", True)]) == {"nestle"}


def test_a_brand_states_its_name_and_the_practices_that_deny_nothing() -> None:
    stated = stated_names(
        ["vente sur notre site et sur Amazon", "chocolate chips supplied by Nestlé Professional"],
        "Verte Maison",
    )
    assert {"amazon", "nestle", "nestle professional", "verte maison"} <= stated
    denied = stated_names(
        [
            "commande en ligne sans passer par Amazon",
            "aucune vente sur Amazon ni sur les marketplaces",
            "Shein not accepted",
        ]
    )
    assert not {"amazon", "shein"} & denied


def test_a_brand_states_the_group_that_owns_what_it_names() -> None:
    stated = stated_names(
        ["Marque du groupe Gerber depuis 2021", "vendue avec les croquettes Royal Canin"]
    )
    assert {"gerber", "nestle", "royal canin", "mars"} <= stated
    assert "luxottica" in stated_names(["Verres Essilor, du groupe EssilorLuxottica"])
    # a denial names neither the brand nor its owner; a group does not state its brands
    assert not {"nespresso", "nestle"} & stated_names(["capsules compatibles, sans Nespresso"])
    assert "gerber" not in stated_names(["Nestlé Professional"])


def test_a_word_for_several_companies_refuses_each() -> None:
    assert refused_names("GAFAM 🙅‍♀️") == (
        "gafam", "google", "apple", "facebook", "amazon", "microsoft"
    )  # fmt: skip
    assert {"shell", "bp"} <= set(refused_names("big oil"))
    # a group's other names, but not one that is a common word: "Mars Inc." is not the planet
    assert "lvmh" in refused_names("Bernard Arnault et son empire")
    assert "mars" not in refused_names("Mars Inc. (M&M's, Snickers, Whiskas…)")
    assert "whiskas" in refused_names("Mars Inc. (M&M's, Snickers, Whiskas…)")


def test_known_companies_in_parentheses_are_refused_by_name() -> None:
    named = refused_names("Mars (Whiskas, Sheba, Royal Canin…)")
    assert {"mars", "whiskas", "sheba", "royal canin"} <= set(named)
    assert "mars inc" in named  # the group's other names
    # understood or not: the reader reads the dairy lobby, the parentheses name Nestlé
    assert names_refused([("lobby du lait infantile (Nestlé & co)", True)]) == {"nestle"}
    # words in parentheses that name no known company stay out
    assert names_refused([("fast fashion (the worst)", True)]) == frozenset()


def test_the_index_filters_out_a_creator_refusing_the_owner_of_a_stated_brand() -> None:
    index = MatchIndex()
    refusers = {"gafam": "GAFAM", "nestle": "Nestlé", "mars": "Mars (Whiskas, Royal Canin)"}
    index.upsert_many(
        [_creator(c, names_refused([(text, False)])) for c, text in refusers.items()]
        + [_creator("fine")]
    )
    for practices, screened in (
        (["Cloud credits provided by Amazon Web Services"], "gafam"),
        (["Marque du groupe Gerber depuis 2021"], "nestle"),
        (["Vendue avec les croquettes Royal Canin"], "mars"),
    ):
        brief = Brief(
            values=["animal-welfare"], budget=10**18, stated_names=stated_names(practices)
        )
        kept = {m.creator_id for m in index.search(brief)}
        assert kept == {"fine", *refusers} - {screened}, practices


def _creator(creator_id: str, names: frozenset[str] = frozenset()) -> CreatorProfile:
    return CreatorProfile(
        creator_id=creator_id,
        values=["animal-welfare"],
        languages=["fr"],
        min_fee={"ETH": 1},
        refused_names=names,
    )


def test_the_index_filters_out_a_creator_refusing_a_name_the_brand_states() -> None:
    index = MatchIndex()
    index.upsert_many([_creator("refuses", frozenset({"amazon"})), _creator("fine")])
    brief = Brief(values=["animal-welfare"], budget=10**18, stated_names={"amazon", "vente"})
    assert [m.creator_id for m in index.search(brief)] == ["fine"]
    [reason] = index.explain_filter(brief, "refuses")
    assert (reason.code, reason.detail["names"]) == ("dealbreaker", ["amazon"])
    assert isinstance(index.score_one(brief, _creator("again", frozenset({"amazon"}))), list)
    # a brand that states nothing of it keeps the creator
    quiet = Brief(values=["animal-welfare"], budget=10**18, stated_names={"vente"})
    assert {m.creator_id for m in index.search(quiet)} == {"refuses", "fine"}
    # the names follow the creator's profile: replaced, then gone with it
    index.upsert(_creator("refuses"))
    assert {m.creator_id for m in index.search(brief)} == {"refuses", "fine"}
    index.upsert(_creator("refuses", frozenset({"amazon"})))
    assert index.delete("refuses")
    assert [m.creator_id for m in index.search(brief)] == ["fine"]
