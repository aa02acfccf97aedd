"""A dispute always ends: the arbiter resolves it, or 30 days after it anyone applies the default
rule (an even split, paid as ``resolve`` pays).

Issue 10, finding 15: a dispute the arbiter never resolved locked the deal's money forever.
"""

from __future__ import annotations

import pytest

from contracts import bindings, errors
from contracts.bindings import DealStatus, send
from tests.contracts.env import DAY, ONE_ETH, Env, advance

FEE_BPS = 250


def _disputed(env: Env, **overrides) -> tuple[bindings.DealTerms, int]:
    """A disputed deal (3 ETH + 1 wei unless told) and the time of its dispute."""
    terms = env.terms(**{"amount": 3 * ONE_ETH + 1, "platform_fee_bps": FEE_BPS, **overrides})
    env.create(terms)
    env.deliver(terms)
    receipt = send(env.w3, env.escrow.build_dispute(terms), env.brand.key)
    disputed_at = int(env.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    return terms, disputed_at


def _next_block_at(env: Env, timestamp: int) -> None:
    env.w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def test_the_dispute_time_is_recorded(env: Env) -> None:
    terms, disputed_at = _disputed(env)
    state = env.escrow.deal_state(terms.deal_id)
    assert state.status is DealStatus.DISPUTED
    assert state.disputed_at == disputed_at
    assert (
        state.stale_dispute_after
        == disputed_at + 30 * DAY
        == disputed_at + (bindings.DISPUTE_TIMEOUT)
    )
    assert env.escrow.contract.functions.DISPUTE_TIMEOUT().call() == 30 * DAY


def test_settling_before_the_timeout_reverts_and_anyone_settles_at_it(env: Env) -> None:
    terms, disputed_at = _disputed(env)
    ends_at = disputed_at + 30 * DAY
    settle = env.escrow.build_settle_stale_dispute(terms)

    _next_block_at(env, ends_at - 1)
    with pytest.raises(errors.DisputeTimeoutNotOver) as raised:
        send(env.w3, settle, env.stranger.key, gas=500_000)  # mined, at exactly ends_at - 1
    assert raised.value.named_args == {"endsAt": ends_at}
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.DISPUTED

    watched = (*terms.payees, env.treasury.address, env.brand.address)
    before = {account: env.eth_balance(account) for account in watched}
    _next_block_at(env, ends_at)
    receipt = send(env.w3, settle, env.stranger.key, gas=500_000)

    amount = terms.amount
    awarded = amount // 2
    fee = awarded * FEE_BPS // 10_000
    to_payees = awarded - fee
    others = [to_payees * share // 10_000 for share in terms.shares_bps[1:]]
    payouts = [to_payees - sum(others), *others]
    for payee, expected in zip(terms.payees, payouts, strict=True):
        assert env.eth_balance(payee) - before[payee] == expected
    assert env.eth_balance(env.treasury.address) - before[env.treasury.address] == fee
    assert env.eth_balance(env.brand.address) - before[env.brand.address] == amount - awarded
    assert sum(payouts) + fee + (amount - awarded) == amount
    assert terms.resolution(5_000) == (fee, payouts, amount - awarded)

    events = bindings.events_in_receipt(receipt)
    names = [event.name for event in events]
    assert names == ["DisputeTimedOut", "Resolved", "FeePaid"] + ["PayoutPaid"] * 4 + ["RefundPaid"]
    deal_id = "0x" + terms.deal_id.hex()
    assert events[0].args == {"dealId": deal_id, "by": env.stranger.address}
    assert events[1].args == {
        "dealId": deal_id,
        "payeeShareBps": 5_000,
        "toPayees": to_payees,
        "toBrand": amount - awarded,
        "feeAmount": fee,
    }
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.RESOLVED

    with pytest.raises(errors.WrongStatus):  # settled once; the arbiter comes too late
        send(env.w3, settle, env.stranger.key)
    with pytest.raises(errors.WrongStatus):
        send(env.w3, env.escrow.build_resolve(terms, 10_000), env.arbiter.key)


def test_the_arbiter_still_resolves_before_the_timeout(env: Env) -> None:
    terms, _ = _disputed(env)
    advance(env.w3, 29 * DAY)
    with pytest.raises(errors.DisputeTimeoutNotOver):
        send(env.w3, env.escrow.build_settle_stale_dispute(terms), env.creator.key)
    brand_before = env.eth_balance(env.brand.address)

    send(env.w3, env.escrow.build_resolve(terms, 0), env.arbiter.key)  # all back to the brand

    assert env.eth_balance(env.brand.address) - brand_before == terms.amount
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.RESOLVED
    advance(env.w3, 2 * DAY)
    with pytest.raises(errors.WrongStatus):
        send(env.w3, env.escrow.build_settle_stale_dispute(terms), env.creator.key)


def test_the_arbiter_may_resolve_after_the_timeout_if_nobody_settled(env: Env) -> None:
    terms, _ = _disputed(env)
    advance(env.w3, 31 * DAY)
    send(env.w3, env.escrow.build_resolve(terms, 10_000), env.arbiter.key)
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.RESOLVED


def test_settle_needs_a_disputed_deal(env: Env) -> None:
    terms = env.terms()
    settle = env.escrow.build_settle_stale_dispute(terms)
    with pytest.raises(errors.UnknownDeal):
        send(env.w3, settle, env.stranger.key)
    env.create(terms)
    env.deliver(terms)
    advance(env.w3, 31 * DAY)
    with pytest.raises(errors.WrongStatus) as raised:
        send(env.w3, settle, env.stranger.key)
    assert raised.value.named_args["current"] == DealStatus.DELIVERED
    assert raised.value.named_args["required"] == DealStatus.DISPUTED


def test_a_stale_dispute_in_the_stablecoin_settles_while_paused(env: Env) -> None:
    terms, _ = _disputed(env, token=env.stablecoin.address, amount=1_000_001)
    send(env.w3, env.escrow.build_pause(), env.owner.key)  # pausing stops new deals only
    advance(env.w3, 30 * DAY)
    send(env.w3, env.escrow.build_settle_stale_dispute(terms), env.other.key)
    fee, payouts, to_brand = terms.resolution(5_000)
    for payee, expected in zip(terms.payees, payouts, strict=True):
        assert env.stablecoin.balance_of(payee) == expected
    assert env.stablecoin.balance_of(env.treasury.address) == fee
    assert env.stablecoin.balance_of(env.brand.address) == to_brand
    assert env.stablecoin.balance_of(env.escrow.address) == 0
