"""Personal data: export (`GET /v1/me/export`), erasure (`DELETE /v1/me`) and the retention rule.

The checks read the database as it is, table by table (every table the migrations made, not
the list the code keeps): a row refers to an account when any of its values mentions the
account's id, its wallet or one of its deals' ids; after erasure no value anywhere holds one of
the account's personal values.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

import sqlalchemy as sa
from typer.testing import CliRunner

from api.cli import app as cli
from api.creators.models import CreatorCreate
from api.kit.idempotency import IdempotencyRecord
from api.kit.time import utcnow
from api.match_index import refresh_index
from api.offers.models import Offer
from tests.api.deals import Deal, Wallets, address
from tests.factories import (
    Actor,
    auth,
    offer_body,
    post_request,
    register_brand,
    register_creator,
)

HAS_IDENTITY = "legal_name" in CreatorCreate.model_fields
ERASED_TYPE = "urn:collab:problem:account-erased"


def personal_creator(client, *, wallet: str | None = None, **overrides) -> tuple[Actor, dict]:
    """A virtual creator whose every personal value is distinctive, so a scan for it never
    meets another account's data. Returns it and the values to hunt for after erasure."""
    tag = secrets.token_hex(4)
    values = {
        "handle": f"vera_{tag}",
        "display_name": f"Vera Lumière {tag}",
        "bio": f"Je défends les ânes du Poitou ({tag}) et une cuisine végétale.",
        "operator": f"Studio Lumen {tag} SAS",
        "value phrase": f"protéger les ânes du Poitou {tag}",
        "dealbreaker phrase": f"élevage en cage {tag}",
        "designer": f"Ana Design {tag}",
        "charity": f"Refuge des Ânes {tag}",
    }
    body = {
        "handle": values["handle"],
        "display_name": values["display_name"],
        "bio": values["bio"],
        "is_virtual": True,
        "operator": values["operator"],
        "values": ["animal-welfare", "veganism", values["value phrase"]],
        "dealbreakers": ["animal-testing", values["dealbreaker phrase"]],
        "split": {
            "creator_share_bps": 8000,
            "designers": [{"name": values["designer"], "wallet": _wallet(), "share_bps": 1500}],
            "charities": [
                {
                    "name": values["charity"],
                    "wallet": _wallet(),
                    "share_bps": 500,
                    "accept_unverified": True,
                }
            ],
        },
    }
    if HAS_IDENTITY:
        values |= {
            "legal_name": f"Lumen Studio {tag} SAS",
            "postal_address": f"7 impasse des Ânes {tag}, 86000 Poitiers",
            "email": f"vera.{tag}@lumen.example",
        }
        body |= {
            "legal_name": values["legal_name"],
            "postal_address": values["postal_address"],
            "email": values["email"],
            "tax_country": "FR",
        }
    if wallet:
        body["wallet"] = wallet
    response = client.post(
        "/v1/creators", json=_creator_body(body | overrides), headers={"Idempotency-Key": tag}
    )
    assert response.status_code == 201, response.text
    return Actor(client, response.json()), values


def _creator_body(fields: dict) -> dict:
    from tests.factories import creator_body

    return creator_body(**fields)


def _wallet() -> str:
    from tests.factories import wallet

    return wallet()


# ------------------------------------------------------------------- reading the database


def dump(engine) -> dict[str, dict[tuple, dict]]:
    """Every row of every table, keyed by its primary key as strings."""
    inspector = sa.inspect(engine)
    tables = {}
    with engine.connect() as connection:
        for name in inspector.get_table_names():
            if name == "alembic_version":
                continue
            key = inspector.get_pk_constraint(name)["constrained_columns"]
            rows = connection.execute(sa.text(f'SELECT * FROM "{name}"')).mappings()
            tables[name] = {tuple(str(row[k]) for k in key): dict(row) for row in rows}
    return tables


def _text(row: dict) -> str:
    return " ".join(str(value) for value in row.values()).lower()


def referring(engine, needles: list[str]) -> dict[str, set[tuple]]:
    """The rows that mention any of `needles`, by table."""
    needles = [needle.lower() for needle in needles]
    found = {}
    for table, rows in dump(engine).items():
        keys = {key for key, row in rows.items() if any(n in _text(row) for n in needles)}
        if keys:
            found[table] = keys
    return found


