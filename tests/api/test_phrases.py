"""Values, dealbreakers, practices and brief targets are free phrases: never refused for their
meaning, stored as written with their reading, and the slugs the engine reads derive from it."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session

from api.brands.models import Brand
from api.creators.models import Creator
from api.requests.models import CollabRequest
from matching import load_taxonomy
from tests.factories import (
    creator_body,
    offer_body,
    post_request,
    register_brand,
    register_creator,
    request_body,
)

GIBBERISH = ["xkcd plmq", "zzqx blorb"]
LONG_PRACTICE = (
    "Our skincare products are tested on animals by outside laboratories before they are "
    "sold, because the regulators of several export markets still require it; we publish "
    "a yearly report on those tests and on the alternatives we fund, and we expect to stop "
    "once every market we sell in accepts methods that involve no animal at all, whatever "
    "the cost."
)[:300]
NEUTRAL = {
    "title": "Nouvelle collection",
    "description": "Une belle collection pour la rentrée, en magasin bientôt.",
}


def _slugs(reading: dict) -> list[str]:
    return [concept["slug"] for concept in reading["concepts"]]


def _asserted(readings: list[dict]) -> list[str]:
    """The slugs a field must hold: concepts of its readings that are not negated."""
    return list(dict.fromkeys(s for r in readings if not r["negated"] for s in _slugs(r)))


def _match_ids(brand, request_id: str) -> list[str]:
    response = brand.get(f"/v1/requests/{request_id}/matches")
    assert response.status_code == 200, response.text
    return [m["creator"]["id"] for m in response.json()["items"]]


def test_phrases_that_were_rejected_are_stored_with_their_reading(client) -> None:
    values = ["produits laitiers", "football", "crypto", "cause animale"]
    dealbreakers = [LONG_PRACTICE, "tests sur les animaux"]
    creator = register_creator(client, values=values, dealbreakers=dealbreakers)
    readings = creator.data["interpretations"]
    assert [r["text"] for r in readings["values"]] == values
    assert [r["text"] for r in readings["dealbreakers"]] == dealbreakers
    assert len(readings["dealbreakers"][0]["text"]) == 300
    assert "football" in _slugs(readings["values"][1])
    assert _slugs(readings["values"][3]) == ["animal-welfare"]
    french = readings["dealbreakers"][1]
    assert french["lang"] == "fr"
    assert french["concepts"] == [
        {"slug": "animal-testing", "label": "tests sur les animaux", "confidence": 1.0}
    ]
    assert french["understood"] is True
    assert french["negated"] is False
    for reading in readings["values"] + readings["dealbreakers"]:
        assert reading["understood"] == bool(reading["concepts"])
        assert reading["reason"]
    # The engine's slug lists are what the readings say, and the profile reads back the same.
    assert creator.data["values"] == _asserted(readings["values"])
    assert creator.data["dealbreakers"] == _asserted(readings["dealbreakers"])
    me = creator.get("/v1/me").json()
    assert me["interpretations"] == readings
    assert (me["values"], me["dealbreakers"]) == (
        creator.data["values"],
        creator.data["dealbreakers"],
    )


def test_a_creator_whose_every_value_is_not_understood_can_register(client) -> None:
    creator = register_creator(client, values=GIBBERISH, dealbreakers=GIBBERISH)
    readings = creator.data["interpretations"]
    assert [r["text"] for r in readings["values"]] == GIBBERISH
    assert all(r["understood"] is False and r["concepts"] == [] for r in readings["values"])
    assert all("no concept close enough" in r["reason"] for r in readings["values"])
    assert creator.data["values"] == []
    assert creator.data["dealbreakers"] == []


def test_a_phrase_written_twice_is_kept_once(client) -> None:
    creator = register_creator(client, values=["vegan", "vegan", "cause animale"])
    assert [r["text"] for r in creator.data["interpretations"]["values"]] == [
        "vegan",
        "cause animale",
    ]


def test_labels_follow_the_phrase_or_the_creator_language(client) -> None:
    english = register_creator(client, languages=["en"], values=["vegan"])
    french = register_creator(client, languages=["fr", "en"], values=["vegan"])
    [en] = english.data["interpretations"]["values"]
    [fr] = french.data["interpretations"]["values"]
    taxonomy = load_taxonomy()
    assert (en["lang"], en["concepts"][0]["label"]) == ("en", taxonomy.label("veganism", "en"))
    assert (fr["lang"], fr["concepts"][0]["label"]) == ("fr", taxonomy.label("veganism", "fr"))


def test_a_negated_practice_is_not_a_practice_of_the_brand(client) -> None:
    brand = register_brand(client, practices=["no palm oil", "sans huile de palme"])
    readings = brand.data["interpretations"]["practices"]
    assert [(_slugs(r), r["negated"]) for r in readings] == [(["palm-oil"], True)] * 2
    assert brand.data["practices"] == []
    uses_it = register_brand(client, practices=["we use palm oil"])
    assert uses_it.data["practices"] == ["palm-oil"]
    # A creator refusing palm oil is kept for the brand that uses none, not for the other.
    refuses = register_creator(client, dealbreakers=["palm oil"])
    assert refuses.data["dealbreakers"] == ["palm-oil"]
    request = post_request(brand)
    assert refuses.id in _match_ids(brand, request["id"])
    check = brand.get(f"/v1/requests/{request['id']}/matches/{refuses.id}").json()
    assert check["matched"] is True, check
    request = post_request(uses_it)
    assert refuses.id not in _match_ids(uses_it, request["id"])
    check = uses_it.get(f"/v1/requests/{request['id']}/matches/{refuses.id}").json()
    assert [r["code"] for r in check["reasons"]] == ["dealbreaker"]


def test_a_practice_the_brand_also_denies_screens_out_explicit_refusals_only(client) -> None:
    """A craft brewery that only brews 0,0% beer: alcohol is both asserted and denied, so it is
    uncertain. The sober creator is matched and can be offered; the one refusing alcohol
    outright is screened out, in the list and at the offer."""
    brewery = register_brand(
        client, values=["artisanat"], practices=["brasserie artisanale", "bières 0,0% alcool"]
    )
    assert brewery.data["practices"] == ["alcohol"]
    sober = register_creator(client, values=["sobriété", "sport"], dealbreakers=[])
    refuses = register_creator(client, values=["sobriété", "sport"], dealbreakers=["alcool"])
    request = post_request(brewery, target_values=["sobriété"])
    listed = _match_ids(brewery, request["id"])
    assert sober.id in listed
    assert refuses.id not in listed
    offer = brewery.post(f"/v1/requests/{request['id']}/offers", json=offer_body(sober.id))
    assert offer.status_code == 201, offer.text
    assert offer.json()["status"] != "screened_out"
    offer = brewery.post(f"/v1/requests/{request['id']}/offers", json=offer_body(refuses.id))
    assert offer.json()["status"] == "screened_out"


def test_a_french_dealbreaker_blocks_an_animal_testing_brand(client) -> None:
    tester = register_brand(client, values=[], practices=["animal testing", LONG_PRACTICE])
    assert tester.data["practices"][0] == "animal-testing"
    assert tester.data["interpretations"]["practices"][1]["text"] == LONG_PRACTICE
    refuses = register_creator(
        client, values=["cruelty-free"], dealbreakers=["tests sur les animaux"]
    )
    request = post_request(tester)

    assert refuses.id not in _match_ids(tester, request["id"])
    check = tester.get(f"/v1/requests/{request['id']}/matches/{refuses.id}").json()
    [dealbreaker] = [r for r in check["reasons"] if r["code"] == "dealbreaker"]
    assert dealbreaker["detail"]["practices"] == ["animal-testing"]

    offer = tester.post(f"/v1/requests/{request['id']}/offers", json=offer_body(refuses.id))
    assert offer.status_code == 201, offer.text
    assert offer.json()["status"] == "screened_out"
    codes = [r["code"] for r in offer.json()["screening"]["reasons"]]
    assert "dealbreaker" in codes


def test_a_brief_with_nothing_tagged_is_posted_and_matched(client) -> None:
    """Was a 422 ("nothing to tag"): the brief is kept with no target and matched on the rest."""
    brand = register_brand(client, values=[], practices=[], description="")
    creator = register_creator(client)
    for extra in ({}, {"target_values": GIBBERISH}):
        response = brand.post(
            "/v1/requests",
            json={**_request_fields(), **NEUTRAL, **extra},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["target_values"] == []
        assert body["values_source"] == "tagged"
        readings = body["interpretations"]["target_values"]
        assert [r["text"] for r in readings] == extra.get("target_values", [])
        assert all(r["understood"] is False for r in readings)
        assert creator.id in _match_ids(brand, body["id"])


def test_a_brief_naming_no_value_uses_the_brand_values_at_half_weight(client) -> None:
    brand = register_brand(client, values=["cause animale"], practices=[])
    body = post_request(brand, **NEUTRAL)
    assert body["values_source"] == "tagged"
    assert [(v["slug"], v["weight"]) for v in body["target_values"]] == [("animal-welfare", 0.5)]
    aligned = register_creator(client, values=["animal-welfare"], dealbreakers=[])
    unrelated = register_creator(client, values=["fatherhood"], dealbreakers=[])
    ids = _match_ids(brand, body["id"])
    assert aligned.id in ids
    assert unrelated.id not in ids
    # Named in the text as well: the text's weight wins over the profile's.
    tagged = post_request(brand, title="Bien-être animal", description="Pour la cause animale.")
    weights = {v["slug"]: v["weight"] for v in tagged["target_values"]}
    assert weights["animal-welfare"] > 0.5


def test_brief_target_phrases_weigh_by_confidence(client) -> None:
    brand = register_brand(client)
    body = post_request(brand, target_values=["crueltyfre", "LGBTQ+ rights", "no palm oil"])
    assert body["values_source"] == "brand"
    readings = body["interpretations"]["target_values"]
    assert [r["text"] for r in readings] == ["crueltyfre", "LGBTQ+ rights", "no palm oil"]
    expected = {}
    for reading in readings:
        for concept in reading["concepts"]:
            assert not reading["negated"]  # as a value, "no palm oil" is the cause it serves
            expected[concept["slug"]] = max(expected.get(concept["slug"], 0), concept["confidence"])
    weights = {v["slug"]: v["weight"] for v in body["target_values"]}
    assert {s: weights[s] for s in expected} == {s: round(c, 4) for s, c in expected.items()}
    assert weights["lgbtq-rights"] == 1.0
    assert 0 < weights["cruelty-free"] < 1.0


def test_a_brief_with_targets_counts_the_causes_of_its_text_below_them(client) -> None:
    """Everything the brand wrote counts: the causes its title and description name join
    its target phrases at TEXT_WEIGHT (a targeted cause keeps its own weight)."""
    from api.requests.service import TEXT_WEIGHT

    brand = register_brand(client)
    body = post_request(
        brand,
        target_values=["LGBTQ+ rights"],
        title="Fierté et véganisme",
        description="Une campagne pour les droits LGBTQ+ et la cause animale, avec des créateurs.",
    )
    weights = {v["slug"]: v["weight"] for v in body["target_values"]}
    assert weights["lgbtq-rights"] == 1.0
    assert 0 < weights["animal-welfare"] <= TEXT_WEIGHT
    neutral = post_request(brand, target_values=["LGBTQ+ rights"], **NEUTRAL)
    assert [v["slug"] for v in neutral["target_values"]] == ["lgbtq-rights"]


def test_updates_read_the_new_phrases(client) -> None:
    creator = register_creator(client)
    response = creator.patch(
        "/v1/creators/me", json={"dealbreakers": ["sans fourrure", "fourrure", "xkcd plmq"]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # As a dealbreaker "sans fourrure" names what is refused, as "fourrure" does.
    readings = body["interpretations"]["dealbreakers"]
    assert [r["negated"] for r in readings] == [False, False, False]
    assert [[c["slug"] for c in r["concepts"]] for r in readings] == [["fur"], ["fur"], []]
    assert body["dealbreakers"] == ["fur"]
    assert body["values"] == ["animal-welfare", "veganism"]  # untouched
    brand = register_brand(client)
    response = brand.patch("/v1/brands/me", json={"practices": ["no palm oil"]})
    assert response.status_code == 200, response.text
    assert response.json()["practices"] == []
    assert response.json()["interpretations"]["practices"][0]["negated"] is True


def _request_fields() -> dict:
    return {k: v for k, v in request_body().items() if k not in ("title", "description")}


def test_the_upgrade_carries_stored_slugs_over_as_phrases(client, database_url) -> None:
    """Rows written before 0008 only have slugs: each becomes a phrase naming exactly that
    concept, labelled in the row's language; a brief tagged from its text gets no phrase."""
    from api.core.migrate import downgrade, upgrade

    brand = register_brand(client, values=[], practices=[])
    creator = register_creator(client, languages=["en", "fr"])
    named = post_request(brand, target_values=["lgbtq-rights"], **NEUTRAL)
    tagged = post_request(brand)
    engine = client.app.state.engine
    engine.dispose()
    downgrade(database_url, "0007")
    try:
        with engine.begin() as connection:
            for table, values in (
                ("creator", {"values": ["animal-welfare"], "dealbreakers": ["fur"]}),
                ("brand", {"values": ["veganism", "no-longer-a-slug"], "practices": ["leather"]}),
            ):
                row = sa.table(table, sa.column("id"), *(sa.column(c, sa.JSON) for c in values))
                row_id = creator.id if table == "creator" else brand.id
                connection.execute(sa.update(row).where(row.c.id == row_id).values(values))
    finally:
        upgrade(database_url)

    taxonomy = load_taxonomy()

    def phrase(slug: str, lang: str) -> dict:
        return {
            "text": taxonomy.label(slug, lang),
            "lang": lang,
            "concepts": [{"slug": slug, "confidence": 1.0}],
            "negated": False,
            "understood": True,
            "reason": f"taxonomy term of {slug}",
        }

    with Session(engine) as session:
        stored = session.get(Creator, creator.id)
        assert stored.value_phrases == [phrase("animal-welfare", "en")]
        assert stored.dealbreaker_phrases == [phrase("fur", "en")]
        assert stored.values == ["animal-welfare"]
        stored = session.get(Brand, brand.id)
        lang = "fr"  # the language of the brand's description
        assert stored.value_phrases == [
            phrase("veganism", lang),
            {
                "text": "no-longer-a-slug",
                "lang": lang,
                "concepts": [{"slug": "no-longer-a-slug", "confidence": 1.0}],
                "negated": False,
                "understood": True,
                "reason": "stored as no-longer-a-slug",
            },
        ]
        assert stored.practice_phrases == [phrase("leather", lang)]
        assert session.get(CollabRequest, named["id"]).target_phrases == [
            phrase("lgbtq-rights", "fr")
        ]
        assert session.get(CollabRequest, tagged["id"]).target_phrases == []
    # The API shows the carried-over readings (a slug the taxonomy lost keeps its slug).
    readings = brand.get("/v1/me").json()["interpretations"]["values"]
    assert readings[1]["concepts"] == [
        {"slug": "no-longer-a-slug", "label": "no-longer-a-slug", "confidence": 1.0}
    ]


