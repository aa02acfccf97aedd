"""The indexer against a real escrow on anvil: events checked against their collaboration,
reorgs rolled back and re-applied, confirmation depth by chain."""

from __future__ import annotations

import dataclasses
import os

import pytest
from sqlmodel import Session, select

from api.chain.indexer import BLOCK_WINDOW, Indexer, confirmation_depth
from api.chain.models import ChainEvent, IndexerBlock
from api.collaborations.models import Collaboration
from api.collaborations.service import DISPUTE_RULE_PAYEE_BPS, DISPUTE_TIMEOUT_SECONDS
from api.core.settings import Settings
from api.creators.models import Creator
from api.payouts.models import Payout
from contracts import bindings
from tests.api.deals import address, expected_split, index, make_deal, send
from tests.contracts.env import mine, reorg_to, snapshot

AMOUNT = 10**18


def _row(engine, collaboration_id: str) -> Collaboration:
    with Session(engine) as session:
        return session.get(Collaboration, collaboration_id)


def _completed_deals(engine, creator_id: str) -> int:
    with Session(engine) as session:
        return session.get(Creator, creator_id).completed_deals


def _events(engine, deal_id: str) -> list[tuple[str, bool, str | None]]:
    with Session(engine) as session:
        rows = session.exec(
            select(ChainEvent)
            .where(ChainEvent.deal_id == deal_id)
            .order_by(ChainEvent.block_number, ChainEvent.log_index)
        ).all()
        return [(row.name, row.applied, row.note) for row in rows]


def _payouts(engine) -> list[tuple[str, str, int]]:
    with Session(engine) as session:
        rows = session.exec(select(Payout).order_by(Payout.block_number, Payout.log_index)).all()
        return [(row.kind, row.wallet, int(row.amount)) for row in rows]


def _terms(**values) -> bindings.DealTerms:
    """Deal terms under either escrow: a random `dealId` today, a random `salt` once each deal's
    id is the hash of its terms."""
    names = {f.name for f in dataclasses.fields(bindings.DealTerms)}
    id_field = "salt" if "salt" in names else "deal_id"
    return bindings.DealTerms(**{id_field: os.urandom(32)}, **values)


def _real_deal_with_other_terms(w3, escrow_address: str, key: str, collaboration: Collaboration):
    """A genuine escrow deal for 1 wei between the holder of `key` and itself, whose delivery
    and schedule equal the collaboration's: only brand, creator and amount differ."""
    me = address(key)
    now = int(w3.eth.get_block("latest")["timestamp"])
    terms = _terms(
        brand=me,
        creator=me,
        token="ETH",
        amount=1,
        payees=(me,),
        shares_bps=(10_000,),
        milestones=((1, collaboration.deliver_by),),
        platform_fee_bps=collaboration.platform_fee_bps,
        review_period=collaboration.review_period_seconds,
        dispute_timeout=DISPUTE_TIMEOUT_SECONDS,
        dispute_rule_payee_bps=DISPUTE_RULE_PAYEE_BPS,
        terms_hash=collaboration.terms_hash,
        is_virtual=False,
        signature_expiry=now + 3600,
    )
    escrow = bindings.EscrowContract(w3, escrow_address)
    signature = terms.sign(key, w3.eth.chain_id, escrow_address)
    receipt = bindings.send(w3, escrow.build_create_deal(terms, signature), key)
    (created,) = [e for e in bindings.events_in_receipt(receipt) if e.name == "DealCreated"]
    bindings.send(w3, escrow.build_mark_delivered(terms.deal_id, b"\x07" * 32), key)
    bindings.send(w3, escrow.build_approve_delivery(terms), key)
    return created.args["dealId"]


def test_an_event_that_does_not_fit_its_collaboration_is_recorded_not_applied(
    deal_client, chain, wallets
) -> None:
    """Finding 1 at the indexer: a real deal whose terms are not the collaboration's (the
    squatter's 1-wei deal naming itself as creator) reaches a collaboration by its deal id."""
    _, w3, deployment = chain
    engine = deal_client.app.state.engine
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    deal.accept()
    collaboration = _row(engine, deal.collaboration["id"])

    deal_id = _real_deal_with_other_terms(
        w3, deployment.escrow_address, wallets.stranger, collaboration
    )
    with Session(engine) as session:  # the squatter's deal now answers to this collaboration
        row = session.get(Collaboration, collaboration.id)
        row.deal_id = deal_id
        session.add(row)
        session.commit()
    index(deal_client)

    state = deal.state()
    assert state["status"] == "drafted"
    assert state["transactions"] == {}
    assert state["payouts"] == []
    assert _completed_deals(engine, deal.creator.id) == 0
    not_ours = "the deal on chain under this id is not the collaboration's"
    assert _events(engine, deal_id) == [
        ("DealCreated", False, "terms differ from the collaboration's: brand, creator, amount"),
        ("Delivered", False, "Delivered cannot follow milestone 0's status drafted"),
        ("Approved", False, "Approved cannot follow milestone 0's status drafted"),
        ("PayoutPaid", False, not_ours),  # the fee on 1 wei rounds to nothing: no FeePaid
    ]
    assert _payouts(engine) == []


