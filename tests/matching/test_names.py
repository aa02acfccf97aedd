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
