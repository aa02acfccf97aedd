"""Negotiation: counter-offers as immutable terms versions, signed by both sides, on anvil.

The creator counters a sent offer, signs its counter; the brand accepts it by signing the same
EIP-712 terms with its wallet (checked by the API), and funds it as any accepted offer (the
creator's signature checked by the escrow).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from eth_account import Account
from eth_utils import keccak
from sqlmodel import Session, select

from api.core.settings import Settings
from api.kit.time import utcnow
from api.offers.models import Offer, OfferVersion
from contracts import bindings
from tests.api.deals import Deal, expected_split, make_deal, sign_typed_data
from tests.api.test_concurrency import _count, _http, race
from tests.factories import future

AMOUNT = 10**17
COUNTER_AMOUNT = 15 * 10**16 + 3  # 0.15 ETH and 3 wei: the dust lands on the creator
USAGE = {"paid_ads": True, "duration_days": 90, "territories": ["FR", "BE"]}


def _url(deal: Deal, tail: str = "") -> str:
    return f"/v1/offers/{deal.offer['id']}{tail}"


def _counter(deal: Deal, actor=None, **terms) -> httpx.Response:
    actor = actor or deal.creator
    return actor.post(_url(deal, "/counter"), json=terms)


def _typed(actor, deal: Deal) -> dict:
    response = actor.get(_url(deal, "/typed-data"))
    assert response.status_code == 200, response.text
    return response.json()["typed_data"]


def _sign_counter(deal: Deal) -> dict:
    """The creator signs its current counter; returns the typed data it signed."""
    typed = _typed(deal.creator, deal)
    signature = sign_typed_data(typed, deal.wallets.creator)
    response = deal.creator.post(_url(deal, "/counter/signature"), json={"signature": signature})
    assert response.status_code == 200, response.text
    return typed


def _offer(deal: Deal) -> dict:
    response = deal.brand.get(_url(deal))
    assert response.status_code == 200
    return response.json()


def _set_expiry(client, offer_id: str, when) -> None:
    """Move the current version's expiry (the wall clock the API reads, not the chain's)."""
    with Session(client.app.state.engine) as session:
        offer = session.get(Offer, offer_id)
        offer.expires_at = when
        version = session.exec(
            select(OfferVersion).where(
                OfferVersion.offer_id == offer_id, OfferVersion.number == offer.current_version
            )
        ).one()
        version.expires_at = when
        session.add_all([offer, version])
        session.commit()


def test_counter_round_trip_ends_with_a_funded_deal(deal_client, chain, wallets) -> None:
    _, w3, deployment = chain
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    deliver_by = future(20)
    countered = _counter(
        deal, amount=str(COUNTER_AMOUNT), deliver_by=deliver_by, usage_rights=USAGE
    )
    assert countered.status_code == 201, countered.text
    body = countered.json()
    assert body["status"] == "countered"
    assert body["current_version"] == 2
    assert body["price"] == {"amount": str(COUNTER_AMOUNT), "token": "ETH"}
    assert body["usage_rights"]["paid_ads"] is True
    assert [v["proposed_by"] for v in body["versions"]] == ["brand", "creator"]
    counter = body["versions"][1]
    assert counter["terms_hash"] == "0x" + keccak(text=counter["terms_text"]).hex()
    assert counter["salt"] != body["versions"][0]["salt"]
    assert counter["deal_id"] is None  # not signed yet

    signed = _sign_counter(deal)
    assert signed["message"]["amount"] == str(COUNTER_AMOUNT)
    assert signed["message"]["termsHash"] == counter["terms_hash"]
    # The brand signs exactly what the creator signed.
    typed = _typed(deal.brand, deal)
    assert typed == signed
    accepted = deal.brand.post(
        _url(deal, "/counter/accept"), json={"signature": sign_typed_data(typed, wallets.brand)}
    )
    assert accepted.status_code == 201, accepted.text
    result = accepted.json()
    assert result["offer"]["status"] == "accepted"
    collaboration = result["collaboration"]
    assert collaboration["status"] == "drafted"
    assert collaboration["price"] == {"amount": str(COUNTER_AMOUNT), "token": "ETH"}
    assert collaboration["terms_hash"] == counter["terms_hash"]
    assert collaboration["terms_text"] == counter["terms_text"]
    version = result["offer"]["versions"][1]
    assert collaboration["deal_id"] == version["deal_id"]
    assert version["brand_signed_at"] is not None
    assert version["creator_signed_at"] is not None

    deal.collaboration = collaboration
    fund = deal.transaction(deal.brand, "fund")
    assert fund["transaction"]["value"] == str(COUNTER_AMOUNT)
    deal.fund()
    assert deal.state()["status"] == "funded"
    escrow = bindings.EscrowContract(w3, deployment.escrow_address)
    assert escrow.deal_state(collaboration["deal_id"]).status is bindings.DealStatus.FUNDED
    deal.deliver()
    deal.act(deal.brand, "approve", wallets.brand)
    state = deal.state()
    assert state["status"] == "released"
    _, amounts = expected_split(COUNTER_AMOUNT, [p["share_bps"] for p in state["payees"]])
    paid = {p["wallet"]: int(p["amount"]) for p in state["payouts"] if p["kind"] == "paid"}
    assert [paid[p["wallet"]] for p in state["payees"]] == amounts


def test_history_keeps_every_version_unchanged(deal_client, chain, wallets) -> None:
    """Creator counters, brand counters back, creator accepts the brand's version: three
    versions, the first two exactly as they were proposed."""
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    first = _offer(deal)["versions"]
    assert len(first) == 1
    creator_counter = _counter(deal, amount=str(2 * AMOUNT), note="my rate for two reels")
    assert creator_counter.status_code == 201, creator_counter.text
    two = creator_counter.json()["versions"]
    brand_counter = _counter(
        deal,
        deal.brand,
        amount=str(3 * AMOUNT // 2),
        deliverables=[{"platform": "instagram", "format": "reel", "count": 1}],
    )
    assert brand_counter.status_code == 201, brand_counter.text
    assert brand_counter.json()["status"] == "sent"

    accepted = deal.accept()  # the creator signs version 3 through the ordinary accept
    assert accepted["collaboration"]["price"]["amount"] == str(3 * AMOUNT // 2)
    versions = _offer(deal)["versions"]
    assert [v["number"] for v in versions] == [1, 2, 3]
    assert [v["proposed_by"] for v in versions] == ["brand", "creator", "brand"]
    assert [v["price"]["amount"] for v in versions] == [
        str(AMOUNT),
        str(2 * AMOUNT),
        str(3 * AMOUNT // 2),
    ]
    assert versions[0] == first[0]
    assert versions[1] == two[1]
    assert versions[1]["note"] == "my rate for two reels"
    assert versions[2]["deliverables"] == [{"platform": "instagram", "format": "reel", "count": 1}]
    assert versions[2]["deal_id"] == accepted["collaboration"]["deal_id"]
    assert len({v["salt"] for v in versions}) == 3
    assert "1 × reel sur / on instagram" in versions[2]["terms_text"]
    assert "2 × reel sur / on instagram" in versions[1]["terms_text"]
    # The creator's own view shows the same history.
    assert deal.creator.get(_url(deal)).json()["versions"] == versions


def test_expired_counter_cannot_be_signed_or_accepted(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    assert _counter(deal, amount=str(2 * AMOUNT)).status_code == 201
    typed = _sign_counter(deal)
    brand_signature = sign_typed_data(typed, wallets.brand)
    _set_expiry(deal_client, deal.offer["id"], utcnow() - timedelta(seconds=5))

    assert _offer(deal)["status"] == "expired"
    for response in (
        deal.brand.get(_url(deal, "/typed-data")),
        deal.brand.post(_url(deal, "/counter/accept"), json={"signature": brand_signature}),
        deal.brand.post(_url(deal, "/counter/decline"), json={"reason": "too late"}),
        _counter(deal, deal.brand, amount=str(AMOUNT + 1)),
    ):
        assert response.status_code == 409, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "expired" in response.json()["detail"]
    assert _count_collaborations(deal_client) == 0


def test_expired_offer_cannot_be_countered(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    _set_expiry(deal_client, deal.offer["id"], utcnow() - timedelta(seconds=5))
    response = _counter(deal, amount=str(2 * AMOUNT))
    assert response.status_code == 409
    assert response.json()["state"] == "expired"
    assert len(_offer(deal)["versions"]) == 1


def test_counter_expires_on_its_own_clock(deal_client, chain, wallets) -> None:
    """Each version has its own expiry: a counter is valid for the offer TTL from its own
    proposal, capped by its delivery deadline."""
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    deliver_by = future(2)
    body = _counter(deal, amount=str(2 * AMOUNT), deliver_by=deliver_by).json()
    first, counter = body["versions"]
    assert counter["expires_at"] == counter["deliver_by"]  # TTL (7 days) capped by deliver_by
    assert counter["expires_at"] != first["expires_at"]
    assert body["expires_at"] == counter["expires_at"]


def test_wrong_signers_are_refused(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    assert _counter(deal, amount=str(2 * AMOUNT)).status_code == 201
    # Not signed by the creator yet: nothing for the brand to sign or accept.
    assert deal.brand.get(_url(deal, "/typed-data")).status_code == 409
    creator_typed = _typed(deal.creator, deal)
    early = deal.brand.post(
        _url(deal, "/counter/accept"),
        json={"signature": sign_typed_data(creator_typed, wallets.brand)},
    )
    assert early.status_code == 409
    assert "awaits the creator's signature" in early.json()["detail"]
    # The creator's signature must be the creator wallet's.
    by_brand = sign_typed_data(creator_typed, wallets.brand)
    refused = deal.creator.post(_url(deal, "/counter/signature"), json={"signature": by_brand})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "signature"

    typed = _sign_counter(deal)
    again = deal.creator.post(
        _url(deal, "/counter/signature"),
        json={"signature": sign_typed_data(typed, wallets.creator)},
    )
    assert again.status_code == 409  # signed once
    altered = {**typed, "message": {**typed["message"], "amount": str(AMOUNT)}}
    for key, data in (
        (wallets.creator, typed),  # the creator cannot accept for the brand
        (wallets.stranger, typed),
        (Account.create().key.hex(), typed),
        (wallets.brand, altered),  # the brand's wallet, over other terms
    ):
        response = deal.brand.post(
            _url(deal, "/counter/accept"), json={"signature": sign_typed_data(data, key)}
        )
        assert response.status_code == 422, response.text
        assert "brand wallet" in response.json()["detail"]
    assert _offer(deal)["status"] == "countered"
    # Only the addressed creator signs a counter, only the offer's brand accepts it.
    assert (
        deal.brand.post(_url(deal, "/counter/signature"), json={"signature": by_brand}).status_code
        == 403
    )
    assert (
        deal.creator.post(_url(deal, "/counter/accept"), json={"signature": by_brand}).status_code
        == 403
    )
    assert _count_collaborations(deal_client) == 0


def test_a_signature_of_one_version_is_refused_on_another(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    v1_signature = sign_typed_data(deal.typed_data(), wallets.creator)
    assert _counter(deal, amount=str(2 * AMOUNT)).status_code == 201
    # The creator's signature of version 1 does not sign its counter (version 2).
    replayed = deal.creator.post(_url(deal, "/counter/signature"), json={"signature": v1_signature})
    assert replayed.status_code == 422
    v2_typed = _typed(deal.creator, deal)
    v2_signature = sign_typed_data(v2_typed, wallets.creator)
    assert v2_typed["message"]["salt"] != deal.offer["deal_id"]
    # Nor can version 1 be accepted any more: the creator countered it.
    stale = deal.creator.post(_url(deal, "/accept"), json={"signature": v1_signature})
    assert stale.status_code == 409
    deal.creator.post(_url(deal, "/counter/signature"), json={"signature": v2_signature})
    brand_v2 = sign_typed_data(_typed(deal.brand, deal), wallets.brand)

    # The brand counters back (version 3), the creator counters again (version 4).
    assert _counter(deal, deal.brand, amount=str(3 * AMOUNT // 2)).status_code == 201
    v3_replay = deal.creator.post(_url(deal, "/accept"), json={"signature": v2_signature})
    assert v3_replay.status_code == 422
    assert _counter(deal, amount=str(2 * AMOUNT)).status_code == 201  # same amount as v2
    v4_replay = deal.creator.post(
        _url(deal, "/counter/signature"), json={"signature": v2_signature}
    )
    assert v4_replay.status_code == 422
    _sign_counter(deal)
    # The brand's signature of version 2 does not accept version 4 (same amount, new salt).
    brand_replay = deal.brand.post(_url(deal, "/counter/accept"), json={"signature": brand_v2})
    assert brand_replay.status_code == 422
    assert _offer(deal)["status"] == "countered"
    assert _count_collaborations(deal_client) == 0


def test_brand_declines_a_counter(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    assert _counter(deal, amount=str(5 * AMOUNT)).status_code == 201
    declined = deal.brand.post(_url(deal, "/counter/decline"), json={"reason": "over budget"})
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert declined.json()["decline_reason"] == "over budget"
    signing = deal.creator.get(_url(deal, "/typed-data"))
    assert signing.status_code == 409
    assert _counter(deal, amount=str(4 * AMOUNT)).status_code == 409


def test_counter_rules(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    same = _counter(deal, amount=str(AMOUNT))
    assert same.status_code == 422
    assert "at least one term" in same.json()["detail"]
    assert _counter(deal, amount="12.5").status_code == 422
    assert _counter(deal, shares=1).status_code == 422  # unknown field
    assert _counter(deal, deliver_by=future(400)).status_code == 422
    # Turns: the brand cannot counter its own sent offer, the creator not its own counter.
    assert _counter(deal, deal.brand, amount=str(2 * AMOUNT)).status_code == 409
    assert _counter(deal, amount=str(2 * AMOUNT)).status_code == 201
    again = _counter(deal, amount=str(3 * AMOUNT))
    assert again.status_code == 409
    assert again.json()["state"] == "countered"
    listed = deal.brand.get("/v1/offers", params={"status": "countered"}).json()["items"]
    assert [o["id"] for o in listed] == [deal.offer["id"]]


def _count_collaborations(client) -> int:
    from api.collaborations.models import Collaboration

    with Session(client.app.state.engine) as session:
        return len(list(session.exec(select(Collaboration))))


# ------------------------------------------------------------------------------ races

THREADS = 12


@pytest.fixture
def deal_http(deal_settings: Settings) -> Iterator[httpx.Client]:
    yield from _http(deal_settings)


def test_counter_accept_and_decline_of_one_offer_one_wins(
    deal_http, chain, wallets, database_url
) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_http, w3, wallets, amount=AMOUNT)
    signature = sign_typed_data(deal.typed_data(), wallets.creator)

    def act(i: int) -> httpx.Response:
        if i % 3 == 0:
            return deal.creator.post(_url(deal, "/accept"), json={"signature": signature})
        if i % 3 == 1:
            return _counter(deal, amount=str(AMOUNT + i))
        return deal.creator.post(_url(deal, "/decline"), json={"reason": "no"})

    answers = race(act, THREADS)
    codes = Counter(a.status_code for a in answers)
    assert codes[409] == THREADS - 1, codes
    (winner,) = [a for a in answers if a.status_code in (200, 201)]
    offer = _offer(deal)
    collaborations = _count(
        database_url, "SELECT count(*) FROM collaboration WHERE offer_id = :id", id=deal.offer["id"]
    )
    versions = _count(
        database_url, "SELECT count(*) FROM offer_version WHERE offer_id = :id", id=deal.offer["id"]
    )
    if "collaboration" in winner.json():
        assert (offer["status"], collaborations, versions) == ("accepted", 1, 1)
    elif winner.json()["status"] == "countered":
        assert (offer["status"], collaborations, versions) == ("countered", 0, 2)
    else:
        assert (offer["status"], collaborations, versions) == ("declined", 0, 1)
    losers = {a.json()["detail"] for a in answers if a.status_code == 409}
    assert all(offer["status"] in detail for detail in losers), losers


def test_brand_answers_to_one_counter_one_wins(deal_http, chain, wallets, database_url) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_http, w3, wallets, amount=AMOUNT)
    assert _counter(deal, amount=str(2 * AMOUNT)).status_code == 201
    typed = _sign_counter(deal)
    signature = sign_typed_data(typed, wallets.brand)

    def act(i: int) -> httpx.Response:
        if i % 3 == 0:
            return deal.brand.post(_url(deal, "/counter/accept"), json={"signature": signature})
        if i % 3 == 1:
            return _counter(deal, deal.brand, amount=str(AMOUNT + i))
        return deal.brand.post(_url(deal, "/counter/decline"), json={"reason": "no"})

    answers = race(act, THREADS)
    codes = Counter(a.status_code for a in answers)
    assert codes[409] == THREADS - 1, codes
    (winner,) = [a for a in answers if a.status_code in (200, 201)]
    offer = _offer(deal)
    collaborations = _count(
        database_url, "SELECT count(*) FROM collaboration WHERE offer_id = :id", id=deal.offer["id"]
    )
    expected = {"accepted": (1, 2), "sent": (0, 3), "declined": (0, 2)}[offer["status"]]
    assert (collaborations, len(offer["versions"])) == expected
    assert ("collaboration" in winner.json()) == (offer["status"] == "accepted")
    losers = {a.json()["detail"] for a in answers if a.status_code == 409}
    assert all(offer["status"] in detail for detail in losers), losers


def test_the_upgrade_makes_version_one_of_older_offers(deal_client, chain, wallets, database_url):
    """Offers made before versions existed become version 1, and an accepted one's version
    records the creator's signature and the exact terms it signed (same deal id)."""
    from api.collaborations.service import _terms_of_message
    from api.core.migrate import downgrade, upgrade

    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    signed = deal.typed_data()
    collaboration = deal.accept()["collaboration"]
    before = _offer(deal)["versions"]
    deal_client.app.state.engine.dispose()
    downgrade(database_url, "0009")
    upgrade(database_url)

    after = _offer(deal)["versions"]
    # The moment of signing was not kept before: the collaboration's creation stands for it.
    assert {**after[0], "creator_signed_at": None} == {**before[0], "creator_signed_at": None}
    (version,) = after
    assert version["signed_message"] == signed["message"]
    assert version["deal_id"] == collaboration["deal_id"]
    assert "0x" + _terms_of_message(version["signed_message"]).deal_id.hex() == version["deal_id"]
    with Session(deal_client.app.state.engine) as session:
        stored = session.get(OfferVersion, "ofv_" + deal.offer["id"].removeprefix("off_"))
        assert stored.creator_signature == collaboration_signature(session, collaboration["id"])


def collaboration_signature(session: Session, collaboration_id: str) -> str:
    from api.collaborations.models import Collaboration

    return session.get(Collaboration, collaboration_id).creator_signature