def test_the_upgrade_reads_value_phrases_again(client, database_url) -> None:
    """0019: a value naming a practice, once read as no concept, now reads as the practice the
    creator embraces; exact terms keep their reading; the engine's slugs follow."""
    from api.core.migrate import downgrade, upgrade

    creator = register_creator(client, values=["natural wine", "animal-welfare"])
    brand = register_brand(client, values=["artisanat"], practices=[])
    named = post_request(brand, target_values=["fromages au lait cru"])
    engine = client.app.state.engine
    with Session(engine) as session:
        fresh = session.get(Creator, creator.id).value_phrases
    assert _slugs(fresh[0]) == ["alcohol"]
    old = {**fresh[0], "concepts": [], "understood": False, "reason": "names a practice"}
    engine.dispose()
    downgrade(database_url, "0018")
    try:
        with engine.begin() as connection:
            row = sa.table(
                "creator",
                sa.column("id"),
                *(sa.column(c, sa.JSON) for c in ("values", "value_phrases")),
            )
            connection.execute(
                sa.update(row)
                .where(row.c.id == creator.id)
                .values(values=["animal-welfare"], value_phrases=[old, fresh[1]])
            )
            req = sa.table(
                "collab_request",
                sa.column("id"),
                sa.column("values_source"),
                *(sa.column(c, sa.JSON) for c in ("target_values", "target_phrases")),
            )
            target = {"text": "fromages au lait cru", "lang": "fr", "concepts": []}
            target |= {"negated": False, "understood": False, "reason": "names a practice"}
            connection.execute(
                sa.update(req)
                .where(req.c.id == named["id"])
                .values(
                    target_values={"local-food": 1.0},
                    target_phrases=[target],
                    values_source="tagged",
                )
            )
    finally:
        upgrade(database_url)
    with Session(engine) as session:
        stored = session.get(Creator, creator.id)
        assert stored.value_phrases == fresh
        assert stored.values == ["alcohol", "animal-welfare"]
        request = session.get(CollabRequest, named["id"])
        # first the target read from the phrase (0023 then adds its text's causes below it,
        # as posting a brief does)
        assert next(iter(request.target_values)) == "dairy"
        assert request.target_values["dairy"] == max(request.target_values.values())
        assert request.values_source == "brand"
        assert _slugs(request.target_phrases[0]) == ["dairy"]


