"""Milestone deals through the API: an offer of several milestones, each delivered, approved,
released or refunded on its own, every payout exact to the unit and tagged with its milestone."""

from __future__ import annotations

from datetime import datetime

import pytest
from eth_utils import keccak

from api.dev.driver import token_balance
from contracts import bindings
from tests.api.deals import address, expected_split, index, make_deal, send
from tests.contracts.env import advance, gas_cost, reorg_to, snapshot
from tests.factories import future, offer_body, post_request, register_brand, register_creator

REELS, STORY = 1_000_000_003, 500_000_004  # 6-decimal stablecoin units, odd: dust goes somewhere
WORK = "https://instagram.com/p/milestone"


def two_milestones(first: int = REELS, second: int = STORY, days=(10, 20)) -> list[dict]:
    return [
        {"label": "2 reels", "amount": str(first), "deliver_by": future(days[0])},
        {"label": "1 story", "amount": str(second), "deliver_by": future(days[1])},
    ]


def _timestamp(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def _milestone_deal(client, chain, wallets, *, token: str = "ETH", days=(10, 20)):
    _, w3, _ = chain
    amount = REELS + STORY
    if token != "ETH":
        coin = bindings.Erc20(w3, token)
        bindings.send(w3, coin.build_mint(address(wallets.brand), amount), wallets.brand)
    return make_deal(
        client,
        w3,
        wallets,
        token=token,
        amount=amount,
        deliver_by=None,
        milestones=two_milestones(days=days),
    )


def _paid(state: dict, milestone: int) -> dict[str, int]:
    return {
        p["wallet"]: int(p["amount"])
        for p in state["payouts"]
        if p["kind"] == "paid" and p["milestone"] == milestone
    }


def test_a_two_milestone_stablecoin_deal_pays_each_milestone_exactly(
    deal_client, chain, wallets
) -> None:
    _, w3, deployment = chain
    token = deployment.stablecoin_address
    deal = _milestone_deal(deal_client, chain, wallets, token=token)
    offered = deal.offer
    assert offered["price"]["amount"] == str(REELS + STORY)
    assert [(m["index"], m["label"], m["amount"]) for m in offered["milestones"]] == [
        (0, "2 reels", str(REELS)),
        (1, "1 story", str(STORY)),
    ]
    assert offered["deliver_by"] == offered["milestones"][1]["deliver_by"]
    assert "2 reels" in offered["terms_text"]
    assert "1 story" in offered["terms_text"]
    # The creator signs both milestones (amount and deadline); their labels are in the text.
    assert deal.typed_data()["message"]["milestones"] == [
        {"amount": str(m["amount"]), "deliverBy": str(_timestamp(m["deliver_by"]))}
        for m in offered["milestones"]
    ]

    accepted = deal.accept()["collaboration"]
    assert [m["status"] for m in accepted["milestones"]] == ["drafted", "drafted"]
    payees = [p["wallet"] for p in accepted["payees"]]
    shares = [p["share_bps"] for p in accepted["payees"]]
    before = {wallet: token_balance(w3, token, wallet) for wallet in payees}

    deal.fund()
    state = deal.state()
    assert state["status"] == "funded"
    assert [m["status"] for m in state["milestones"]] == ["funded", "funded"]
    assert token_balance(w3, token, deployment.escrow_address) == REELS + STORY

    deal.act(deal.creator, "deliver", wallets.creator, deliverable=WORK)  # milestone 0
    deal.act(deal.brand, "approve", wallets.brand, milestone=0)
    state = deal.state()
    assert [m["status"] for m in state["milestones"]] == ["released", "funded"]
    assert state["status"] == "funded"  # the story is still due
    fee, amounts = expected_split(REELS, shares)
    assert _paid(state, 0) == dict(zip(payees, amounts, strict=True))
    assert token_balance(w3, token, deployment.escrow_address) == STORY

    deal.act(deal.creator, "deliver", wallets.creator, deliverable=WORK + "/2", milestone=1)
    state = deal.state()
    assert state["status"] == "delivered"
    assert state["milestones"][1]["deliverable_hash"] == "0x" + keccak(text=WORK + "/2").hex()
    deal.act(deal.brand, "approve", wallets.brand, milestone=1)
    state = deal.state()
    assert state["status"] == "released"
    assert [m["status"] for m in state["milestones"]] == ["released", "released"]
    story_fee, story_amounts = expected_split(STORY, shares)
    assert _paid(state, 1) == dict(zip(payees, story_amounts, strict=True))
    for wallet, reels, story in zip(payees, amounts, story_amounts, strict=True):
        assert token_balance(w3, token, wallet) - before[wallet] == reels + story
    fees = [(p["milestone"], int(p["amount"])) for p in state["payouts"] if p["kind"] == "fee"]
    assert fees == [(0, fee), (1, story_fee)]
    assert token_balance(w3, token, deployment.escrow_address) == 0

    events = deal.brand.get("/v1/events", params={"limit": 100}).json()["items"]
    moved = [
        (e["type"], e["data"]["milestone"])
        for e in events
        if e["type"].startswith("collaboration.")
    ]
    assert moved == [
        ("collaboration.funded", None),
        ("collaboration.delivered", 0),
        ("collaboration.approved", 0),
        ("collaboration.released", 0),
        ("collaboration.delivered", 1),
        ("collaboration.approved", 1),
        ("collaboration.released", 1),
    ]
    paid_events = [e["data"]["milestone"] for e in events if e["type"] == "payout.paid"]
    assert paid_events == [0] * len(payees) + [1] * len(payees)


def test_one_milestone_approved_the_other_refunded_after_its_deadline(
    deal_client, chain, wallets
) -> None:
    _, w3, _ = chain
    deal = _milestone_deal(deal_client, chain, wallets, days=(5, 10))
    deal.accept()
    deal.fund()
    deal.act(deal.creator, "deliver", wallets.creator, deliverable=WORK, milestone=0)
    deal.act(deal.brand, "approve", wallets.brand, milestone=0)

    early = deal.brand.get(f"{deal.collaboration_url}/transactions/refund", params={"milestone": 1})
    assert early.status_code == 409, early.text
    assert early.json()["detail"] == "milestone 1's delivery deadline has not passed yet"

    advance(w3, 11 * 24 * 3600)
    late = deal.creator.get(
        f"{deal.collaboration_url}/transactions/deliver",
        params={"milestone": 1, "deliverable": WORK},
    )
    assert late.status_code == 409, late.text
    assert late.json()["detail"] == "milestone 1's delivery deadline has passed"

    brand = address(wallets.brand)
    before = w3.eth.get_balance(brand)
    receipt = deal.act(deal.brand, "refund", wallets.brand, milestone=1)
    assert w3.eth.get_balance(brand) - before == STORY - gas_cost(receipt)
    state = deal.state()
    assert [m["status"] for m in state["milestones"]] == ["released", "refunded"]
    assert state["status"] == "released"  # some work was paid for: see CollaborationPublic
    refunds = [(p["milestone"], p["wallet"], int(p["amount"])) for p in state["payouts"]]
    assert [r for r in refunds if r[1] == brand] == [(1, brand, STORY)]
    assert state["milestones"][1]["transactions"]["refund"] == state["transactions"]["refund"]


def test_milestone_actions_name_their_milestone(deal_client, chain, wallets) -> None:
    deal = _milestone_deal(deal_client, chain, wallets)
    deal.accept()
    url = f"{deal.collaboration_url}/transactions"
    drafted = deal.brand.get(f"{url}/approve", params={"milestone": 1})
    assert drafted.status_code == 409
    assert drafted.json()["detail"] == "milestone 1 is drafted; approve needs it delivered"
    deal.fund()
    missing = deal.brand.get(f"{url}/refund", params={"milestone": 2})
    assert missing.status_code == 422, missing.text
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["errors"] == [{"field": "milestone", "message": "not in 0..1"}]
    deal.act(deal.creator, "deliver", wallets.creator, deliverable=WORK, milestone=1)
    not_delivered = deal.brand.get(f"{url}/approve", params={"milestone": 0})
    assert not_delivered.status_code == 409
    assert not_delivered.json()["detail"] == "milestone 0 is funded; approve needs it delivered"
    assert deal.brand.get(f"{url}/approve", params={"milestone": 1}).status_code == 200
    again = deal.creator.get(f"{url}/deliver", params={"milestone": 1, "deliverable": WORK})
    assert again.status_code == 409
    assert [m["status"] for m in deal.state()["milestones"]] == ["funded", "delivered"]


@pytest.fixture
def offering(client):
    brand = register_brand(client)
    creator = register_creator(client, min_fees=[{"amount": "1", "token": "ETH"}])
    request = post_request(brand)
    return brand, creator, f"/v1/requests/{request['id']}/offers"


AMOUNT = str(REELS + STORY)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"milestones": []},
            "milestones",
            "List should have at least 1 item after validation, not 0",
        ),
        (
            {"milestones": two_milestones() * 9},
            "milestones",
            "List should have at most 16 items after validation, not 18",
        ),
        (
            {"milestones": [{"label": "x", "amount": "0", "deliver_by": future(3)}]},
            "milestones.0.amount",
            "Value error, must be greater than 0 and at most "
            "1000000000000000000000000000000 (10^30)",
        ),
        (
            {"milestones": [{"label": "", "amount": AMOUNT, "deliver_by": future(3)}]},
            "milestones.0.label",
            "String should have at least 1 character",
        ),
        (
            {"milestones": [{"label": "x", "amount": AMOUNT, "deliver_by": future(-1)}]},
            "milestones.0.deliver_by",
            "Value error, must be in the future",
        ),
        (
            {"milestones": two_milestones(days=(20, 10))},
            "milestones.1.deliver_by",
            "before the previous milestone's",
        ),
        (
            {"milestones": two_milestones(days=(10, 400))},
            "milestones.1.deliver_by",
            "more than a year away",
        ),
        (
            {"milestones": two_milestones(REELS, STORY + 1)},
            "milestones",
            f"amounts sum to {REELS + STORY + 1}, not {REELS + STORY}",
        ),
        (
            {"milestones": two_milestones(), "deliver_by": future(15)},
            "deliver_by",
            "not the last milestone's deliver_by",
        ),
        ({"deliver_by": None}, "deliver_by", "required without milestones"),
    ],
)
def test_bad_milestones_are_a_problem_and_make_no_offer(offering, changes, field, message):
    brand, creator, url = offering
    response = brand.post(url, json=offer_body(creator.id, amount=AMOUNT) | changes)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"] == [{"field": field, "message": message}]
    assert brand.get("/v1/offers").json()["items"] == []


