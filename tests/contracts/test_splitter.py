"""SplitterFactory + RevenueSplitter clones: addresses, distribution, push-or-credit, guards."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from contracts import bindings, errors
from contracts.bindings import SplitterContract, send
from tests.contracts.env import ONE_ETH, ONE_USD, Env, event_names

SHARES = (7000, 1000, 1000, 1000)


def _canonical(payees, shares=SHARES) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The factory's order: pairs sorted by ascending address (payee 0 gets the dust)."""
    pairs = sorted(zip(payees, shares, strict=True), key=lambda pair: int(pair[0], 16))
    return tuple(p for p, _ in pairs), tuple(s for _, s in pairs)


def _create(env: Env, payees: tuple[str, ...], shares: tuple[int, ...] = SHARES):
    predicted = env.factory.predict(payees, shares)
    receipt = send(env.w3, env.factory.build_create_splitter(payees, shares), env.stranger.key)
    return SplitterContract(env.w3, predicted), receipt


def _pay_eth(env: Env, to: str, amount: int) -> Any:
    tx = {"to": to, "data": "0x", "value": amount, "chainId": env.chain_id}
    return send(env.w3, tx, env.other.key)


def test_same_payee_set_same_address_predicted_before_creation(env: Env) -> None:
    payees = env.payees
    predicted = env.factory.predict(payees, SHARES)
    assert env.w3.eth.get_code(predicted) == b""
    splitter, receipt = _create(env, payees)
    assert splitter.address == predicted
    assert env.w3.eth.get_code(predicted) != b""
    [created] = bindings.events_in_receipt(receipt, "SplitterFactory")
    assert created.name == "SplitterCreated"
    sorted_payees, sorted_shares = _canonical(payees)
    assert created.args == {
        "splitter": predicted,
        "payees": list(sorted_payees),
        "shares": list(sorted_shares),
    }
    assert splitter.payees() == (list(sorted_payees), list(sorted_shares))

    again = send(env.w3, env.factory.build_create_splitter(payees, SHARES), env.other.key)
    assert bindings.events_in_receipt(again, "SplitterFactory") == []  # already there
    # The same set in another order is the same splitter; other shares are another set.
    reordered = (payees[1], payees[0], payees[2], payees[3])
    assert env.factory.predict(reordered, (1000, 7000, 1000, 1000)) == predicted
    assert env.factory.predict(reordered, SHARES) != predicted
    assert env.factory.predict(payees, (6000, 2000, 1000, 1000)) != predicted


@pytest.mark.parametrize(
    ("payees", "shares", "error"),
    [
        ((), (), "InvalidPayeeCount"),
        (tuple(f"0x{i:040x}" for i in range(1, 18)), (588,) * 16 + (592,), "InvalidPayeeCount"),
        (("0x" + "0" * 40, "0x" + "0" * 39 + "1"), (5000, 5000), "ZeroPayee"),
        (("0x" + "0" * 39 + "1", "0x" + "0" * 39 + "2"), (5000,), "ShareCountMismatch"),
        (("0x" + "0" * 39 + "1", "0x" + "0" * 39 + "2"), (10_000, 0), "ZeroShare"),
        (("0x" + "0" * 39 + "1", "0x" + "0" * 39 + "2"), (5000, 4999), "SharesDoNotSum"),
        (("0x" + "0" * 39 + "1", "0x" + "0" * 39 + "1"), (5000, 5000), "DuplicatePayee"),
    ],
    ids=["empty", "17-payees", "zero-address", "share-count", "zero-share", "sum", "duplicate"],
)
def test_invalid_payee_sets_are_rejected(env: Env, payees, shares, error: str) -> None:
    with pytest.raises(errors.error_class(error)):
        env.factory.predict(payees, shares)
    with pytest.raises(errors.error_class(error)):
        send(env.w3, env.factory.build_create_splitter(payees, shares), env.stranger.key)