def test_phrase_fingerprints_are_kept_and_rerank_the_matches(client, database_url) -> None:
    """Each creator keeps its phrases' fingerprints (written with the profile, carried over by
    0020 for older rows) and the matches blend in how close the brief's phrases come."""
    from api.core.migrate import downgrade, upgrade
    from api.match_index import stored_phrases
    from matching.closeness import creator_phrases, from_stored

    brand = register_brand(client)
    creator = register_creator(client, values=["cause animale", "cuisine vegan"])
    request = post_request(brand)
    engine = client.app.state.engine

    def stored() -> bytes | None:
        with Session(engine) as session:
            return session.get(Creator, creator.id).phrases

    first = stored()
    with Session(engine) as session:
        assert first == stored_phrases(session.get(Creator, creator.id))
    assert len(from_stored(first)) == 3  # two value phrases and the bio
    [match] = [m for m in _matches(brand, request["id"]) if m["creator"]["id"] == creator.id]
    assert match["components"]["phrases"] > 0
    response = creator.patch("/v1/creators/me", json={"values": ["tricot"]})
    assert response.status_code == 200, response.text
    now = creator_phrases(["tricot"], creator_body()["bio"])
    assert np.array_equal(from_stored(stored()), now)
    engine.dispose()
    downgrade(database_url, "0019")  # drops the column
    upgrade(database_url)
    assert np.array_equal(from_stored(stored()), now)