def exported(engine, body: dict) -> dict[str, set[tuple]]:
    inspector = sa.inspect(engine)
    found = {}
    for table, rows in body["tables"].items():
        key = inspector.get_pk_constraint(table)["constrained_columns"]
        found[table] = {tuple(str(row[k]) for k in key) for row in rows}
    return found


def needles_of(actor: Actor, wallet: str) -> list[str]:
    deals = [c["deal_id"] for c in actor.get("/v1/collaborations").json()["items"]]
    return [actor.id, wallet, *deals]


def assert_export_complete(engine, actor: Actor, wallet: str) -> dict:
    response = actor.get("/v1/me/export")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["account"]["id"] == actor.id
    expected = referring(engine, needles_of(actor, wallet))
    got = exported(engine, body)
    for table, keys in expected.items():
        assert keys <= got.get(table, set()), f"{table}: {keys - got.get(table, set())}"
    return body


def leftovers(engine, values: dict[str, str]) -> list[str]:
    """Where any of the personal values still is: 'table.column: name'."""
    found = []
    for table, rows in dump(engine).items():
        for row in rows.values():
            for column, value in row.items():
                text = str(value).lower()
                found += [
                    f"{table}.{column}: {name}"
                    for name, personal in values.items()
                    if personal.lower() in text
                ]
    return found


# ------------------------------------------------------------------------------- export


def test_export_holds_every_row_that_refers_to_the_caller(client, engine) -> None:
    brand = register_brand(client)
    other_brand = register_brand(client)
    creator, _ = personal_creator(client)
    other_creator = register_creator(client)
    for sender, key in ((brand, "b1"), (other_brand, "b2")):
        request = post_request(sender)
        for target in (creator, other_creator):
            response = sender.post(
                f"/v1/requests/{request['id']}/offers",
                json=offer_body(target.id),
                headers={"Idempotency-Key": f"{key}-{target.id}"},
            )
            assert response.status_code == 201, response.text
    inbox = creator.get("/v1/offers").json()["items"]
    declined = creator.post(f"/v1/offers/{inbox[0]['id']}/decline", json={"reason": "no"})
    assert declined.status_code == 200, declined.text

    body = assert_export_complete(engine, creator, creator.data["wallet"])
    assert set(body["tables"]) >= {"creator", "offer", "idempotency_key"}
    assert len(body["tables"]["offer"]) == len(inbox) == 2
    assert other_creator.id not in str(body)  # nothing of another account
    if "offer_version" in sa.inspect(engine).get_table_names():  # found by its foreign key
        assert len(body["tables"]["offer_version"]) == 2
    assert body["profile"]["interpretations"]["values"]  # phrases with their readings
    assert "api_key_hash" not in body["tables"]["creator"][0]
    assert creator.key not in str(body)
    assert body["api_key"]["prefix"] == "ck_creator_"
    brand_body = assert_export_complete(engine, brand, brand.data["wallet"])
    assert {row["id"] for row in brand_body["tables"]["offer"]} == {
        offer["id"] for offer in brand.get("/v1/offers").json()["items"]
    }


def test_the_operator_has_nothing_to_export_or_erase(client) -> None:
    from tests.api.conftest import OPERATOR_KEY

    assert client.get("/v1/me/export", headers=auth(OPERATOR_KEY)).status_code == 404
    assert client.delete("/v1/me", headers=auth(OPERATOR_KEY)).status_code == 403
    assert client.delete("/v1/me").status_code == 401
    unknown = client.delete("/v1/me", headers=auth("ck_creator_" + "x" * 43))
    assert unknown.status_code == 401
    assert unknown.headers["content-type"] == "application/problem+json"


# ------------------------------------------------------------------------------ erasure


