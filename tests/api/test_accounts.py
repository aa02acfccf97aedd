from __future__ import annotations

import pytest

from tests.factories import auth, brand_body, creator_body, register_brand, register_creator, wallet

PROBLEM = "application/problem+json"


def test_register_brand_returns_key_once_and_me_reads_it(client) -> None:
    response = client.post("/v1/brands", json=brand_body(values=["cause animale", "Vegan"]))
    assert response.status_code == 201
    body = response.json()
    assert body["api_key"].startswith("ck_brand_")
    assert body["values"] == ["animal-welfare", "veganism"]
    me = client.get("/v1/me", headers=auth(body["api_key"])).json()
    assert me["id"] == body["id"]
    assert me["role"] == "brand"
    assert "api_key" not in me
    assert "api_key_hash" not in me


def test_wallet_is_checksummed_and_bad_checksum_rejected(client) -> None:
    address = wallet()
    body = client.post("/v1/brands", json=brand_body(wallet=address.lower())).json()
    assert body["wallet"] == address
    broken = address[:2] + address[2:].swapcase()
    response = client.post("/v1/brands", json=brand_body(wallet=broken))
    if broken.lower() != broken and broken.upper()[2:] != broken[2:]:
        assert response.status_code == 422


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("wallet", "0x1234", "wallet"),
        ("values", ["vegan", "   "], "values"),
        ("practices", ["x" * 501], "practices"),
        ("name", "", "name"),
    ],
)
def test_bad_brand_input_is_a_422_problem_and_creates_nothing(client, field, value, needle):
    response = client.post("/v1/brands", json=brand_body(**{field: value}))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "urn:collab:problem:validation-error"
    assert needle in (problem["detail"] + str(problem["errors"]))


def test_misspelt_or_unknown_values_are_kept_with_their_reading(client) -> None:
    """These phrases were a 422 "unknown value" before: no phrase is refused for its meaning
    now. A misspelling is read as the concept it is close to; gibberish is kept, not
    understood, and adds no slug."""
    response = client.post(
        "/v1/brands", json=brand_body(values=["crueltyfre", "cause animalle", "xkcd plmq"])
    )
    assert response.status_code == 201, response.text
    body = response.json()
    readings = body["interpretations"]["values"]
    assert [r["text"] for r in readings] == ["crueltyfre", "cause animalle", "xkcd plmq"]
    assert [[c["slug"] for c in r["concepts"]] for r in readings] == [
        ["cruelty-free"],
        ["animal-welfare"],
        [],
    ]
    assert [r["understood"] for r in readings] == [True, True, False]
    assert body["values"] == ["cruelty-free", "animal-welfare"]


def test_register_creator_with_split(client) -> None:
    designers = [
        {"name": "Ana", "wallet": wallet(), "share_bps": 1000},
        {"name": "Ben", "wallet": wallet(), "share_bps": 1000},
    ]
    charities = [
        {"name": "Refuge", "wallet": wallet(), "share_bps": 500, "accept_unverified": True}
    ]
    split = {"creator_share_bps": 7500, "designers": designers, "charities": charities}
    creator = register_creator(client, is_virtual=True, operator="Studio Lumen SAS", split=split)
    assert creator.data["split"]["designers"][1]["name"] == "Ben"
    assert creator.data["is_virtual"] is True
    assert creator.key.startswith("ck_creator_")


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"is_virtual": True, "operator": None}, "operator"),
        ({"split": {"creator_share_bps": 9000, "designers": [], "charities": []}}, "10000"),
        (
            {
                "split": {
                    "creator_share_bps": 10000 - 16,
                    "designers": [
                        {"name": f"d{i}", "wallet": wallet(), "share_bps": 1} for i in range(16)
                    ],
                    "charities": [],
                }
            },
            "16",
        ),
        ({"min_fees": [{"amount": 1000, "token": "ETH"}]}, "decimal string"),
        ({"min_fees": [{"amount": "-5", "token": "ETH"}]}, "decimal"),
        ({"min_fees": [{"amount": "10", "token": "BTC"}]}, "ERC-20"),
        ({"languages": ["french"]}, "2-letter"),
        ({"audience": {"myspace": {"followers": 10}}}, "platform"),
        ({"dealbreakers": ["  "]}, "dealbreakers"),
        ({"values": []}, "values"),
        ({"values": [f"value {i}" for i in range(41)]}, "values"),
    ],
)
def test_bad_creator_input(client, overrides, needle) -> None:
    response = client.post("/v1/creators", json=creator_body(**overrides))
    assert response.status_code == 422, response.text
    assert needle in response.text
    assert response.headers["content-type"] == PROBLEM


def test_handle_is_unique(client) -> None:
    register_creator(client, handle="vera")
    response = client.post("/v1/creators", json=creator_body(handle="Vera"))
    assert response.status_code == 409


def test_patch_profiles(client) -> None:
    brand = register_brand(client)
    response = brand.patch("/v1/brands/me", json={"practices": ["tests sur les animaux"]})
    assert response.status_code == 200
    assert response.json()["practices"] == ["animal-testing"]
    creator = register_creator(client)
    response = creator.patch(
        "/v1/creators/me", json={"bio": "new bio", "values": ["sport-wellbeing"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["bio"] == "new bio"
    # cross-field rule checked on the merged profile
    response = creator.patch("/v1/creators/me", json={"is_virtual": True})
    assert response.status_code == 422
    assert "operator" in response.text
    assert creator.get("/v1/me").json()["is_virtual"] is False


def test_wrong_role_and_missing_key(client) -> None:
    brand = register_brand(client)
    creator = register_creator(client)
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/me", headers=auth("ck_brand_nope")).status_code == 401
    assert brand.patch("/v1/creators/me", json={"bio": "x"}).status_code == 403
    assert creator.patch("/v1/brands/me", json={"name": "x"}).status_code == 403
    response = client.get("/v1/me", headers=auth("garbage"))
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == "Bearer"


def test_registration_is_idempotent(client) -> None:
    body = brand_body()
    headers = {"Idempotency-Key": "reg-1"}
    first = client.post("/v1/brands", json=body, headers=headers)
    second = client.post("/v1/brands", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotency-replayed"] == "true"
    replay = second.json()
    assert replay == first.json() | {"api_key": None, "api_key_note": replay["api_key_note"]}
    assert "shown once" in replay["api_key_note"]
    assert "/v1/keys/rotate" in replay["api_key_note"]
    assert client.get("/v1/me", headers=auth(first.json()["api_key"])).status_code == 200
    other = client.post("/v1/brands", json=brand_body(), headers=headers)
    assert other.status_code == 409
    assert other.json()["type"] == "urn:collab:problem:idempotency-key-reused"


def test_values_taxonomy_is_public(client) -> None:
    items = client.get("/v1/values").json()["items"]
    slugs = {item["slug"] for item in items}
    assert {"animal-welfare", "animal-testing", "lgbtq-rights"} <= slugs
    assert len(items) >= 40
    assert all(item["labels"]["fr"] and item["labels"]["en"] for item in items)


def test_virtual_creator_operator_rules_on_update(client) -> None:
    creator = register_creator(client, is_virtual=True, operator="Studio Lumen SAS")
    assert creator.patch("/v1/creators/me", json={"operator": None}).status_code == 422
    response = creator.patch("/v1/creators/me", json={"is_virtual": False, "operator": None})
    assert response.status_code == 200
    assert response.json()["operator"] is None
    assert creator.patch("/v1/creators/me", json={"bio": None}).json()["bio"] != ""