def _matches(brand, request_id: str) -> list[dict]:
    response = brand.get(f"/v1/requests/{request_id}/matches")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_the_engine_weighs_each_value_by_the_confidence_of_its_reading(client) -> None:
    """A value read from a typo counts less than one named outright, as in the dev sets."""
    from api.match_index import creator_profile

    creator = register_creator(client, values=["crueltyfre", "veganism"])
    with Session(client.app.state.engine) as session:
        values = creator_profile(session.get(Creator, creator.id)).values
    assert values["veganism"] == 1.0
    assert 0 < values["cruelty-free"] < 1.0


def test_the_upgrade_computes_meanings_again_with_the_new_basis(client, database_url) -> None:
    """0021: a meaning stored with an older basis is computed again and stored."""
    from api.core.migrate import downgrade, upgrade
    from api.match_index import stored_meaning

    creator = register_creator(client)
    engine = client.app.state.engine
    with Session(engine) as session:
        row = session.get(Creator, creator.id)
        fresh = row.meaning
        row.meaning = bytes([2]) + fresh[1:]  # as stored with basis 2
        session.add(row)
        session.commit()
    engine.dispose()
    downgrade(database_url, "0020")
    upgrade(database_url)
    with Session(engine) as session:
        row = session.get(Creator, creator.id)
        assert row.meaning == fresh == stored_meaning(row)