def test_a_full_deal_then_erasure_keeps_the_history_and_no_personal_value(
    deal_client, chain, wallets: Wallets, engine
) -> None:
    _, w3, _ = chain
    brand = register_brand(deal_client, wallet=address(wallets.brand))
    creator, values = personal_creator(
        deal_client, wallet=address(wallets.creator), min_fees=[{"amount": "1", "token": "ETH"}]
    )
    request = post_request(brand, budget={"amount": str(10**18), "token": "ETH"})
    offered = brand.post(
        f"/v1/requests/{request['id']}/offers",
        json=offer_body(creator.id, amount=str(10**18)),
        headers={"Idempotency-Key": "offer-1"},
    )
    assert offered.status_code == 201, offered.text
    assert offered.json()["status"] == "sent", offered.json()
    assert values["operator"] in offered.json()["terms_text"]
    deal = Deal(deal_client, w3, wallets, brand, creator, offered.json())
    deal.accept()
    deal.fund()

    refused = creator.client.delete("/v1/me", headers=creator.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["collaborations"] == [deal.collaboration["id"]]

    deal.deliver()
    deal.act(brand, "approve", wallets.brand)
    before = deal.state()
    assert before["status"] == "released"
    assert before["payouts"]

    # A designer who left the split is still named in the deal's payees: erased there too.
    solo = {"creator_share_bps": 10_000, "designers": [], "charities": []}
    assert creator.patch("/v1/creators/me", json={"split": solo}).status_code == 200
    export = assert_export_complete(engine, creator, address(wallets.creator))
    assert {"collaboration", "payout", "chain_event"} <= set(export["tables"])
    assert_export_complete(engine, brand, address(wallets.brand))
    assert leftovers(engine, values)  # the scan finds them while they are there

    erased = deal_client.delete("/v1/me", headers=creator.headers)
    assert erased.status_code == 200, erased.text
    assert erased.json()["already_erased"] is False
    assert leftovers(engine, values) == []

    # The brand's history reads on: amounts, hashes, deal id, wallets and shares as signed.
    after = deal.state()
    for field in ("status", "price", "deal_id", "terms_hash", "escrow_address", "payouts"):
        assert after[field] == before[field], field
    assert [(p["wallet"], p["share_bps"]) for p in after["payees"]] == [
        (p["wallet"], p["share_bps"]) for p in before["payees"]
    ]
    assert "[erased]" in after["terms_text"]
    assert brand.get(f"/v1/offers/{deal.offer['id']}").status_code == 200

    # The creator can no longer act; a repeated DELETE answers the same.
    assert creator.get("/v1/me").status_code == 401
    assert creator.get(deal.collaboration_url).status_code == 401
    again = deal_client.delete("/v1/me", headers=creator.headers)
    assert again.status_code == 200, again.text
    assert again.json()["already_erased"] is True
    assert again.json()["account"] == erased.json()["account"]
    assert leftovers(engine, values) == []

    # Others meet a clear problem when they name it.
    check = brand.get(f"/v1/requests/{request['id']}/matches/{creator.id}")
    assert check.status_code == 404
    assert check.json()["type"] == ERASED_TYPE
    state = deal_client.app.state
    state.match_index.watermark = None  # as another process would, re-read every creator
    refresh_index(state.engine, state.match_index)
    matches = brand.get(f"/v1/requests/{request['id']}/matches").json()["items"]
    assert creator.id not in [m["creator"]["id"] for m in matches]
    new_request = post_request(brand)
    offer = brand.post(f"/v1/requests/{new_request['id']}/offers", json=offer_body(creator.id))
    assert offer.status_code == 404
    assert offer.json()["type"] == ERASED_TYPE


def test_erasure_of_one_account_leaves_every_other_row_as_it_was(client, engine) -> None:
    brand = register_brand(client)
    creator, values = personal_creator(client)
    neighbour = register_creator(client)
    request = post_request(brand)
    for target in (creator, neighbour):
        response = brand.post(
            f"/v1/requests/{request['id']}/offers",
            json=offer_body(target.id),
            headers={"Idempotency-Key": f"offer-{target.id}"},
        )
        assert response.status_code == 201, response.text
    needles = needles_of(creator, creator.data["wallet"])
    mine = referring(engine, needles)
    before = dump(engine)

    response = client.delete("/v1/me", headers=creator.headers)
    assert response.status_code == 200, response.text
    assert response.json()["cancelled_offers"] == 1

    after = dump(engine)
    for table, rows in before.items():
        others = {key: row for key, row in rows.items() if key not in mine.get(table, set())}
        assert {key: after[table].get(key) for key in others} == others, table
    assert leftovers(engine, values) == []
    assert neighbour.get("/v1/me").json()["handle"] == neighbour.data["handle"]
    offers = {o["creator_id"]: o["status"] for o in brand.get("/v1/offers").json()["items"]}
    assert offers == {creator.id: "cancelled", neighbour.id: "sent"}


def test_a_brand_erasure_closes_its_requests_and_the_creator_still_reads_its_offers(
    client, engine
) -> None:
    brand = register_brand(client)
    creator = register_creator(client)
    request = post_request(brand)
    offer = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id))
    assert offer.status_code == 201, offer.text
    # The factory's postal address and description are every brand's: checked on its row.
    values = {"name": brand.data["name"]}
    if HAS_IDENTITY:
        values |= {"legal_name": brand.data["legal_name"], "email": brand.data["email"]}

    response = client.delete("/v1/me", headers=brand.headers)
    assert response.status_code == 200, response.text
    assert leftovers(engine, values) == []
    row = dump(engine)["brand"][(brand.id,)]
    assert brand.data["description"] not in str(row)
    if HAS_IDENTITY:
        assert row["postal_address"] is None
        assert row["tax_country"] is None
    seen = creator.get(f"/v1/offers/{offer.json()['id']}")
    assert seen.status_code == 200
    assert seen.json()["status"] == "cancelled"
    assert brand.get("/v1/requests").status_code == 401
    requests = dump(engine)["collab_request"]
    assert {r["status"] for r in requests.values()} == {"closed"}


