"""What people write counts beyond the concepts it maps to: meaning vectors through the API,
the brand's own profile in every brief, and dealbreakers that name what they refuse."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from api.creators.models import Creator
from api.match_index import stored_meaning
from api.requests.models import CollabRequest
from api.requests.service import brief_for
from matching.semantic import affinity, from_stored
from tests.factories import post_request, register_brand, register_creator

CLIMBING = {
    "title": "Nouveaux chaussons d'escalade",
    "description": "Nous cherchons des grimpeuses et grimpeurs pour tester nos chaussons "
    "de bloc en salle et en falaise pendant un mois.",
}


def _matches(brand, request_id: str) -> list[str]:
    response = brand.get(f"/v1/requests/{request_id}/matches")
    assert response.status_code == 200, response.text
    return [m["creator"]["id"] for m in response.json()["items"]]


def test_a_brief_whose_values_are_not_understood_is_matched_on_its_words(client) -> None:
    """The brand's target phrase maps to no concept: the brief is read from its text and the
    creators' own words weigh in the ranking (shown as the affinity component)."""
    brand = register_brand(client, values=[], description="")
    climber = register_creator(
        client,
        values=["grimpe en falaise", "bloc en salle"],
        dealbreakers=[],
        bio="Je grimpe tous les week-ends, du bloc en salle aux grandes voies.",
    )
    baker = register_creator(
        client,
        values=["pâtisserie maison", "recettes de grand-mère"],
        dealbreakers=[],
        bio="Je fais des gâteaux et des tartes chaque dimanche.",
    )
    request = post_request(brand, target_values=["xkcd plmq"], **CLIMBING)
    ranked = _matches(brand, request["id"])
    assert ranked[0] == climber.id
    assert baker.id not in ranked[:1]
    top = brand.get(f"/v1/requests/{request['id']}/matches").json()["items"][0]
    assert top["components"]["affinity"] > 0.2


def test_every_creator_row_keeps_its_meaning(client) -> None:
    creator = register_creator(client, values=["zéro déchet"], bio="Je vis sans poubelle.")
    with Session(client.app.state.engine) as session:
        row = session.get(Creator, creator.id)
        before = from_stored(row.meaning)
        assert before is not None
        assert row.meaning == stored_meaning(row)
    creator.patch("/v1/creators/me", json={"bio": "Coach de course à pied en montagne."})
    with Session(client.app.state.engine) as session:
        after = from_stored(session.get(Creator, creator.id).meaning)
    assert affinity(before, after) < 0.99  # the bio changed: so did the meaning


def test_the_brief_reads_the_brand_profile(client) -> None:
    """Two brands post the same brief; what each says of itself changes what the brief means."""
    vegan = register_brand(
        client, values=["cuisine végétale"], description="Cuisine végétale et cause animale."
    )
    football = register_brand(
        client, values=["football amateur"], description="Clubs de football amateur."
    )
    briefs = []
    with Session(client.app.state.engine) as session:
        for brand in (vegan, football):
            request = session.get(CollabRequest, post_request(brand, **CLIMBING)["id"])
            briefs.append(brief_for(session=session, collab_request=request).meaning)
    assert affinity(*briefs) < 0.95


def test_a_dealbreaker_written_as_a_refusal_screens_the_brand_out(client) -> None:
    brewery = register_brand(
        client, values=["savoir-faire"], practices=["brasserie artisanale, bières blondes"]
    )
    sober = register_creator(client, dealbreakers=["pas d'alcool"])
    body = sober.data
    assert body["dealbreakers"] == ["alcohol"]
    assert body["interpretations"]["dealbreakers"][0]["negated"] is False
    request = post_request(brewery)
    assert sober.id not in _matches(brewery, request["id"])
    why = brewery.get(f"/v1/requests/{request['id']}/matches/{sober.id}").json()
    assert "dealbreaker" in [reason["code"] for reason in why["reasons"]]


def test_the_upgrade_gives_existing_creators_their_meaning(client, database_url) -> None:
    from api.core.migrate import downgrade, upgrade

    creator = register_creator(client, values=["escalade"], bio="Grimpeuse.")
    engine = client.app.state.engine
    engine.dispose()
    downgrade(database_url, "0010")
    try:
        with engine.begin() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("creator")}
            assert "meaning" not in columns
    finally:
        upgrade(database_url)
    with Session(engine) as session:
        row = session.get(Creator, creator.id)
        assert row.meaning is not None
        assert row.meaning == stored_meaning(row)
