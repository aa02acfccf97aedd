"""Hostile payees and tokens: re-entrancy, reverting, gas griefing, blocklists, starved pushes."""

from __future__ import annotations

from typing import Any

import pytest

from contracts import bindings, errors
from contracts.bindings import DealStatus, DealTerms, send
from tests.contracts.env import ONE_ETH, ONE_USD, Env, event_names

REENTRANCY_SELECTOR = "0x3ee5aeb5"  # ReentrancyGuardReentrantCall()


def _call_as(env: Env, contract: Any, target: str, data: str, sender_key: str | None = None):
    """Make a test contract call `target` with `data` (its `execute(address,bytes)`)."""
    tx = {
        "to": contract.address,
        "data": contract.encode_abi("execute", args=[target, bytes.fromhex(data[2:])]),
        "value": 0,
        "chainId": env.chain_id,
    }
    return send(env.w3, tx, sender_key or env.stranger.key)


def _send_to(env: Env, contract: Any, fn: str, *args: Any):
    tx = {
        "to": contract.address,
        "data": contract.encode_abi(fn, args=list(args)),
        "value": 0,
        "chainId": env.chain_id,
    }
    return send(env.w3, tx, env.stranger.key)


def _delivered_with(env: Env, hostile: str, **overrides: Any) -> DealTerms:
    """A delivered deal where designer 1 is the hostile contract."""
    payees = (env.creator.address, hostile, env.designer2.address, env.charity.address)
    terms = env.terms(payees=payees, **overrides)
    env.create(terms)
    env.deliver(terms)
    return terms


@pytest.mark.parametrize("reentry", ["approve", "release", "withdraw"])
def test_reentrancy_through_a_payout_is_refused(env: Env, reentry: str) -> None:
    attacker = env.deploy_test("ReentrantPayee")
    terms = _delivered_with(env, attacker.address)
    attack = {
        "approve": lambda: env.escrow.build_approve_delivery(terms)["data"],
        "release": lambda: env.escrow.build_release(terms)["data"],
        "withdraw": lambda: env.escrow.build_withdraw("ETH")["data"],
    }[reentry]()
    _send_to(env, attacker, "arm", env.escrow.address, bytes.fromhex(attack[2:]))
    before = {payee: env.eth_balance(payee) for payee in terms.payees}

    receipt = send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)

    [attempt] = bindings.events_in_receipt(receipt, "ReentrantPayee")
    assert attempt.args["success"] is False
    assert attempt.args["returnData"] == REENTRANCY_SELECTOR
    for payee, expected in zip(terms.payees, terms.payouts(), strict=True):
        assert env.eth_balance(payee) - before[payee] == expected  # once, and only once
    assert event_names(receipt).count("PayoutPaid") == 4
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.RELEASED


def test_reentrancy_through_withdraw_is_refused(env: Env) -> None:
    attacker = env.deploy_test("ReentrantPayee")
    _send_to(env, attacker, "setRejectPayments", True)
    terms = _delivered_with(env, attacker.address)
    send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)
    credit = env.escrow.credit_of(attacker.address, "ETH")
    assert credit == terms.payouts()[1]

    _send_to(env, attacker, "setRejectPayments", False)
    withdraw = env.escrow.build_withdraw("ETH")["data"]
    _send_to(env, attacker, "arm", env.escrow.address, bytes.fromhex(withdraw[2:]))
    receipt = _call_as(env, attacker, env.escrow.address, withdraw)

    [attempt] = bindings.events_in_receipt(receipt, "ReentrantPayee")
    assert attempt.args["success"] is False
    assert attempt.args["returnData"] == REENTRANCY_SELECTOR
    assert env.eth_balance(attacker.address) == credit
    assert env.escrow.credit_of(attacker.address, "ETH") == 0