def test_a_slug_the_taxonomy_lost_does_not_stop_the_index_from_loading(client) -> None:
    """Stored slugs were read with the taxonomy of their day (or carried over by 0008)."""
    from api.match_index import build_index

    creator = register_creator(client)
    engine = client.app.state.engine
    with Session(engine) as session:
        row = session.get(Creator, creator.id)
        row.values = ["no-longer-a-slug", "animal-welfare"]
        row.dealbreakers = ["no-longer-a-practice"]
        session.add(row)
        session.commit()
    with Session(engine) as session:
        index = build_index(session)
    assert len(index) == 1
    brand = register_brand(client)
    client.app.state.match_index = index
    assert creator.id in _match_ids(brand, post_request(brand)["id"])


def test_the_upgrade_reads_every_phrase_again_with_the_new_reader(client, database_url) -> None:
    """0023: values, dealbreakers, practices and targets are read again, the engine's slugs
    follow the new readings, and meanings are made again with basis 4."""
    from api.core.migrate import downgrade, upgrade
    from api.match_index import stored_meaning

    creator = register_creator(
        client, values=["crypto-sceptique", "animal-welfare"], dealbreakers=["vols courts"]
    )
    brand = register_brand(client, values=["artisanat"], practices=["bières 0,0% alcool"])
    request = post_request(brand, target_values=["sobriété"])
    engine = client.app.state.engine
    with Session(engine) as session:
        row = session.get(Creator, creator.id)
        fresh = (row.value_phrases, row.dealbreaker_phrases, row.meaning)
        practices = session.get(Brand, brand.id).practice_phrases
        targets = dict(session.get(CollabRequest, request["id"]).target_values)
    assert _slugs(fresh[0][0]) == []  # a skeptic embraces nothing
    assert _slugs(fresh[1][0]) == ["aviation"]
    assert practices[0]["negated"]
    assert _slugs(practices[0]) == ["alcohol"]
    # as read before: crypto embraced, the short flights as no tobacco, the 0,0% as alcohol
    embraced = {**fresh[0][0], "concepts": [{"slug": "crypto", "confidence": 0.95}]}
    embraced |= {"negated": False, "reason": "named in the lexicon"}
    no_tobacco = {**fresh[1][0], "concepts": [{"slug": "tobacco", "confidence": 0.855}]}
    no_tobacco |= {"negated": True, "reason": "named in the lexicon (en)"}
    alcohol = {**practices[0], "negated": False, "reason": "named in the lexicon"}
    engine.dispose()
    downgrade(database_url, "0022")
    try:
        with engine.begin() as connection:
            creators = sa.table(
                "creator",
                sa.column("id"),
                sa.column("meaning", sa.LargeBinary),
                *(
                    sa.column(c, sa.JSON)
                    for c in ("values", "value_phrases", "dealbreakers", "dealbreaker_phrases")
                ),
            )
            connection.execute(
                sa.update(creators)
                .where(creators.c.id == creator.id)
                .values(
                    values=["crypto", "animal-welfare"],
                    value_phrases=[embraced, fresh[0][1]],
                    dealbreakers=[],
                    dealbreaker_phrases=[no_tobacco],
                    meaning=bytes([3]) + fresh[2][1:],
                )
            )
            _set_practices(connection, brand.id, ["alcohol"], [alcohol])
    finally:
        upgrade(database_url)
    with Session(engine) as session:
        row = session.get(Creator, creator.id)
        assert (row.value_phrases, row.dealbreaker_phrases) == fresh[:2]
        assert row.values == ["animal-welfare"]
        assert row.dealbreakers == ["aviation"]
        assert row.meaning == fresh[2] == stored_meaning(row)
        stored_brand = session.get(Brand, brand.id)
        assert stored_brand.practice_phrases == practices
        assert stored_brand.practices == []
        assert dict(session.get(CollabRequest, request["id"]).target_values) == targets


