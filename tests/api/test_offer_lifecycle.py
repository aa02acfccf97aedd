"""An offer's life: signatures verified as the escrow will, accepted deals that expire or are
cancelled, and the one-open-offer rule held by the schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from api.collaborations.models import Collaboration
from api.kit.time import utcnow
from api.offers.models import Offer
from contracts import bindings
from contracts.bindings import SECP256K1_N, sign_typed_data
from tests.api.deals import index, make_deal, send
from tests.factories import offer_body, post_request, register_brand, register_creator

PROBLEM = "application/problem+json"


def _stored(client, model, row_id: str):
    with Session(client.app.state.engine) as session:
        return session.get(model, row_id)


def _expire(client, offer_id: str) -> None:
    """Let the offer's signature expiry pass (the wall clock the API reads, not the chain's)."""
    past = utcnow() - timedelta(seconds=5)
    with Session(client.app.state.engine) as session:
        offer = session.get(Offer, offer_id)
        offer.expires_at = past
        session.add(offer)
        collaboration = session.exec(
            select(Collaboration).where(Collaboration.offer_id == offer_id)
        ).first()
        if collaboration is not None:
            collaboration.signature_expiry = int(past.timestamp())
            session.add(collaboration)
        session.commit()


def _malleate(signature: str) -> str:
    """The high-s twin of a low-s signature: the same signer, refused by OpenZeppelin's ECDSA."""
    raw = bytes.fromhex(signature.removeprefix("0x"))
    s, v = int.from_bytes(raw[32:64], "big"), raw[64]
    return "0x" + (raw[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])).hex()


def _v01(signature: str) -> str:
    raw = bytes.fromhex(signature.removeprefix("0x"))
    return "0x" + (raw[:64] + bytes([raw[64] - 27])).hex()


# ------------------------------------------------------------------ signatures (finding 9)


@pytest.mark.parametrize("variant", ["high_s", "v_0_1"])
def test_signatures_the_escrow_would_refuse_are_normalised_and_fund(
    deal_client, chain, wallets, variant
) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    signature = sign_typed_data(deal.typed_data(), wallets.creator)
    sent = _malleate(signature) if variant == "high_s" else _v01(signature)
    response = deal.creator.post(f"/v1/offers/{deal.offer['id']}/accept", json={"signature": sent})
    assert response.status_code == 201, response.text
    deal.collaboration = response.json()["collaboration"]
    stored = _stored(deal_client, Collaboration, deal.collaboration["id"])
    assert stored.creator_signature == signature  # the low-s, v in {27, 28} form
    deal.fund()
    assert deal.state()["status"] == "funded"