def test_a_reverting_payee_is_credited_and_withdraws_later(env: Env) -> None:
    payee = env.deploy_test("RevertingPayee")
    terms = _delivered_with(env, payee.address)
    others = [p for p in terms.payees if p != payee.address]
    before = {p: env.eth_balance(p) for p in others}

    receipt = send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)

    payouts = dict(zip(terms.payees, terms.payouts(), strict=True))
    for other in others:
        assert env.eth_balance(other) - before[other] == payouts[other]
    assert env.eth_balance(payee.address) == 0
    assert env.escrow.credit_of(payee.address, "ETH") == payouts[payee.address]
    credited = [e for e in bindings.events_in_receipt(receipt) if e.name == "PayoutCredited"]
    assert [(e.args["payee"], e.args["amount"]) for e in credited] == [
        (payee.address, payouts[payee.address])
    ]

    withdraw = env.escrow.build_withdraw("ETH")["data"]
    with pytest.raises(errors.error_class("PaymentRefused")):  # still refusing: nothing moves
        _call_as(env, payee, env.escrow.address, withdraw)
    _send_to(env, payee, "setAccepting", True)
    receipt = _call_as(env, payee, env.escrow.address, withdraw)
    assert env.eth_balance(payee.address) == payouts[payee.address]
    [withdrawn] = bindings.events_in_receipt(receipt)
    assert withdrawn.name == "Withdrawn"
    assert withdrawn.args == {
        "account": payee.address,
        "token": bindings.ZERO_ADDRESS,
        "to": payee.address,
        "amount": payouts[payee.address],
    }
    with pytest.raises(errors.NothingToWithdraw):
        _call_as(env, payee, env.escrow.address, withdraw)


def test_a_gas_griefer_burns_only_its_budget_and_is_credited(env: Env) -> None:
    honest = _delivered_with(env, env.designer1.address)
    honest_gas = send(env.w3, env.escrow.build_approve_delivery(honest), env.brand.key)["gasUsed"]

    griefer = env.deploy_test("GasGriefPayee")
    terms = _delivered_with(env, griefer.address)
    receipt = send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)

    # Its cost to the caller is bounded: the push budget, the 2,300 stipend that comes with value,
    # and one new credit slot (22,100), plus a little bookkeeping.
    assert receipt["gasUsed"] <= honest_gas + 30_000 + 2_300 + 22_100 + 1_500
    assert env.escrow.credit_of(griefer.address, "ETH") == terms.payouts()[1]
    # It can never receive ETH itself, so it withdraws to another address.
    other_before = env.eth_balance(env.other.address)
    withdraw_to = env.escrow.build_withdraw_to("ETH", env.other.address)["data"]
    _call_as(env, griefer, env.escrow.address, withdraw_to)
    assert env.eth_balance(env.other.address) - other_before == terms.payouts()[1]


def test_a_starved_push_reverts_instead_of_crediting(env: Env) -> None:
    griefer = env.deploy_test("GasGriefPayee")
    terms = _delivered_with(env, griefer.address)
    tx = env.escrow.build_approve_delivery(terms)
    needed = bindings.estimate_gas(env.w3, tx, env.brand.address)
    with pytest.raises(errors.ContractRevert):
        send(env.w3, tx, env.brand.key, gas=needed - 20_000)
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.DELIVERED
    assert env.escrow.credit_of(griefer.address, "ETH") == 0


def test_a_blocklisted_token_payee_is_credited(env: Env) -> None:
    token = env.blocklist_token
    terms = _delivered_with(env, env.designer1.address, token=token.address, amount=1_000 * ONE_USD)
    send(env.w3, token.build_set_blocked(env.designer1.address, True), env.owner.key)

    receipt = send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)

    payouts = dict(zip(terms.payees, terms.payouts(), strict=True))
    assert event_names(receipt).count("PayoutCredited") == 1
    assert token.balance_of(env.designer1.address) == 0
    for payee in (env.creator.address, env.designer2.address, env.charity.address):
        assert token.balance_of(payee) == payouts[payee]
    credit = env.escrow.credit_of(env.designer1.address, token.address)
    assert credit == payouts[env.designer1.address]
    with pytest.raises(errors.error_class("Blocked")):
        send(env.w3, env.escrow.build_withdraw(token.address), env.designer1.key)
    send(env.w3, env.escrow.build_withdraw_to(token.address, env.other.address), env.designer1.key)
    assert token.balance_of(env.other.address) == credit
    assert env.escrow.credit_of(env.designer1.address, token.address) == 0


def test_a_treasury_that_cannot_receive_is_credited(env: Env) -> None:
    treasury = env.deploy_test("RevertingPayee")
    send(env.w3, env.escrow.build_set_treasury(treasury.address), env.owner.key)
    terms = _delivered_with(env, env.designer1.address, amount=2 * ONE_ETH)
    receipt = send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)
    assert "FeeCredited" in event_names(receipt)
    assert env.escrow.credit_of(treasury.address, "ETH") == terms.fee_amount()