def test_a_counter_changes_the_milestones_or_keeps_them_whole(offering) -> None:
    brand, creator, url = offering
    body = offer_body(creator.id, amount=AMOUNT, deliver_by=None, milestones=two_milestones())
    offer = brand.post(url, json=body).json()
    counter = f"/v1/offers/{offer['id']}/counter"
    # A new amount alone no longer fits the milestones: the creator must say how it splits.
    bare = creator.post(counter, json={"amount": str(REELS + STORY + 10)})
    assert bare.status_code == 422, bare.text
    assert bare.json()["errors"] == [
        {
            "field": "milestones",
            "message": f"amounts sum to {REELS + STORY}, not {REELS + STORY + 10}",
        }
    ]
    split = two_milestones(REELS + 10, STORY)
    countered = creator.post(counter, json={"amount": str(REELS + STORY + 10), "milestones": split})
    assert countered.status_code == 201, countered.text[:300]
    version = countered.json()["versions"][-1]
    assert [m["amount"] for m in version["milestones"]] == [str(REELS + 10), str(STORY)]
    assert countered.json()["milestones"] == version["milestones"]
    assert [m["amount"] for m in countered.json()["versions"][0]["milestones"]] == [
        str(REELS),
        str(STORY),
    ]


def test_an_offer_without_milestones_is_one_milestone(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    assert [(m["label"], m["amount"]) for m in deal.offer["milestones"]] == [(None, str(10**17))]
    assert deal.offer["milestones"][0]["deliver_by"] == deal.offer["deliver_by"]
    deal.accept()
    deal.fund()
    deal.deliver()  # no milestone given: milestone 0, as before milestones
    send(w3, deal.transaction(deal.brand, "approve")["transaction"], wallets.brand)
    index(deal_client)
    state = deal.state()
    assert state["status"] == "released"
    assert [m["status"] for m in state["milestones"]] == ["released"]
    assert {p["milestone"] for p in state["payouts"]} == {0}


def test_a_reorg_takes_back_one_milestone_and_leaves_the_other(deal_client, chain, wallets):
    """Milestone 0 paid, then milestone 1 approved in blocks a reorg replaces: milestone 1 is
    delivered again (its approval and payouts gone), milestone 0 stays paid, and approving on
    the new chain pays milestone 1 exactly once."""
    _, w3, _ = chain
    deal = _milestone_deal(deal_client, chain, wallets)
    deal.accept()
    deal.fund()
    deal.act(deal.creator, "deliver", wallets.creator, deliverable=WORK, milestone=0)
    deal.act(deal.brand, "approve", wallets.brand, milestone=0)
    deal.act(deal.creator, "deliver", wallets.creator, deliverable=WORK, milestone=1)
    delivered = deal.state()
    fork = snapshot(w3)
    deal.act(deal.brand, "approve", wallets.brand, milestone=1)
    assert deal.state()["status"] == "released"

    reorg_to(w3, fork)
    index(deal_client)

    state = deal.state()
    assert state["status"] == "delivered"
    assert state["milestones"] == delivered["milestones"]
    assert {p["milestone"] for p in state["payouts"]} == {0}

    deal.act(deal.brand, "approve", wallets.brand, milestone=1)
    state = deal.state()
    assert [m["status"] for m in state["milestones"]] == ["released", "released"]
    shares = [p["share_bps"] for p in state["payees"]]
    _, amounts = expected_split(STORY, shares)
    payees = [p["wallet"] for p in state["payees"]]
    assert _paid(state, 1) == dict(zip(payees, amounts, strict=True))


def test_the_collaboration_page_lists_the_milestones(deal_client, chain, wallets) -> None:
    from tests.api.test_web_sessions import _signed_in

    deal = _milestone_deal(deal_client, chain, wallets)
    deal.accept()
    assert _signed_in(deal_client, wallets.brand).status_code == 200
    page = deal_client.get(f"/collaborations/{deal.collaboration['id']}")
    assert page.status_code == 200, page.text[:300]
    table = page.text.split('<table id="milestones">', 1)[1].split("</table>", 1)[0]
    assert [row.split("</td>")[1].removeprefix("<td>") for row in table.split("<tr>")[2:]] == [
        "2 reels",
        "1 story",
    ]


def test_a_deal_funded_with_other_milestones_than_recorded_is_not_applied(
    deal_client, chain, wallets
) -> None:
    from sqlmodel import Session

    from api.collaborations.models import Collaboration
    from tests.api.test_indexer import _events

    engine = deal_client.app.state.engine
    deal = _milestone_deal(deal_client, chain, wallets)
    deal.accept()
    with Session(engine) as session:  # a collaboration that recorded one milestone only
        row = session.get(Collaboration, deal.collaboration["id"])
        row.milestones = row.milestones[:1]
        session.add(row)
        session.commit()
    deal.fund()  # the signed terms: two milestones
    assert deal.state()["status"] == "drafted"
    assert _events(engine, deal.collaboration["deal_id"]) == [
        ("DealCreated", False, "2 milestones, the collaboration has 1")
    ]