@pytest.mark.parametrize(
    ("signature", "needle"),
    [
        ("0x" + "11" * 64 + "05", "signature"),  # v is 5
        ("0x" + "00" * 32 + "11" * 32 + "1b", "signature"),  # r is 0
        ("0x" + "ab" * 65 + "c", "signature"),  # odd length
        ("0x" + "zz" * 65, "signature"),
    ],
)
def test_a_malformed_signature_is_a_422(deal_client, chain, wallets, signature, needle) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    response = deal.creator.post(
        f"/v1/offers/{deal.offer['id']}/accept", json={"signature": signature}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert needle in response.text
    assert deal.brand.get(f"/v1/offers/{deal.offer['id']}").json()["status"] == "sent"


def test_terms_the_escrow_would_revert_are_refused_naming_the_revert(
    deal_client, chain, wallets
) -> None:
    """The signature is right but createDeal would still revert (the fee is above the cap the
    escrow's owner set since): the whole call is simulated, so accept refuses it at once."""
    _, w3, deployment = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    signature = sign_typed_data(deal.typed_data(), wallets.creator)
    escrow = bindings.EscrowContract(w3, deployment.escrow_address)
    bindings.send(w3, escrow.build_set_platform_fee_cap(50), wallets.deployer)
    response = deal.creator.post(
        f"/v1/offers/{deal.offer['id']}/accept", json={"signature": signature}
    )
    assert response.status_code == 422, response.text
    assert "FeeAboveCap" in response.json()["detail"]
    assert deal.brand.get(f"/v1/offers/{deal.offer['id']}").json()["status"] == "sent"


# ------------------------------------------------------- expiry of unfunded deals (finding 12)


def _statuses(actor, url: str, status: str) -> list[str]:
    return [item["id"] for item in actor.get(url, params={"status": status}).json()["items"]]


def test_an_accepted_offer_whose_deal_was_never_funded_expires(deal_client, chain, wallets):
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    deal.accept()
    offer_id, collaboration_id = deal.offer["id"], deal.collaboration["id"]
    assert _statuses(deal.brand, "/v1/offers", "accepted") == [offer_id]
    _expire(deal_client, offer_id)

    assert deal.brand.get(f"/v1/offers/{offer_id}").json()["status"] == "expired"
    assert deal.state()["status"] == "expired"
    assert _statuses(deal.brand, "/v1/offers", "expired") == [offer_id]
    assert _statuses(deal.brand, "/v1/offers", "accepted") == []
    assert _statuses(deal.creator, "/v1/collaborations", "expired") == [collaboration_id]
    assert _statuses(deal.creator, "/v1/collaborations", "drafted") == []
    funding = deal.brand.get(f"{deal.collaboration_url}/transactions/fund")
    assert funding.status_code == 409
    assert "expired" in funding.json()["detail"]

    # The pair is free again: a new offer is sent, and the old rows now say expired.
    again = deal.brand.post(
        f"/v1/requests/{deal.offer['request_id']}/offers",
        json=offer_body(deal.creator.id, amount=str(10**17)),
    )
    assert again.status_code == 201, again.text
    assert again.json()["status"] == "sent"
    assert _stored(deal_client, Offer, offer_id).status == "expired"
    assert _stored(deal_client, Collaboration, collaboration_id).status == "expired"


def test_a_sent_offer_past_its_expiry_frees_the_pair(client) -> None:
    brand = register_brand(client)
    creator = register_creator(client)
    request = post_request(brand)
    url = f"/v1/requests/{request['id']}/offers"
    first = brand.post(url, json=offer_body(creator.id)).json()
    assert brand.post(url, json=offer_body(creator.id)).status_code == 409
    _expire(client, first["id"])
    second = brand.post(url, json=offer_body(creator.id))
    assert second.status_code == 201, second.text
    assert _stored(client, Offer, first["id"]).status == "expired"
    assert _statuses(brand, "/v1/offers", "sent") == [second.json()["id"]]
    assert _statuses(brand, "/v1/offers", "expired") == [first["id"]]


# ---------------------------------------------------------- cancel a drafted deal (finding 14)


def test_the_brand_cancels_a_drafted_collaboration(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    deal.accept()
    cancel = f"{deal.collaboration_url}/cancel"
    funding = deal.transaction(deal.brand, "fund")  # fetched before the cancel
    stranger = register_brand(deal_client)
    assert stranger.post(cancel).status_code == 404
    assert deal.creator.post(cancel).status_code == 403

    response = deal.brand.post(cancel)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert deal.brand.get(f"/v1/offers/{deal.offer['id']}").json()["status"] == "cancelled"
    assert _statuses(deal.brand, "/v1/collaborations", "cancelled") == [deal.collaboration["id"]]
    assert _statuses(deal.brand, "/v1/offers", "cancelled") == [deal.offer["id"]]
    again = deal.brand.post(cancel)
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]
    assert deal.brand.get(f"{deal.collaboration_url}/transactions/fund").status_code == 409
    new_offer = deal.brand.post(
        f"/v1/requests/{deal.offer['request_id']}/offers",
        json=offer_body(deal.creator.id, amount=str(10**17)),
    )
    assert new_offer.status_code == 201, new_offer.text

    # The chain is the truth about money: a deal funded anyway is picked up as funded.
    send(w3, funding["transaction"], wallets.brand)
    index(deal_client)
    assert deal.state()["status"] == "funded"
    assert _statuses(deal.brand, "/v1/collaborations", "funded") == [deal.collaboration["id"]]


def test_a_funded_collaboration_cannot_be_cancelled(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    deal.accept()
    deal.fund()
    response = deal.brand.post(f"{deal.collaboration_url}/cancel")
    assert response.status_code == 409
    assert "funded" in response.json()["detail"]
    assert deal.state()["status"] == "funded"


def test_an_expired_collaboration_cannot_be_cancelled(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    deal.accept()
    _expire(deal_client, deal.offer["id"])
    response = deal.brand.post(f"{deal.collaboration_url}/cancel")
    assert response.status_code == 409
    assert "expired" in response.json()["detail"]


# ------------------------------------------------------------ one open offer, in the schema


def _one_offer_row(client) -> tuple[object, dict]:
    """A sent offer made through the API, and its row's column values (to insert twins)."""
    brand = register_brand(client)
    creator = register_creator(client)
    request = post_request(brand)
    offer_id = brand.post(
        f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id)
    ).json()["id"]
    engine = client.app.state.engine
    with Session(engine) as session:
        row = session.get(Offer, offer_id)
        return engine, {c.name: getattr(row, c.name) for c in Offer.__table__.columns}


def test_the_schema_holds_one_open_offer_per_creator_and_request(client) -> None:
    engine, values = _one_offer_row(client)

    def insert(status: str, suffix: str):
        with engine.begin() as connection:
            connection.execute(
                sa.insert(Offer.__table__).values(
                    {
                        **values,
                        "id": values["id"][:-4] + suffix,
                        "deal_id": "0x" + suffix * 16,
                        "status": status,
                    }
                )
            )

    for status in ("sent", "accepted"):
        with pytest.raises(IntegrityError):
            insert(status, "beef")
    for suffix, status in (("dead", "screened_out"), ("cafe", "declined"), ("f00d", "expired")):
        insert(status, suffix)  # not open: any number of them


def test_the_upgrade_settles_pairs_that_broke_the_rule_before_the_index(client, database_url):
    """Offers raced past the old check in Python: the migration that adds the index keeps the
    newest open offer of a pair and expires the rest, instead of failing on them."""
    from api.core.migrate import downgrade, upgrade

    engine, values = _one_offer_row(client)
    engine.dispose()
    downgrade(database_url, "0004")
    try:
        # The offer table as it was then: later revisions add columns.
        names = {column["name"] for column in sa.inspect(engine).get_columns("offer")}
        values = {name: value for name, value in values.items() if name in names}
        old_offer = sa.table(
            "offer", *(sa.column(name, Offer.__table__.c[name].type) for name in values)
        )
        with engine.begin() as connection:
            for n, age in ((1, -60), (2, 60)):  # one older, one newer than the offer above
                connection.execute(
                    sa.insert(old_offer).values(
                        {
                            **values,
                            "id": f"off_{n:032x}",
                            "deal_id": "0x" + f"{n}" * 64,
                            "created_at": values["created_at"] + timedelta(seconds=age),
                        }
                    )
                )
    finally:
        upgrade(database_url)
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(
                sa.select(Offer.__table__.c.id, Offer.__table__.c.status).where(
                    Offer.__table__.c.creator_id == values["creator_id"]
                )
            ).all()
        )
    assert statuses == {
        f"off_{1:032x}": "expired",
        values["id"]: "expired",
        f"off_{2:032x}": "sent",
    }
