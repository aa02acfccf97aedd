from __future__ import annotations

import pytest
import sqlalchemy as sa

from api.requests.service import TEXT_WEIGHT
from api.webhooks import service as webhooks_service
from tests.factories import (
    ONE_ETH,
    future,
    offer_body,
    post_request,
    register_brand,
    register_creator,
    request_body,
)


def test_brief_is_tagged_from_french_text(client) -> None:
    brand = register_brand(client)
    body = post_request(brand)
    assert body["lang"] == "fr"
    assert body["values_source"] == "tagged"
    slugs = {v["slug"] for v in body["target_values"]}
    assert "cruelty-free" in slugs
    assert "animal-testing" not in slugs  # "sans test sur les animaux" is a negation
    assert body["budget"] == {"amount": str(ONE_ETH), "token": "ETH"}


def test_brief_with_explicit_values_and_bad_input(client) -> None:
    brand = register_brand(client)
    body = post_request(brand, target_values=["LGBTQ+ rights", "inclusion"], lang="en")
    assert body["values_source"] == "brand"
    weights = [v["weight"] for v in body["target_values"]]
    assert weights[:2] == [1.0, 1.0]  # then the causes of its text, below them
    assert all(w <= TEXT_WEIGHT for w in weights[2:])
    for bad in (
        {"budget": {"amount": "1.5", "token": "ETH"}},
        {"budget": {"amount": 1000, "token": "ETH"}},
        {"deadline": "2020-01-01T00:00:00Z"},
        {"deliverables": []},
        {"target_values": [" "]},
        {"target_values": ["x" * 501]},
        {"description": "short"},
    ):
        response = brand.post("/v1/requests", json=request_body(**bad))
        assert response.status_code == 422, (bad, response.text)
    assert len(brand.get("/v1/requests").json()["items"]) == 1


def test_requests_list_paginates_newest_first(client) -> None:
    brand = register_brand(client)
    ids = [post_request(brand, title=f"Brief number {i}")["id"] for i in range(5)]
    page = brand.get("/v1/requests", params={"limit": 2}).json()
    assert [r["id"] for r in page["items"]] == ids[::-1][:2]
    seen = [r["id"] for r in page["items"]]
    while page["next_cursor"]:
        page = brand.get("/v1/requests", params={"limit": 2, "cursor": page["next_cursor"]}).json()
        seen += [r["id"] for r in page["items"]]
    assert seen == ids[::-1]
    assert brand.get("/v1/requests", params={"cursor": "bogus"}).status_code == 422


def test_matches_rank_aligned_creators_and_explain(client) -> None:
    brand = register_brand(client)
    aligned = register_creator(client, values=["animal-welfare", "veganism", "cruelty-free"])
    register_creator(client, values=["sport-wellbeing"], dealbreakers=[], bio="Sport et bien-être")
    request = post_request(brand)
    matches = brand.get(f"/v1/requests/{request['id']}/matches").json()
    assert matches["items"], matches
    top = matches["items"][0]
    assert top["creator"]["id"] == aligned.id
    assert 0 <= top["score"] <= 1
    assert top["components"]
    assert top["explanation"]
    assert top["is_virtual"] is False


def test_profile_change_reaches_matches_at_once(client) -> None:
    brand = register_brand(client)
    # a bio far from the brief (its text is about animals): only the values decide
    creator = register_creator(
        client, values=["sport-wellbeing"], dealbreakers=[], bio="Je cours des marathons."
    )
    request = post_request(brand, target_values=["lgbtq-rights"])

    def ids() -> list[str]:
        url = f"/v1/requests/{request['id']}/matches"
        return [m["creator"]["id"] for m in brand.get(url).json()["items"]]

    assert creator.id not in ids()  # no value in common yet
    response = creator.patch("/v1/creators/me", json={"values": ["lgbtq-rights"]})
    assert response.status_code == 200, response.text
    assert creator.id in ids()  # the very next read, no reindexing step in between


