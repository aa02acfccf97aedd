"""Every endpoint x {brand A, brand B, creator X, creator Y, anonymous}: no one reads or
changes what is not theirs."""

from __future__ import annotations

import pytest

from tests.factories import offer_body, post_request, register_brand, register_creator


@pytest.fixture
def world(client):
    a, b = register_brand(client), register_brand(client)
    x, y = register_creator(client), register_creator(client)
    request = post_request(a)
    offer = a.post(f"/v1/requests/{request['id']}/offers", json=offer_body(x.id)).json()
    assert offer["status"] == "sent"
    return {"A": a, "B": b, "X": x, "Y": y, "request": request, "offer": offer, "client": client}


def call(world, who: str, method: str, url: str, json=None):
    url = url.format(request=world["request"]["id"], offer=world["offer"]["id"])
    if who == "anon":
        return world["client"].request(method, url, json=json)
    actor = world[who]
    return actor.client.request(method, url, json=json, headers=actor.headers)


MATRIX = [
    # method, url, body, {who: expected status}
    ("GET", "/v1/me", None, {"A": 200, "B": 200, "X": 200, "Y": 200, "anon": 401}),
    (
        "PATCH",
        "/v1/brands/me",
        {"description": "d"},
        {"A": 200, "B": 200, "X": 403, "Y": 403, "anon": 401},
    ),
    (
        "PATCH",
        "/v1/creators/me",
        {"bio": "b"},
        {"A": 403, "B": 403, "X": 200, "Y": 200, "anon": 401},
    ),
    ("GET", "/v1/requests", None, {"A": 200, "B": 200, "X": 403, "Y": 403, "anon": 401}),
    ("GET", "/v1/requests/{request}", None, {"A": 200, "B": 404, "X": 403, "Y": 403, "anon": 401}),
    (
        "GET",
        "/v1/requests/{request}/matches",
        None,
        {"A": 200, "B": 404, "X": 403, "Y": 403, "anon": 401},
    ),
    ("GET", "/v1/offers", None, {"A": 200, "B": 200, "X": 200, "Y": 200, "anon": 401}),
    ("GET", "/v1/offers/{offer}", None, {"A": 200, "B": 404, "X": 200, "Y": 404, "anon": 401}),
    (
        "POST",
        "/v1/offers/{offer}/decline",
        {},
        {"A": 403, "B": 403, "Y": 404, "anon": 401, "X": 200},
    ),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"), MATRIX, ids=[f"{m} {u}" for m, u, _, _ in MATRIX]
)
def test_matrix(world, method, url, body, expected) -> None:
    for who, status in expected.items():  # X last where it changes state
        response = call(world, who, method, url, json=body)
        assert response.status_code == status, (who, method, url, response.text)
        if status >= 400:
            assert response.headers["content-type"] == "application/problem+json"


def test_offer_creation_matrix(world) -> None:
    y = world["Y"]
    body = offer_body(y.id)
    url = "/v1/requests/{request}/offers"
    for who, status in {"B": 404, "X": 403, "Y": 403, "anon": 401, "A": 201}.items():
        assert call(world, who, "POST", url, json=body).status_code == status, who


def test_lists_hold_only_ones_own(world) -> None:
    offer_id = world["offer"]["id"]
    ids = lambda who: [o["id"] for o in call(world, who, "GET", "/v1/offers").json()["items"]]  # noqa: E731
    assert ids("A") == [offer_id]
    assert ids("X") == [offer_id]
    assert ids("B") == []
    assert ids("Y") == []
    requests = lambda who: call(world, who, "GET", "/v1/requests").json()["items"]  # noqa: E731
    assert [r["id"] for r in requests("A")] == [world["request"]["id"]]
    assert requests("B") == []


def test_deal_endpoints_matrix(deal_client, chain, wallets) -> None:
    from tests.api.deals import make_deal, sign_typed_data

    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    b, y = register_brand(deal_client), register_creator(deal_client)
    actors = {"A": deal.brand, "B": b, "X": deal.creator, "Y": y}

    def status(who: str, method: str, url: str, json=None) -> int:
        if who == "anon":
            return deal_client.request(method, url, json=json).status_code
        actor = actors[who]
        return deal_client.request(method, url, json=json, headers=actor.headers).status_code

    offer_url = f"/v1/offers/{deal.offer['id']}"
    # A brand signs a creator's counter only; a sent offer holds nothing for it to sign (409).
    for who, expected in {"A": 409, "B": 404, "Y": 404, "anon": 401, "X": 200}.items():
        assert status(who, "GET", f"{offer_url}/typed-data") == expected, who
    signature = {"signature": sign_typed_data(deal.typed_data(), wallets.creator)}
    for who, expected in {"A": 403, "B": 403, "Y": 404, "anon": 401}.items():
        assert status(who, "POST", f"{offer_url}/accept", signature) == expected, who
    deal.accept()
    url = deal.collaboration_url
    table = {
        url: {"A": 200, "X": 200, "B": 404, "Y": 404, "anon": 401},
        f"{url}/transactions/fund": {"A": 200, "X": 403, "B": 404, "Y": 404, "anon": 401},
        "/v1/collaborations": {"A": 200, "X": 200, "B": 200, "Y": 200, "anon": 401},
        f"/v1/wallets/{wallets.charity}/payouts": {"A": 200, "B": 200, "X": 200, "anon": 200},
    }
    for path, expectations in table.items():
        for who, expected in expectations.items():
            assert status(who, "GET", path) == expected, (who, path)
    for who, count in {"A": 1, "X": 1, "B": 0, "Y": 0}.items():
        items = deal_client.get("/v1/collaborations", headers=actors[who].headers).json()["items"]
        assert len(items) == count, who