def test_a_dealbreaker_naming_a_company_blocks_a_brand_that_names_it(client) -> None:
    """No concept is a company: "Amazon (jamais)" is kept as a name, and a brand stating it (in
    a practice that denies nothing, or in its own name) is filtered out, in the list, in the
    check and at the offer. A brand that says it does not sell there keeps the creator."""
    refuses = register_creator(client, values=["cruelty-free"], dealbreakers=["Amazon (jamais)"])
    [reading] = refuses.data["interpretations"]["dealbreakers"]
    assert reading["understood"] is False
    assert 'kept as a name: "amazon"' in reading["reason"]  # so its author sees what it does
    sells = register_brand(client, practices=["vente sur notre site et sur Amazon"])
    avoids = register_brand(client, practices=["commande en ligne sans passer par Amazon"])

    request = post_request(sells)
    assert refuses.id not in _match_ids(sells, request["id"])
    check = sells.get(f"/v1/requests/{request['id']}/matches/{refuses.id}").json()
    [dealbreaker] = [r for r in check["reasons"] if r["code"] == "dealbreaker"]
    assert dealbreaker["detail"]["names"] == ["amazon"]
    assert "« amazon »" in dealbreaker["message"]  # the brief is in French
    offer = sells.post(f"/v1/requests/{request['id']}/offers", json=offer_body(refuses.id))
    assert offer.status_code == 201, offer.text
    assert offer.json()["status"] == "screened_out"

    request = post_request(avoids)
    assert refuses.id in _match_ids(avoids, request["id"])


def test_a_practice_read_too_loosely_trips_no_dealbreaker(client) -> None:
    """ "resale of pre-loved clothing" is only close in meaning to fast fashion (under the held
    confidence): the reading is shown as it is, but it is not held against the brand."""
    from matching.interpret import HELD_CONFIDENCE

    resale = register_brand(client, values=["économie circulaire"], practices=[LOOSE_PRACTICE])
    [reading] = resale.data["interpretations"]["practices"]
    assert reading["concepts"], reading
    assert all(c["confidence"] < HELD_CONFIDENCE for c in reading["concepts"]), reading
    refuses = register_creator(
        client, values=["économie circulaire"], dealbreakers=[reading["concepts"][0]["slug"]]
    )
    request = post_request(resale, target_values=["économie circulaire"])
    assert refuses.id in _match_ids(resale, request["id"])
    offer = resale.post(f"/v1/requests/{request['id']}/offers", json=offer_body(refuses.id))
    assert offer.json()["status"] == "sent", offer.text


LOOSE_PRACTICE = "resale of pre-loved clothing"