def test_offer_sent_to_aligned_creator_lands_in_inbox(client) -> None:
    brand = register_brand(client)
    creator = register_creator(client)
    request = post_request(brand)
    response = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id))
    assert response.status_code == 201, response.text
    offer = response.json()
    assert offer["status"] == "sent"
    assert offer["price"] == {"amount": str(ONE_ETH // 2), "token": "ETH"}
    assert "Disclosure" in offer["terms_text"]
    inbox = creator.get("/v1/offers").json()["items"]
    assert [o["id"] for o in inbox] == [offer["id"]]
    assert (
        brand.get("/v1/offers", params={"status": "sent"}).json()["items"][0]["id"] == offer["id"]
    )
    # one open offer per creator and request
    again = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id))
    assert again.status_code == 409


def test_animal_testing_brand_is_screened_out(client) -> None:
    brand = register_brand(client, practices=["animal testing"], values=[])
    creator = register_creator(client, dealbreakers=["animal-testing"])
    request = post_request(brand)
    response = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id))
    assert response.status_code == 201
    offer = response.json()
    assert offer["status"] == "screened_out"
    assert any("animal" in r["message"].lower() for r in offer["screening"]["reasons"])
    assert creator.get("/v1/offers").json()["items"] == []
    assert creator.get(f"/v1/offers/{offer['id']}").status_code == 404
    assert brand.get(f"/v1/offers/{offer['id']}").json()["status"] == "screened_out"
    # Asked for, the creator sees what its policy declined and which dealbreaker did it.
    declined = creator.get("/v1/offers", params={"status": "screened_out"}).json()["items"]
    assert [o["id"] for o in declined] == [offer["id"]]
    [dealbreaker] = [r for r in declined[0]["screening"]["reasons"] if r["code"] == "dealbreaker"]
    assert dealbreaker["detail"]["practices"] == ["animal-testing"]
    other = register_creator(client)
    assert other.get("/v1/offers", params={"status": "screened_out"}).json()["items"] == []


def test_low_alignment_is_screened_out(client) -> None:
    brand = register_brand(client)
    creator = register_creator(
        client, values=["sport-wellbeing"], dealbreakers=[], screening={"min_alignment": 0.9}
    )
    request = post_request(brand)
    offer = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id)).json()
    assert offer["status"] == "screened_out"
    assert offer["screening"]["reasons"][0]["code"] == "low_alignment"


def test_offer_validation(client) -> None:
    brand = register_brand(client)
    creator = register_creator(client)
    request = post_request(brand)
    url = f"/v1/requests/{request['id']}/offers"
    cases = [
        (offer_body(creator.id, amount="1"), 422, "minimum fee"),
        (offer_body(creator.id, deliver_by="2001-01-01T00:00:00Z"), 422, "future"),
        (offer_body(creator.id, token="0x" + "11" * 20), 422, "not paid in"),
        (offer_body("crt_missing"), 404, "not found"),
        (offer_body(creator.id, review_period_seconds=1), 422, "review_period"),
    ]
    for body, status, needle in cases:
        response = brand.post(url, json=body)
        assert response.status_code == status, (body, response.text)
        assert needle in response.text
    assert brand.get("/v1/offers").json()["items"] == []


def test_decline_with_reason(client) -> None:
    brand = register_brand(client)
    creator = register_creator(client)
    request = post_request(brand)
    offer = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id)).json()
    response = creator.post(f"/v1/offers/{offer['id']}/decline", json={"reason": "busy"})
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert response.json()["decline_reason"] == "busy"
    assert creator.post(f"/v1/offers/{offer['id']}/decline", json={}).status_code == 409
    assert (
        creator.get("/v1/offers", params={"status": "declined"}).json()["items"][0]["id"]
        == offer["id"]
    )