# ---------------------------------------------------------------------------- retention


def _age(engine, model, where, **columns) -> None:
    with engine.begin() as connection:
        connection.execute(sa.update(model).where(where).values(**columns))


def test_purge_deletes_ended_offers_and_old_idempotency_records(
    deal_client, chain, wallets: Wallets, deal_settings, engine
) -> None:
    _, w3, _ = chain
    brand = register_brand(deal_client, wallet=address(wallets.brand))
    creator = register_creator(
        deal_client, wallet=address(wallets.creator), min_fees=[{"amount": "1", "token": "ETH"}]
    )
    offers = {}
    for name in ("deal", "declined", "expired", "recent"):
        request = post_request(brand)
        response = brand.post(
            f"/v1/requests/{request['id']}/offers",
            json=offer_body(creator.id),
            headers={"Idempotency-Key": f"key-{name}"},
        )
        assert response.status_code == 201, response.text
        offers[name] = response.json()
    deal = Deal(deal_client, w3, wallets, brand, creator, offers["deal"])
    deal.accept()
    # Cancelled, but the deal's record: an offer with a collaboration is never purged.
    assert brand.post(deal.collaboration_url + "/cancel").status_code == 200
    declined = creator.post(f"/v1/offers/{offers['declined']['id']}/decline")
    assert declined.status_code == 200
    long_ago = utcnow() - timedelta(days=deal_settings.offer_retention_days + 1)
    for name in ("deal", "declined", "expired"):
        offer_id = offers[name]["id"]
        _age(engine, Offer, Offer.id == offer_id, updated_at=long_ago, expires_at=long_ago)
    _age(engine, IdempotencyRecord, IdempotencyRecord.key == "key-deal", created_at=long_ago)
    tables_before = {table: len(rows) for table, rows in dump(engine).items()}

    runner = CliRunner()
    result = runner.invoke(
        cli, ["purge"], env={**os.environ, "DATABASE_URL": deal_settings.database_url}
    )
    assert result.exit_code == 0, result.output
    assert "2 offers" in result.output
    assert "1 idempotency_records" in result.output

    remaining = {row["id"] for row in dump(engine)["offer"].values()}
    assert remaining == {offers["deal"]["id"], offers["recent"]["id"]}
    keys = {row["key"] for row in dump(engine)["idempotency_key"].values()}
    assert "key-deal" not in keys
    assert {"key-declined", "key-recent"} <= keys
    after = {table: len(rows) for table, rows in dump(engine).items()}
    assert after["collaboration"] == tables_before["collaboration"] == 1
    # Rows that hung on the purged offers (their terms versions, say) went with them.
    for table, count in after.items():
        assert count <= tables_before[table], table

    again = runner.invoke(
        cli, ["purge"], env={**os.environ, "DATABASE_URL": deal_settings.database_url}
    )
    assert "0 offers" in again.output
    assert "0 idempotency_records" in again.output