def test_the_upgrade_reads_a_cue_that_ends_a_phrase_again(client, database_url) -> None:
    """0024: a practice read before as stated ("fourrure non acceptée" as fur) is read again as
    denied, and the brand's practices follow; its creators' meanings are kept."""
    from api.core.migrate import downgrade, upgrade

    brand = register_brand(client, values=["artisanat"], practices=["fourrure non acceptée"])
    creator = register_creator(client, values=["cruelty-free"], dealbreakers=["fur? never"])
    engine = client.app.state.engine
    with Session(engine) as session:
        practices = session.get(Brand, brand.id).practice_phrases
        meaning = session.get(Creator, creator.id).meaning
    assert practices[0]["negated"]
    assert _slugs(practices[0]) == ["fur"]
    stated = {**practices[0], "negated": False, "reason": "named in the lexicon"}
    engine.dispose()
    downgrade(database_url, "0023")
    try:
        with engine.begin() as connection:
            _set_practices(connection, brand.id, ["fur"], [stated])
    finally:
        upgrade(database_url)
    with Session(engine) as session:
        stored_brand = session.get(Brand, brand.id)
        assert stored_brand.practice_phrases == practices
        assert stored_brand.practices == []
        assert session.get(Creator, creator.id).meaning == meaning


def _set_practices(connection, brand_id: str, practices: list[str], phrases: list[dict]) -> None:
    """A brand's practices and their readings as an older reader stored them."""
    _set_phrases(connection, "brand", brand_id, "practices", practices, phrases)


def _set_phrases(connection, table, row_id, column, slugs, phrases) -> None:
    """One phrase field of a row (its slugs and readings) as an older reader stored them."""
    rows = sa.table(
        table, sa.column("id"), sa.column(column, sa.JSON),
        sa.column(f"{column[:-1]}_phrases", sa.JSON),
    )  # fmt: skip
    connection.execute(
        sa.update(rows)
        .where(rows.c.id == row_id)
        .values({column: slugs, f"{column[:-1]}_phrases": phrases})
    )


def test_a_dealbreaker_narrower_than_what_the_values_embrace_refuses_by_name_only(client) -> None:
    """A bitcoiner refusing "crypto scams" is not screened out of a crypto exchange (in the
    list, in the check and at the offer), and its reading says why; one refusing "crypto"
    outright is."""
    bitcoiner = register_creator(client, values=["bitcoin", "web3"], dealbreakers=["crypto scams"])
    [reading] = bitcoiner.data["interpretations"]["dealbreakers"]
    assert _slugs(reading) == ["crypto"]
    assert 'narrower than what your values embrace ("bitcoin")' in reading["reason"]
    outright = register_creator(client, values=["bitcoin", "web3"], dealbreakers=["crypto"])
    exchange = register_brand(
        client, values=["web3"], practices=["achat et vente de bitcoin dans l'appli"]
    )
    request = post_request(exchange, target_values=["web3"])

    listed = _match_ids(exchange, request["id"])
    assert bitcoiner.id in listed
    assert outright.id not in listed
    check = exchange.get(f"/v1/requests/{request['id']}/matches/{bitcoiner.id}").json()
    assert check["reasons"] == [], check
    offer = exchange.post(f"/v1/requests/{request['id']}/offers", json=offer_body(bitcoiner.id))
    assert offer.json()["status"] == "sent", offer.text


def test_the_upgrade_reads_divesting_and_preferences_again(client, database_url) -> None:
    """0025: a value read before as embracing what it divests from ("désinvestir des énergies
    fossiles" as fossil fuels) is read again as a stance against it, and the creator's values
    follow; its meaning is kept."""
    from api.core.migrate import downgrade, upgrade

    creator = register_creator(
        client, values=["désinvestir des énergies fossiles", "train > avion"], dealbreakers=[]
    )
    engine = client.app.state.engine
    with Session(engine) as session:
        row = session.get(Creator, creator.id)
        fresh, values, meaning = row.value_phrases, list(row.values), row.meaning
    assert not {"fossil-fuels", "aviation"} & set(values), values
    # as read before: both embraced the practice they refuse
    old = [
        {**fresh[0], "concepts": [{"slug": "fossil-fuels", "confidence": 0.95}]},
        {**fresh[1], "concepts": [{"slug": "aviation", "confidence": 0.95}]},
    ]
    old = [{**p, "negated": False, "reason": "named in the lexicon"} for p in old]
    engine.dispose()
    downgrade(database_url, "0024")
    try:
        with engine.begin() as connection:
            _set_phrases(
                connection, "creator", creator.id, "values", ["fossil-fuels", "aviation"], old
            )
    finally:
        upgrade(database_url)
    with Session(engine) as session:
        row = session.get(Creator, creator.id)
        assert row.value_phrases == fresh
        assert row.values == values
        assert row.meaning == meaning