def test_offer_creation_is_idempotent(client) -> None:
    brand = register_brand(client)
    creator = register_creator(client)
    request = post_request(brand)
    url = f"/v1/requests/{request['id']}/offers"
    body = offer_body(creator.id, deliver_by=future(9))
    first = brand.post(url, json=body, headers={"Idempotency-Key": "k1"})
    second = brand.post(url, json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert len(brand.get("/v1/offers").json()["items"]) == 1
    third = brand.post(
        url, json=offer_body(creator.id, amount=str(ONE_ETH)), headers={"Idempotency-Key": "k1"}
    )
    assert third.status_code == 409


def test_creators_sharing_no_value_are_not_matches(client) -> None:
    brand = register_brand(client)
    unrelated = register_creator(client, values=["fatherhood"], dealbreakers=[])
    aligned = register_creator(client, values=["cruelty-free"])
    request = post_request(brand)
    items = brand.get(f"/v1/requests/{request['id']}/matches").json()["items"]
    ids = [m["creator"]["id"] for m in items]
    assert aligned.id in ids
    assert unrelated.id not in ids
    assert all(m["components"]["alignment"] > 0 for m in items)


def test_a_small_list_still_finds_the_creator_sharing_a_value(client) -> None:
    """limit=3 with bigger audiences that share nothing: the list used to come back empty,
    because they filled the top 3 and were dropped afterwards."""
    brand = register_brand(client)
    huge = {"instagram": {"followers": 9_000_000, "engagement_rate": 0.09, "countries": ["FR"]}}
    for _ in range(4):
        register_creator(client, values=["fatherhood"], dealbreakers=[], audience=huge)
    tiny = {"instagram": {"followers": 1_500, "engagement_rate": 0.01, "countries": ["FR"]}}
    aligned = register_creator(client, values=["cruelty-free"], audience=tiny)
    request = post_request(brand)
    response = brand.get(f"/v1/requests/{request['id']}/matches", params={"limit": 3})
    assert response.status_code == 200, response.text
    assert [m["creator"]["id"] for m in response.json()["items"]] == [aligned.id]


def test_the_brand_sees_why_a_creator_is_not_a_match(client) -> None:
    tester = register_brand(client, practices=["animal-testing"])
    refuses = register_creator(client, values=["cruelty-free"], dealbreakers=["animal-testing"])
    unrelated = register_creator(client, values=["fatherhood"], dealbreakers=[])
    aligned = register_creator(client, values=["cruelty-free"], dealbreakers=[])
    url = f"/v1/requests/{post_request(tester)['id']}/matches"

    out = tester.get(f"{url}/{refuses.id}").json()
    assert out["matched"] is False
    assert out["match"] is None
    [dealbreaker] = [r for r in out["reasons"] if r["code"] == "dealbreaker"]
    assert dealbreaker["detail"]["practices"] == ["animal-testing"]
    assert dealbreaker["message"]
    # Without a dealbreaker of its own, a cruelty-free creator still opposes animal testing.
    out = tester.get(f"{url}/{aligned.id}").json()
    assert [r["code"] for r in out["reasons"]] == ["value_conflict"]

    brand = register_brand(client)
    url = f"/v1/requests/{post_request(brand)['id']}/matches"
    out = brand.get(f"{url}/{unrelated.id}").json()
    assert [r["code"] for r in out["reasons"]] == ["no_shared_value"]
    out = brand.get(f"{url}/{aligned.id}").json()
    assert out["matched"] is True
    assert out["reasons"] == []
    assert out["match"]["creator"]["id"] == aligned.id
    assert out["match"]["score"] > 0

    assert brand.get(f"{url}/cre_{'0' * 32}").status_code == 404
    assert tester.get(f"{url}/{aligned.id}").status_code == 404  # another brand's request
    assert aligned.get(f"{url}/{aligned.id}").status_code == 403


def test_an_offer_whose_unit_of_work_fails_is_not_kept(client, engine, monkeypatch) -> None:
    """An offer, its first version and its event commit together or not at all (on SQLite a
    savepoint opened before the first write committed the offer on its own)."""
    brand, creator = register_brand(client), register_creator(client)
    request = post_request(brand)

    def fail(*_args, **_kwargs):
        raise RuntimeError("the event could not be written")

    # At the commit, after the offer and its version are written, before their event is.
    monkeypatch.setattr(webhooks_service, "enqueue", fail)
    with pytest.raises(RuntimeError):
        brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id))
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM offer")).scalar_one() == 0