def test_an_event_from_another_escrow_is_recorded_not_applied(deal_client, chain, wallets):
    _, w3, deployment = chain
    engine = deal_client.app.state.engine
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    deal.accept()
    elsewhere = address(wallets.deployer)
    with Session(engine) as session:
        row = session.get(Collaboration, deal.collaboration["id"])
        row.escrow_address = elsewhere
        session.add(row)
        session.commit()
    deal.fund()

    assert deal.state()["status"] == "drafted"
    assert _events(engine, deal.collaboration["deal_id"]) == [
        (
            "DealCreated",
            False,
            f"from escrow {deployment.escrow_address}, the collaboration's is {elsewhere}",
        )
    ]


@pytest.mark.parametrize("fork_before", ["approve", "deliver"])
def test_a_reorg_rolls_back_what_orphaned_blocks_applied(
    deal_client, chain, wallets, fork_before
) -> None:
    """Finding 8: released on a chain that a reorg replaces -> the API follows the new chain,
    the orphaned payouts are gone, and releasing on the new chain pays exactly once."""
    _, w3, _ = chain
    engine = deal_client.app.state.engine
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    deal.accept()
    deal.fund()
    if fork_before == "deliver":
        fork = snapshot(w3)
    deal.deliver()
    delivered = deal.state()
    if fork_before == "approve":
        fork = snapshot(w3)
    deal.act(deal.brand, "approve", wallets.brand)
    released = deal.state()
    assert released["status"] == "released"
    assert _completed_deals(engine, deal.creator.id) == 1

    reorg_to(w3, fork)
    index(deal_client)

    state = deal.state()
    assert state["payouts"] == []
    assert _payouts(engine) == []
    assert _completed_deals(engine, deal.creator.id) == 0
    names = [name for name, _, _ in _events(engine, deal.collaboration["deal_id"])]
    if fork_before == "approve":
        assert state["status"] == "delivered"
        assert state["deliverable_hash"] == delivered["deliverable_hash"]
        assert state["delivered_at"] == delivered["delivered_at"]
        assert set(state["transactions"]) == {"fund", "deliver"}
        assert names == ["DealCreated", "Delivered"]
    else:
        assert state["status"] == "funded"
        assert state["deliverable_hash"] is None
        assert state["delivered_at"] is None
        assert set(state["transactions"]) == {"fund"}
        assert names == ["DealCreated"]
        deal.deliver()

    deal.act(deal.brand, "approve", wallets.brand)
    state = deal.state()
    assert state["status"] == "released"
    assert _completed_deals(engine, deal.creator.id) == 1
    shares = [p["share_bps"] for p in state["payees"]]
    fee, amounts = expected_split(AMOUNT, shares)
    paid = sorted((p["wallet"], int(p["amount"])) for p in state["payouts"] if p["kind"] == "paid")
    assert paid == sorted(zip([p["wallet"] for p in state["payees"]], amounts, strict=True))
    assert [int(p["amount"]) for p in state["payouts"] if p["kind"] == "fee"] == [fee]


def test_the_same_transaction_mined_again_in_a_new_block_is_applied_once(
    deal_client, chain, wallets
) -> None:
    """anvil_reorg replaces the release block by one where another transaction's log comes
    first: the release has the same tx hash but other log indexes. It must be applied once, not
    once per block it was ever mined in."""
    _, w3, deployment = chain
    engine = deal_client.app.state.engine
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    deal.accept()
    deal.fund()
    deal.deliver()
    deal.act(deal.brand, "approve", wallets.brand)
    shares = [p["share_bps"] for p in deal.state()["payees"]]
    before = _payouts(engine)
    assert len(before) == len(shares) + 1  # each payee and the fee
    tx_hash = deal.state()["transactions"]["approve"]
    raw = "0x" + bytes(w3.eth.get_raw_transaction(tx_hash)).hex()
    old = w3.eth.get_transaction_receipt(tx_hash)
    mint = bindings.Erc20(w3, deployment.stablecoin_address).build_mint(
        address(wallets.stranger), 5
    )
    first = {"from": address(wallets.stranger), "to": mint["to"], "data": mint["data"]}

    w3.provider.make_request("anvil_reorg", [1, [[first, 0], [raw, 0]]])
    new = w3.eth.get_transaction_receipt(tx_hash)
    assert new["blockHash"] != old["blockHash"]
    assert new["logs"][0]["logIndex"] != old["logs"][0]["logIndex"]
    index(deal_client)

    assert deal.state()["status"] == "released"
    assert sorted(_payouts(engine)) == sorted(before)
    assert _completed_deals(engine, deal.creator.id) == 1
    with Session(engine) as session:  # what is stored is the release as the chain has it now
        stored = session.exec(
            select(ChainEvent.log_index).where(ChainEvent.tx_hash == tx_hash)
        ).all()
    assert sorted(stored) == [int(log["logIndex"]) for log in new["logs"]]