def test_distribute_eth_pays_every_payee_by_share_with_dust_to_payee_zero(env: Env) -> None:
    splitter, _ = _create(env, env.payees, (5001, 3333, 1333, 333))
    amount = ONE_ETH + 7
    _pay_eth(env, splitter.address, amount)
    before = {p: env.eth_balance(p) for p in env.payees}

    receipt = send(env.w3, splitter.build_distribute("ETH"), env.stranger.key)

    payees, shares = _canonical(env.payees, (5001, 3333, 1333, 333))
    others = [amount * share // 10_000 for share in shares[1:]]
    expected = [amount - sum(others), *others]
    for payee, value in zip(payees, expected, strict=True):
        assert env.eth_balance(payee) - before[payee] == value
    assert env.eth_balance(splitter.address) == 0
    names = event_names(receipt, "RevenueSplitter")
    assert names == ["PayoutPaid"] * 4
    with pytest.raises(errors.NothingToDistribute):
        send(env.w3, splitter.build_distribute("ETH"), env.stranger.key)


def test_distribute_erc20(env: Env) -> None:
    splitter, _ = _create(env, env.payees)
    amount = 1_000 * ONE_USD + 3
    send(env.w3, env.stablecoin.build_mint(splitter.address, amount), env.other.key)
    before = {p: env.stablecoin.balance_of(p) for p in env.payees}
    send(env.w3, splitter.build_distribute(env.stablecoin.address), env.stranger.key)
    payees, shares = _canonical(env.payees)
    others = [amount * share // 10_000 for share in shares[1:]]
    expected = [amount - sum(others), *others]
    for payee, value in zip(payees, expected, strict=True):
        assert env.stablecoin.balance_of(payee) - before[payee] == value
    assert env.stablecoin.balance_of(splitter.address) == 0


def test_a_payee_that_cannot_receive_is_credited_and_not_split_again(env: Env) -> None:
    refusing = env.deploy_test("RevertingPayee")
    payees = (env.creator.address, refusing.address, env.designer2.address, env.charity.address)
    splitter, _ = _create(env, payees)
    _pay_eth(env, splitter.address, ONE_ETH)
    send(env.w3, splitter.build_distribute("ETH"), env.stranger.key)
    credit = ONE_ETH * 1000 // 10_000
    assert splitter.credit_of(refusing.address, "ETH") == credit
    assert splitter.total_credited("ETH") == credit
    assert env.eth_balance(splitter.address) == credit
    with pytest.raises(errors.NothingToDistribute):  # the credit is not up for grabs
        send(env.w3, splitter.build_distribute("ETH"), env.stranger.key)

    _pay_eth(env, splitter.address, 10_000)
    send(env.w3, splitter.build_distribute("ETH"), env.stranger.key)
    assert splitter.credit_of(refusing.address, "ETH") == credit + 1_000

    accept = {
        "to": refusing.address,
        "data": refusing.encode_abi("setAccepting", args=[True]),
        "value": 0,
        "chainId": env.chain_id,
    }
    send(env.w3, accept, env.stranger.key)
    withdraw = splitter.build_withdraw("ETH")["data"]
    call = refusing.encode_abi("execute", args=[splitter.address, bytes.fromhex(withdraw[2:])])
    send(env.w3, {**accept, "data": call}, env.stranger.key)
    assert env.eth_balance(refusing.address) == credit + 1_000
    assert splitter.total_credited("ETH") == 0
    assert env.eth_balance(splitter.address) == 0
    with pytest.raises(errors.NothingToWithdraw):
        send(env.w3, splitter.build_withdraw("ETH"), env.creator.key)


def test_a_blocklisted_payee_withdraws_to_another_address(env: Env) -> None:
    token = env.blocklist_token
    splitter, _ = _create(env, env.payees)
    send(env.w3, token.build_mint(splitter.address, 10_000), env.other.key)
    send(env.w3, token.build_set_blocked(env.charity.address, True), env.owner.key)
    send(env.w3, splitter.build_distribute(token.address), env.stranger.key)
    assert splitter.credit_of(env.charity.address, token.address) == 1_000
    assert token.balance_of(env.creator.address) == 7_000
    send(env.w3, splitter.build_withdraw_to(token.address, env.other.address), env.charity.key)
    assert token.balance_of(env.other.address) == 1_000


def test_reentrant_payee_cannot_distribute_twice(env: Env) -> None:
    attacker = env.deploy_test("ReentrantPayee")
    payees = (env.creator.address, attacker.address)
    splitter, _ = _create(env, payees, (5000, 5000))
    distribute = splitter.build_distribute("ETH")["data"]
    arm = {
        "to": attacker.address,
        "data": attacker.encode_abi("arm", args=[splitter.address, bytes.fromhex(distribute[2:])]),
        "value": 0,
        "chainId": env.chain_id,
    }
    send(env.w3, arm, env.stranger.key)
    _pay_eth(env, splitter.address, 1_000)
    receipt = send(env.w3, splitter.build_distribute("ETH"), env.stranger.key)
    [attempt] = bindings.events_in_receipt(receipt, "ReentrantPayee")
    assert attempt.args["success"] is False
    assert attempt.args["returnData"] == "0x3ee5aeb5"  # ReentrancyGuardReentrantCall()
    assert env.eth_balance(attacker.address) == 500


def test_a_starved_push_never_credits(env: Env) -> None:
    """A caller that sends too little gas cannot push a payee onto the credit path."""
    griefer = env.deploy_test("GasGriefPayee")
    payees = (griefer.address, env.designer1.address)
    splitter, _ = _create(env, payees, (5000, 5000))
    _pay_eth(env, splitter.address, 1_000)
    tx = splitter.build_distribute("ETH")
    needed = bindings.estimate_gas(env.w3, tx, env.stranger.address)
    outcomes = set()
    for shortfall in range(4_000, 84_000, 4_000):
        with pytest.raises(errors.ContractRevert) as raised:
            send(env.w3, tx, env.stranger.key, gas=needed - shortfall)
        outcomes.add(raised.value.name)
        assert splitter.credit_of(griefer.address, "ETH") == 0
    assert "InsufficientGasForPayout" in outcomes
    send(env.w3, tx, env.stranger.key)
    assert splitter.credit_of(griefer.address, "ETH") == 500


def test_the_implementation_cannot_be_used_directly(env: Env) -> None:
    implementation = SplitterContract(env.w3, env.factory.implementation())
    with pytest.raises(errors.NotAClone):
        send(env.w3, implementation.build_distribute("ETH"), env.stranger.key)
    with pytest.raises(errors.NotAClone):
        implementation.payees()


def test_fresh_payees_receive_exact_amounts(env: Env) -> None:
    fresh = tuple(sorted((Account.create().address for _ in range(4)), key=lambda a: int(a, 16)))
    splitter, _ = _create(env, fresh, (2500, 2500, 2500, 2500))
    _pay_eth(env, splitter.address, 4 * 10**15 + 3)
    send(env.w3, splitter.build_distribute("ETH"), env.stranger.key)
    assert [env.eth_balance(p) for p in fresh] == [10**15 + 3, 10**15, 10**15, 10**15]