def test_the_upgrade_reads_phrases_whose_small_words_carry_them_as_written(
    client, database_url
) -> None:
    """0026: a coffee chain's "machines à café", read before as the gambling of "machines à
    sous" (one word once the small words are dropped), is read again as naming no practice."""
    from api.core.migrate import downgrade, upgrade

    brand = register_brand(
        client, values=[], practices=["Kiosques équipés de machines à café", "machines à sous"]
    )
    engine = client.app.state.engine
    with Session(engine) as session:
        fresh = session.get(Brand, brand.id).practice_phrases
    assert [_slugs(p) for p in fresh] == [[], ["gambling"]], fresh
    old = [
        {**fresh[0], "concepts": [{"slug": "gambling", "confidence": 0.95}], "understood": True},
        fresh[1],
    ]
    engine.dispose()
    downgrade(database_url, "0025")
    try:
        with engine.begin() as connection:
            _set_phrases(connection, "brand", brand.id, "practices", ["gambling"], old)
    finally:
        upgrade(database_url)
    with Session(engine) as session:
        row = session.get(Brand, brand.id)
        assert row.practice_phrases == fresh
        assert row.practices == ["gambling"]  # "machines à sous" still says it


def test_the_upgrade_reads_a_denied_practice_with_an_exception_as_the_brands(
    client, database_url
) -> None:
    """0027: a watchmaker's "sans cuir animal, sauf la ligne Héritage en alligator", read
    before as a denial of leather, is read again as leather the brand has."""
    from api.core.migrate import downgrade, upgrade

    phrase = "Bracelets sans cuir animal, sauf la ligne Héritage en alligator"
    brand = register_brand(client, values=[], practices=[phrase])
    engine = client.app.state.engine
    with Session(engine) as session:
        fresh = session.get(Brand, brand.id).practice_phrases
    assert [(_slugs(p), p["negated"]) for p in fresh] == [(["leather"], False)], fresh
    old = [{**fresh[0], "negated": True}]
    engine.dispose()
    downgrade(database_url, "0026")
    try:
        with engine.begin() as connection:
            _set_phrases(connection, "brand", brand.id, "practices", [], old)
    finally:
        upgrade(database_url)
    with Session(engine) as session:
        row = session.get(Brand, brand.id)
        assert row.practice_phrases == fresh
        assert row.practices == ["leather"]


def test_targeted_ads_from_a_brand_that_serves_teens_market_to_children(client) -> None:
    """No phrase of the brand says both, but an app for 13 to 17-year-olds funded by targeted
    ads markets to children: a creator refusing targeted ads to minors is screened out of it,
    not out of the same ads from an app for adults."""
    guardian = register_creator(
        client, values=["youth mentoring"], dealbreakers=["targeted ads to minors"]
    )
    practices = ["Group chats and short videos", "Free to use, funded by targeted ads"]
    teens = register_brand(
        client, description="A social app for 13 to 17-year-olds.", practices=practices
    )
    adults = register_brand(
        client, description="A social app for people over 30.", practices=practices
    )
    for brand, status in ((teens, "screened_out"), (adults, "sent")):
        request = post_request(brand)
        offered = brand.post(
            f"/v1/requests/{request['id']}/offers", json=offer_body(guardian.id)
        ).json()
        assert offered["status"] == status, offered
        reasons = offered["screening"]["reasons"]
        dealbreakers = [r for r in reasons if r["code"] == "dealbreaker"]
        assert bool(dealbreakers) == (status == "screened_out"), reasons


def test_a_brief_that_names_no_value_targets_no_practice_read_by_meaning_alone(client) -> None:
    """A brief without target values takes the brand's values: its causes, and the practices
    it names outright ("bitcoin"), not one read only by meaning ("modern romance", near the
    pharmaceutical industry), which would be held against the brief as the brand's practice."""
    brand = register_brand(client, values=["modern romance", "bitcoin", "transparency"])
    readings = {r["text"]: r for r in brand.data["interpretations"]["values"]}
    assert _slugs(readings["modern romance"]) == ["pharmaceutical-industry"]  # by meaning
    assert readings["modern romance"]["concepts"][0]["confidence"] < 0.9
    body = request_body(target_values=None, title="Rings", description="Tell our story.")
    request = brand.post("/v1/requests", json=body)
    assert request.status_code == 201, request.text
    targets = {v["slug"] for v in request.json()["target_values"]}
    assert {"crypto", "transparency"} <= targets
    assert "pharmaceutical-industry" not in targets