def test_an_offer_is_written_after_everything_it_reads(client) -> None:
    """On SQLite the first write of a unit of work takes the one write lock, held to the
    commit: creating an offer reads the request, the creator, the terms and the webhook
    endpoints first, then writes, and reads nothing more while others wait."""
    brand, creator = register_brand(client), register_creator(client)
    request = post_request(brand)
    statements: dict[int, list[str]] = {}

    def seen(conn, _cursor, statement, *_args) -> None:
        if "pg_advisory_xact_lock" not in statement:  # the events' reader locks, on PostgreSQL
            statements.setdefault(id(conn), []).append(statement.split(None, 1)[0].upper())

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        response = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id))
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
    assert response.status_code == 201, response.text
    (unit,) = [kinds for kinds in statements.values() if "INSERT" in kinds]
    first_write = unit.index("INSERT")
    assert unit[:first_write].count("SELECT") >= 3
    assert "SELECT" not in unit[first_write:], unit


def _all_pages(account, path: str, **params) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = account.get(path, params=query).json()
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if not cursor:
            return pages


def test_offer_lists_page_newest_first(client) -> None:
    brand, creator, other = (
        register_brand(client),
        register_creator(client),
        register_creator(client),
    )
    requests = [post_request(brand, title=f"Brief number {i}")["id"] for i in range(3)]
    to_creator = [
        brand.post(f"/v1/requests/{r}/offers", json=offer_body(creator.id)).json()["id"]
        for r in requests
    ]
    to_other = brand.post(f"/v1/requests/{requests[0]}/offers", json=offer_body(other.id))
    sent = [*to_creator, to_other.json()["id"]]
    assert _all_pages(brand, "/v1/offers", limit=3) == [sent[::-1][:3], sent[::-1][3:]]
    assert _all_pages(creator, "/v1/offers", limit=2) == [to_creator[::-1][:2], to_creator[:1]]
    assert _all_pages(other, "/v1/offers", limit=2) == [sent[3:]]
    assert _all_pages(creator, "/v1/offers", status="screened_out") == [[]]


def test_an_offer_is_screened_against_the_brief_its_matches_were_ranked_with(client) -> None:
    """Screening builds the brief from the request and brand it has loaded; the match list from
    one query joining them. Both read the same words, values, practices and audience."""
    import dataclasses

    import numpy as np
    from sqlmodel import Session

    from api.requests import service
    from api.requests.models import CollabRequest

    brand = register_brand(client, practices=["palm oil"], description="Savons au lait d'ânesse.")
    request = post_request(brand, audience={"languages": ["fr", "en"], "countries": ["FR"]})
    with Session(client.app.state.engine) as session:
        loaded = session.get(CollabRequest, request["id"])
        screened = service.brief_for(session=session, collab_request=loaded, budget=5, token="ETH")
        ranked = service._brief(service._brief_row(session, request["id"]), budget=5, token="ETH")
    for field in dataclasses.fields(screened):
        mine, theirs = getattr(screened, field.name), getattr(ranked, field.name)
        if field.name == "meaning":
            assert np.array_equal(mine, theirs)
        elif field.name == "phrases":
            assert np.array_equal(mine.bits, theirs.bits)
            assert np.array_equal(mine.weights, theirs.weights)
        else:
            assert mine == theirs, field.name
    assert screened.practices
    assert screened.values
    assert screened.countries == ["FR"]