def test_two_indexers_at_once_through_a_reorg_double_nothing(deal_client, chain, wallets):
    """Two indexer threads meet a reorg and the new chain's release at the same moment."""
    import threading

    _, w3, _ = chain
    state = deal_client.app.state
    engine = state.engine
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    deal.accept()
    deal.fund()
    deal.deliver()
    fork = snapshot(w3)
    approve = deal.transaction(deal.brand, "approve")["transaction"]
    deal.act(deal.brand, "approve", wallets.brand)
    reorg_to(w3, fork)
    send(w3, approve, wallets.brand)  # the API, still on the old chain, says it is released

    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def run() -> None:
        worker = Indexer(
            engine=engine, chain=state.chain, start_block=state.settings.indexer_start_block
        )
        start.wait()
        try:
            worker.catch_up()
        except BaseException as exc:  # noqa: BLE001 - a thread's failure, reported below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    index(deal_client)  # whoever lost the lock: the work is done

    result = deal.state()
    assert result["status"] == "released"
    assert _completed_deals(engine, deal.creator.id) == 1
    fee, amounts = expected_split(AMOUNT, [p["share_bps"] for p in result["payees"]])
    assert sorted(amount for kind, _, amount in _payouts(engine) if kind == "paid") == sorted(
        amounts
    )
    assert [amount for kind, _, amount in _payouts(engine) if kind == "fee"] == [fee]
    names = [name for name, _, _ in _events(engine, deal.collaboration["deal_id"])]
    assert names.count("Approved") == 1


def test_a_step_that_fails_after_a_reorg_keeps_everything_as_it_was(
    deal_client, chain, wallets, monkeypatch
) -> None:
    """The rollback and the re-scan are one transaction: a failure between them keeps both out."""
    _, w3, _ = chain
    engine = deal_client.app.state.engine
    deal = make_deal(deal_client, w3, wallets, amount=AMOUNT)
    deal.accept()
    deal.fund()
    deal.deliver()
    fork = snapshot(w3)
    deal.act(deal.brand, "approve", wallets.brand)
    payouts = _payouts(engine)
    reorg_to(w3, fork)

    def node_fails(*_args, **_kwargs):
        raise ConnectionError("node went away")

    monkeypatch.setattr(bindings, "fetch_events", node_fails)
    with pytest.raises(Exception, match="did not answer"):
        index(deal_client)
    assert deal.state()["status"] == "released"
    assert _payouts(engine) == payouts

    monkeypatch.undo()
    index(deal_client)
    assert deal.state()["status"] == "delivered"
    assert _payouts(engine) == []


def test_block_hashes_are_kept_for_the_recent_window_only(deal_client, chain) -> None:
    _, w3, _ = chain
    engine = deal_client.app.state.engine
    index(deal_client)
    for _ in range(BLOCK_WINDOW + 5):
        mine(w3)
    index(deal_client)
    head = w3.eth.block_number
    with Session(engine) as session:
        numbers = session.exec(select(IndexerBlock.number).order_by(IndexerBlock.number)).all()
        newest = session.exec(select(IndexerBlock).where(IndexerBlock.number == head)).one()
    assert numbers == list(range(head - BLOCK_WINDOW + 1, head + 1))
    assert newest.hash == "0x" + bytes(w3.eth.get_block(head)["hash"]).hex()


def test_catching_up_from_far_behind_reads_one_header_per_batch(deal_client, chain) -> None:
    _, w3, _ = chain
    state = deal_client.app.state
    w3.provider.make_request("anvil_mine", [hex(1_000)])
    worker = Indexer(
        engine=state.engine,
        chain=state.chain,
        start_block=state.settings.indexer_start_block,
        batch_blocks=100,
    )
    headers = []
    read = worker._header
    worker._header = lambda number: headers.append(number) or read(number)
    worker.catch_up()

    head = w3.eth.block_number
    batches = -(-(head + 1 - state.settings.indexer_start_block) // 100)
    window = set(range(head - BLOCK_WINDOW + 1, head + 1))
    assert window <= set(headers)
    # per batch: the last block scanned before is still there; the new last block before and
    # after its logs are read
    assert len([n for n in headers if n not in window]) <= 3 * batches


@pytest.mark.parametrize(
    ("configured", "chain_id", "depth"),
    [(None, 31337, 0), (None, 11155111, 12), (None, 1, 12), (3, 31337, 3), (0, 1, 0)],
)
def test_confirmation_depth_defaults_by_chain(configured, chain_id, depth) -> None:
    assert confirmation_depth(configured, chain_id) == depth


def test_confirmations_unset_means_the_chain_default(deal_client) -> None:
    state = deal_client.app.state
    assert Settings(_env_file=None).confirmations is None
    indexer = Indexer(engine=state.engine, chain=state.chain, confirmations=None)
    assert indexer.depth == 0  # anvil
    indexer._chain_id = 11155111  # as if the node were Sepolia
    assert indexer.depth == 12
