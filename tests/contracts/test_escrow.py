"""CollabEscrow: every action's success, every revert path, every role's wrong caller."""

from __future__ import annotations

import pytest
from eth_account import Account

from contracts import bindings, errors
from contracts.bindings import ZERO_ADDRESS, DealStatus, Erc20, send
from tests.contracts.env import (
    ONE_ETH,
    ONE_USD,
    Env,
    advance,
    event_names,
    gas_cost,
    resized,
)

# ------------------------------------------------------------------ createDeal


def test_create_deal_eth_holds_the_amount_and_records_the_deal(env: Env) -> None:
    terms = env.terms()
    escrow_before = env.eth_balance(env.escrow.address)
    receipt = env.create(terms)

    assert env.eth_balance(env.escrow.address) - escrow_before == terms.amount
    state = env.escrow.deal_state(terms.deal_id)
    assert state.status is DealStatus.FUNDED
    assert state.delivered_at == 0
    assert state.creator == env.creator.address
    assert state.deadline == terms.deliver_by
    assert env.escrow.deal_id_of(terms) == terms.deal_id == terms.struct_hash()
    [created] = bindings.events_in_receipt(receipt)
    assert created.name == "DealCreated"
    assert created.args == {
        "dealId": "0x" + terms.deal_id.hex(),
        "brand": env.brand.address,
        "creator": env.creator.address,
        "token": ZERO_ADDRESS,
        "amount": terms.amount,
        "milestoneCount": 1,
    }


def test_create_deal_erc20_pulls_exactly_the_amount(env: Env) -> None:
    terms = env.terms(token=env.stablecoin.address, amount=1_234 * ONE_USD + 7)
    env.create(terms)
    assert env.stablecoin.balance_of(env.escrow.address) == terms.amount
    assert env.stablecoin.balance_of(env.brand.address) == 0
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.FUNDED


def test_only_the_named_brand_can_create(env: Env) -> None:
    terms = env.terms()
    with pytest.raises(errors.NotBrand) as raised:
        env.create(terms, sender=env.stranger)
    assert raised.value.named_args == {"caller": env.stranger.address}


def test_a_signature_creates_at_most_one_deal(env: Env) -> None:
    terms = env.terms()
    signature = env.sign(terms)
    env.create(terms, signature)
    with pytest.raises(errors.DealAlreadyExists):
        env.create(terms, signature)


def test_signature_for_another_chain_is_rejected(env: Env) -> None:
    terms = env.terms()
    foreign = terms.sign(env.creator.key, env.chain_id + 1, env.escrow.address)
    with pytest.raises(errors.InvalidSignature):
        env.create(terms, foreign)


def test_signature_for_another_escrow_is_rejected(env: Env) -> None:
    other_escrow = bindings.deploy_escrow(env.w3, env.owner.key)
    terms = env.terms()
    foreign = terms.sign(env.creator.key, env.chain_id, other_escrow)
    with pytest.raises(errors.InvalidSignature):
        env.create(terms, foreign)


def test_signature_by_someone_else_is_rejected(env: Env) -> None:
    terms = env.terms()
    with pytest.raises(errors.InvalidSignature):
        env.create(terms, env.sign(terms, env.brand.key))


@pytest.mark.parametrize(
    "change",
    [
        {"amount": ONE_ETH // 2},
        {"payees": ("creator", "stranger", "designer2", "charity")},
        {"shares_bps": (6000, 2000, 1000, 1000)},
        {"platform_fee_bps": 500},
        {"deliver_by": "+1"},
        {"is_virtual": False},
    ],
    ids=["amount", "payees", "shares", "fee", "deadline", "is_virtual"],
)
def test_terms_altered_after_signing_are_rejected(env: Env, change: dict) -> None:
    terms = env.terms()
    signature = env.sign(terms)
    if "payees" in change:
        change = {"payees": tuple(getattr(env, name).address for name in change["payees"])}
    if change.get("deliver_by") == "+1":
        altered = resized(terms, deliver_by=terms.deliver_by + 1)
    elif "amount" in change:
        altered = resized(terms, amount=change["amount"])
    else:
        altered = terms.with_changes(**change)
    with pytest.raises(errors.InvalidSignature):
        env.create(altered, signature)


def test_expired_signature_is_rejected(env: Env) -> None:
    terms = env.terms()
    terms = terms.with_changes(signature_expiry=env.now() - 1)
    with pytest.raises(errors.SignatureExpired):
        env.create(terms)


def test_erc1271_contract_wallet_creator(env: Env) -> None:
    wallet = env.deploy_test("ERC1271Wallet", env.creator.address)
    payees = (wallet.address, env.designer1.address)
    terms = env.terms(creator=wallet.address, payees=payees, shares_bps=(9000, 1000))
    signature = env.sign(terms, env.creator.key)  # the wallet's owner signs for it
    assert bindings.verify_creator_signature(
        env.w3, terms, signature, escrow_address=env.escrow.address, chain_id=env.chain_id
    )
    env.create(terms, signature)
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.FUNDED

    other = env.terms(creator=wallet.address, payees=payees, shares_bps=(9000, 1000))
    not_the_owner = env.sign(other, env.stranger.key)
    assert not bindings.verify_creator_signature(
        env.w3, other, not_the_owner, escrow_address=env.escrow.address, chain_id=env.chain_id
    )
    with pytest.raises(errors.InvalidSignature):
        env.create(other, not_the_owner)


def test_fee_on_transfer_token_is_rejected(env: Env) -> None:
    terms = env.terms(token=env.fee_token.address, amount=1_000_000)
    with pytest.raises(errors.FeeOnTransferToken) as raised:
        env.create(terms)
    assert raised.value.named_args == {"expected": 1_000_000, "received": 990_000}


def test_eth_value_must_equal_the_amount(env: Env) -> None:
    terms = env.terms()
    tx = env.escrow.build_create_deal(terms, env.sign(terms))
    for wrong in (terms.amount - 1, terms.amount + 1, 0):
        with pytest.raises(errors.WrongValue):
            send(env.w3, {**tx, "value": wrong}, env.brand.key)


def test_erc20_deal_rejects_eth_value(env: Env) -> None:
    terms = env.terms(token=env.stablecoin.address, amount=5 * ONE_USD)
    env.fund_tokens(env.stablecoin, env.brand, terms.amount)
    tx = env.escrow.build_create_deal(terms, env.sign(terms))
    with pytest.raises(errors.WrongValue):
        send(env.w3, {**tx, "value": 1}, env.brand.key)


def test_erc20_deal_without_allowance_reverts(env: Env) -> None:
    terms = env.terms(token=env.stablecoin.address, amount=5 * ONE_USD)
    send(env.w3, env.stablecoin.build_mint(env.brand.address, terms.amount), env.brand.key)
    with pytest.raises(errors.error_class("ERC20InsufficientAllowance")):
        send(env.w3, env.escrow.build_create_deal(terms, env.sign(terms)), env.brand.key)


def _seventeen_payees(env: Env) -> dict:
    payees = (env.creator.address,) + tuple(Account.create().address for _ in range(16))
    return {"payees": payees, "shares_bps": (10_000 - 16 * 100,) + (100,) * 16}


@pytest.mark.parametrize(
    ("make_change", "error"),
    [
        (
            lambda env: {
                "payees": (env.designer1.address, env.creator.address),
                "shares_bps": (5000, 5000),
            },
            "CreatorNotFirstPayee",
        ),
        (lambda _env: {"payees": (), "shares_bps": ()}, "InvalidPayeeCount"),
        (_seventeen_payees, "InvalidPayeeCount"),
        (
            lambda env: {"payees": (env.creator.address, ZERO_ADDRESS), "shares_bps": (5000, 5000)},
            "ZeroPayee",
        ),
        (lambda _env: {"shares_bps": (7000, 1000, 1000)}, "ShareCountMismatch"),
        (lambda _env: {"shares_bps": (7000, 1000, 1000, 999)}, "SharesDoNotSum"),
        (lambda _env: {"shares_bps": (8000, 1000, 1000, 0)}, "ZeroShare"),
        (lambda _env: {"amount": 0, "milestones": ((0, 2**39),)}, "ZeroMilestoneAmount"),
        (lambda env: {"deliver_by": env.now() - 10}, "InvalidMilestoneDeadline"),
        (lambda _env: {"deliver_by": 2**40}, "InvalidMilestoneDeadline"),
        (lambda _env: {"platform_fee_bps": 501}, "FeeAboveCap"),
    ],
    ids=[
        "creator-not-first",
        "no-payees",
        "17-payees",
        "zero-payee",
        "share-count",
        "shares-sum",
        "zero-share",
        "zero-amount",
        "deadline-past",
        "deadline-overflow",
        "fee-above-cap",
    ],
)
def test_invalid_terms_are_rejected(env: Env, make_change, error: str) -> None:
    terms = env.terms(**make_change(env))
    with pytest.raises(errors.error_class(error)):
        env.create(terms)


def test_sixteen_payees_are_accepted_and_paid(env: Env) -> None:
    payees = (env.creator.address,) + tuple(Account.create().address for _ in range(15))
    terms = env.terms(payees=payees, shares_bps=(10_000 - 15 * 600,) + (600,) * 15)
    env.create(terms)
    env.deliver(terms)
    send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)
    expected = terms.payouts()
    for payee, amount in zip(payees[1:], expected[1:], strict=True):
        assert env.eth_balance(payee) == amount  # fresh accounts: exactly their share


# ------------------------------------------------------------------ markDelivered


def test_mark_delivered_by_the_creator(env: Env) -> None:
    terms = env.terms()
    env.create(terms)
    receipt = env.deliver(terms)
    block_time = env.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    state = env.escrow.deal_state(terms.deal_id)
    assert state.status is DealStatus.DELIVERED
    assert state.delivered_at == block_time
    [delivered] = bindings.events_in_receipt(receipt)
    assert delivered.name == "Delivered"
    assert delivered.args["deliverableHash"] == "0x" + "07" * 32
    assert delivered.args["deliveredAt"] == block_time


def test_mark_delivered_wrong_caller_and_states(env: Env) -> None:
    terms = env.terms()
    with pytest.raises(errors.UnknownDeal):
        env.deliver(terms)
    env.create(terms)
    with pytest.raises(errors.NotCreator):
        env.deliver(terms, sender=env.brand)
    with pytest.raises(errors.UnknownDeal):  # other terms name another deal
        env.deliver(terms.with_changes(amount=terms.amount + 1))
    env.deliver(terms)
    with pytest.raises(errors.WrongStatus) as raised:
        env.deliver(terms)
    assert raised.value.named_args["current"] == DealStatus.DELIVERED


def test_mark_delivered_after_the_deadline_fails(env: Env) -> None:
    terms = env.terms()
    env.create(terms)
    advance(env.w3, terms.deliver_by - env.now() + 1)
    with pytest.raises(errors.DeliveryDeadlinePassed):
        env.deliver(terms)


# ------------------------------------------------------------------ approve / release


def test_approve_pays_fee_then_payees_with_dust_to_the_creator(env: Env) -> None:
    amount = ONE_ETH + 7  # odd amount: floors leave dust
    terms = env.terms(amount=amount, shares_bps=(5001, 3333, 1333, 333))
    env.create(terms)
    env.deliver(terms)
    before = {address: env.eth_balance(address) for address in terms.payees}
    treasury_before = env.eth_balance(env.treasury.address)
    creator_before = before[env.creator.address]

    receipt = send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)

    fee = amount * 250 // 10_000
    net = amount - fee
    others = [net * share // 10_000 for share in terms.shares_bps[1:]]
    assert env.eth_balance(env.treasury.address) - treasury_before == fee
    for payee, expected in zip(terms.payees[1:], others, strict=True):
        assert env.eth_balance(payee) - before[payee] == expected
    assert env.eth_balance(env.creator.address) - creator_before == net - sum(others)
    assert net - sum(others) > net * 5001 // 10_000  # the creator got the dust
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.RELEASED
    events = bindings.events_in_receipt(receipt)
    assert [e.name for e in events] == ["Approved", "FeePaid"] + ["PayoutPaid"] * 4
    assert events[0].args == {
        "dealId": "0x" + terms.deal_id.hex(),
        "milestone": 0,
        "feeAmount": fee,
    }
    paid = {e.args["payee"]: e.args["amount"] for e in events if e.name == "PayoutPaid"}
    assert paid == dict(zip(terms.payees, terms.payouts(), strict=True))
    assert sum(paid.values()) + fee == amount


def test_approve_erc20_deal(env: Env) -> None:
    terms = env.terms(token=env.stablecoin.address, amount=999_999_999)
    env.create(terms)
    env.deliver(terms)
    before = {a: env.stablecoin.balance_of(a) for a in (*terms.payees, env.treasury.address)}
    send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)
    payouts = dict(zip(terms.payees, terms.payouts(), strict=True))
    for payee, amount in payouts.items():
        assert env.stablecoin.balance_of(payee) - before[payee] == amount
    fee = env.stablecoin.balance_of(env.treasury.address) - before[env.treasury.address]
    assert fee == terms.fee_amount()
    assert sum(payouts.values()) + fee == terms.amount


def test_approve_wrong_caller_and_states(env: Env) -> None:
    terms = env.terms()
    env.create(terms)
    with pytest.raises(errors.WrongStatus):
        send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)
    env.deliver(terms)
    for intruder in (env.creator, env.stranger, env.arbiter):
        with pytest.raises(errors.NotBrand):
            send(env.w3, env.escrow.build_approve_delivery(terms), intruder.key)
    altered = terms.with_changes(
        payees=(
            env.creator.address,
            env.brand.address,
            env.designer2.address,
            env.charity.address,
        )
    )
    with pytest.raises(errors.UnknownDeal):
        send(env.w3, env.escrow.build_approve_delivery(altered), env.brand.key)
    send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)
    with pytest.raises(errors.WrongStatus):  # nothing is paid twice
        send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)
    with pytest.raises(errors.WrongStatus):
        send(env.w3, env.escrow.build_release(terms), env.stranger.key)


def test_release_by_anyone_once_the_review_period_is_over(env: Env) -> None:
    terms = env.terms()
    env.create(terms)
    env.deliver(terms)
    with pytest.raises(errors.ReviewPeriodNotOver):
        send(env.w3, env.escrow.build_release(terms), env.stranger.key)
    delivered_at = env.escrow.deal_state(terms.deal_id).delivered_at
    advance(env.w3, delivered_at + terms.review_period - env.now())
    receipt = send(env.w3, env.escrow.build_release(terms), env.stranger.key)
    events = bindings.events_in_receipt(receipt)
    assert events[0].name == "Released"
    assert events[0].args["by"] == env.stranger.address
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.RELEASED


def test_release_without_fee_emits_no_fee_event(env: Env) -> None:
    terms = env.terms(platform_fee_bps=0)
    env.create(terms)
    env.deliver(terms)
    receipt = send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)
    assert event_names(receipt) == ["Approved"] + ["PayoutPaid"] * 4


# ------------------------------------------------------------------ refund


def test_refund_after_the_deadline_without_delivery(env: Env) -> None:
    terms = env.terms()
    env.create(terms)
    with pytest.raises(errors.DeliveryDeadlineNotPassed):
        send(env.w3, env.escrow.build_refund(terms), env.brand.key)
    advance(env.w3, terms.deliver_by - env.now() + 1)
    with pytest.raises(errors.NotBrand):
        send(env.w3, env.escrow.build_refund(terms), env.creator.key)
    brand_before = env.eth_balance(env.brand.address)
    receipt = send(env.w3, env.escrow.build_refund(terms), env.brand.key)
    assert env.eth_balance(env.brand.address) == brand_before + terms.amount - gas_cost(receipt)
    assert event_names(receipt) == ["Refunded", "RefundPaid"]
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.REFUNDED
    with pytest.raises(errors.WrongStatus):
        send(env.w3, env.escrow.build_refund(terms), env.brand.key)


def test_no_refund_once_delivered(env: Env) -> None:
    terms = env.terms()
    env.create(terms)
    env.deliver(terms)
    advance(env.w3, terms.deliver_by - env.now() + 1)
    with pytest.raises(errors.WrongStatus):
        send(env.w3, env.escrow.build_refund(terms), env.brand.key)


def test_refund_erc20(env: Env) -> None:
    terms = env.terms(token=env.stablecoin.address, amount=50 * ONE_USD)
    env.create(terms)
    advance(env.w3, terms.deliver_by - env.now() + 1)
    send(env.w3, env.escrow.build_refund(terms), env.brand.key)
    assert env.stablecoin.balance_of(env.brand.address) == terms.amount


def test_refund_the_token_refuses_is_credited_to_the_brand(env: Env) -> None:
    token = env.blocklist_token
    terms = env.terms(token=token.address, amount=70 * ONE_USD)
    env.create(terms)
    advance(env.w3, terms.deliver_by - env.now() + 1)
    send(env.w3, token.build_set_blocked(env.brand.address, True), env.owner.key)
    receipt = send(env.w3, env.escrow.build_refund(terms), env.brand.key)
    assert event_names(receipt) == ["Refunded", "RefundCredited"]
    assert env.escrow.credit_of(env.brand.address, token.address) == terms.amount
    send(env.w3, token.build_set_blocked(env.brand.address, False), env.owner.key)
    send(env.w3, env.escrow.build_withdraw(token.address), env.brand.key)
    assert token.balance_of(env.brand.address) == terms.amount
    assert env.escrow.credit_of(env.brand.address, token.address) == 0


# ------------------------------------------------------------------ dispute / resolve


def _delivered(env: Env, **overrides):
    terms = env.terms(**overrides)
    env.create(terms)
    env.deliver(terms)
    return terms


def test_dispute_within_the_review_period(env: Env) -> None:
    terms = _delivered(env)
    for intruder in (env.creator, env.stranger):
        with pytest.raises(errors.NotBrand):
            send(env.w3, env.escrow.build_dispute(terms), intruder.key)
    receipt = send(env.w3, env.escrow.build_dispute(terms), env.brand.key)
    assert event_names(receipt) == ["Disputed"]
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.DISPUTED
    with pytest.raises(errors.WrongStatus):  # a disputed deal cannot be approved or released
        send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)
    advance(env.w3, terms.review_period + 1)
    with pytest.raises(errors.WrongStatus):
        send(env.w3, env.escrow.build_release(terms), env.stranger.key)


def test_dispute_after_the_review_period_fails(env: Env) -> None:
    terms = _delivered(env)
    advance(env.w3, terms.review_period)
    with pytest.raises(errors.ReviewPeriodOver):
        send(env.w3, env.escrow.build_dispute(terms), env.brand.key)


def test_dispute_before_delivery_fails(env: Env) -> None:
    terms = env.terms()
    env.create(terms)
    with pytest.raises(errors.WrongStatus):
        send(env.w3, env.escrow.build_dispute(terms), env.brand.key)


@pytest.mark.parametrize("payee_share_bps", [0, 3_333, 10_000])
def test_resolve_splits_between_payees_and_brand(env: Env, payee_share_bps: int) -> None:
    amount = 3 * ONE_ETH + 1
    terms = _delivered(env, amount=amount)
    send(env.w3, env.escrow.build_dispute(terms), env.brand.key)
    watched = (*terms.payees, env.treasury.address, env.brand.address)
    before = {a: env.eth_balance(a) for a in watched}

    receipt = send(env.w3, env.escrow.build_resolve(terms, payee_share_bps), env.arbiter.key)

    awarded = amount * payee_share_bps // 10_000
    fee = awarded * terms.platform_fee_bps // 10_000
    to_brand = amount - awarded
    payouts = terms.payouts(awarded - fee)
    for payee, expected in zip(terms.payees, payouts, strict=True):
        assert env.eth_balance(payee) - before[payee] == expected
    assert env.eth_balance(env.treasury.address) - before[env.treasury.address] == fee
    assert env.eth_balance(env.brand.address) - before[env.brand.address] == to_brand
    assert sum(payouts) + fee + to_brand == amount
    resolved = bindings.events_in_receipt(receipt)[0]
    assert resolved.name == "Resolved"
    assert resolved.args["toPayees"] == awarded - fee
    assert resolved.args["toBrand"] == to_brand
    assert resolved.args["feeAmount"] == fee
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.RESOLVED


def test_resolve_wrong_caller_and_states(env: Env) -> None:
    terms = _delivered(env)
    with pytest.raises(errors.WrongStatus):
        send(env.w3, env.escrow.build_resolve(terms, 5_000), env.arbiter.key)
    send(env.w3, env.escrow.build_dispute(terms), env.brand.key)
    for intruder in (env.brand, env.creator, env.owner):
        with pytest.raises(errors.NotArbiter):
            send(env.w3, env.escrow.build_resolve(terms, 5_000), intruder.key)
    with pytest.raises(errors.InvalidShareBps):
        send(env.w3, env.escrow.build_resolve(terms, 10_001), env.arbiter.key)
    send(env.w3, env.escrow.build_resolve(terms, 5_000), env.arbiter.key)
    with pytest.raises(errors.WrongStatus):
        send(env.w3, env.escrow.build_resolve(terms, 5_000), env.arbiter.key)


# ------------------------------------------------------------------ withdraw


def test_withdraw_without_credit_fails(env: Env) -> None:
    with pytest.raises(errors.NothingToWithdraw):
        send(env.w3, env.escrow.build_withdraw("ETH"), env.stranger.key)
    with pytest.raises(errors.ZeroAddress):
        send(env.w3, env.escrow.build_withdraw_to("ETH", ZERO_ADDRESS), env.stranger.key)


# ------------------------------------------------------------------ pause and admin


def test_pause_stops_new_deals_only(env: Env) -> None:
    refundable = env.terms()
    env.create(refundable)
    releasable = _delivered(env)
    disputed = _delivered(env)
    send(env.w3, env.escrow.build_dispute(disputed), env.brand.key)
    with pytest.raises(errors.OwnableUnauthorizedAccount):
        send(env.w3, env.escrow.build_pause(), env.brand.key)
    send(env.w3, env.escrow.build_pause(), env.owner.key)
    assert env.escrow.paused()

    with pytest.raises(errors.EnforcedPause):
        env.create(env.terms())
    advance(env.w3, refundable.deliver_by - env.now() + 1)
    send(env.w3, env.escrow.build_refund(refundable), env.brand.key)
    send(env.w3, env.escrow.build_release(releasable), env.stranger.key)
    send(env.w3, env.escrow.build_resolve(disputed, 10_000), env.arbiter.key)
    statuses = [env.escrow.deal_state(t.deal_id).status for t in (refundable, releasable, disputed)]
    assert statuses == [DealStatus.REFUNDED, DealStatus.RELEASED, DealStatus.RESOLVED]

    send(env.w3, env.escrow.build_unpause(), env.owner.key)
    env.create(env.terms())


def test_ownership_moves_in_two_steps(env: Env) -> None:
    escrow = env.escrow
    with pytest.raises(errors.OwnableUnauthorizedAccount):
        send(env.w3, escrow.build_transfer_ownership(env.stranger.address), env.stranger.key)
    send(env.w3, escrow.build_transfer_ownership(env.other.address), env.owner.key)
    assert escrow.owner() == env.owner.address
    assert escrow.pending_owner() == env.other.address
    with pytest.raises(errors.OwnableUnauthorizedAccount):
        send(env.w3, escrow.build_accept_ownership(), env.stranger.key)
    send(env.w3, escrow.build_accept_ownership(), env.other.key)
    assert escrow.owner() == env.other.address
    with pytest.raises(errors.OwnableUnauthorizedAccount):
        send(env.w3, escrow.build_set_arbiter(env.stranger.address), env.owner.key)
    renounce = {**escrow.build_pause(), "data": escrow.contract.encode_abi("renounceOwnership")}
    with pytest.raises(errors.RenounceDisabled):
        send(env.w3, renounce, env.other.key)


def test_admin_setters(env: Env) -> None:
    escrow = env.escrow
    for build in (
        lambda: escrow.build_set_arbiter(env.stranger.address),
        lambda: escrow.build_set_treasury(env.stranger.address),
        lambda: escrow.build_set_platform_fee_cap(100),
    ):
        with pytest.raises(errors.OwnableUnauthorizedAccount):
            send(env.w3, build(), env.stranger.key)
    with pytest.raises(errors.ZeroAddress):
        send(env.w3, escrow.build_set_arbiter(ZERO_ADDRESS), env.owner.key)
    with pytest.raises(errors.ZeroAddress):
        send(env.w3, escrow.build_set_treasury(ZERO_ADDRESS), env.owner.key)
    with pytest.raises(errors.FeeAboveCap):
        send(env.w3, escrow.build_set_platform_fee_cap(1_001), env.owner.key)

    terms = _delivered(env)
    send(env.w3, escrow.build_dispute(terms), env.brand.key)
    send(env.w3, escrow.build_set_arbiter(env.other.address), env.owner.key)
    send(env.w3, escrow.build_set_treasury(env.stranger.address), env.owner.key)
    send(env.w3, escrow.build_set_platform_fee_cap(100), env.owner.key)
    assert (escrow.arbiter(), escrow.treasury(), escrow.platform_fee_cap_bps()) == (
        env.other.address,
        env.stranger.address,
        100,
    )
    with pytest.raises(errors.NotArbiter):
        send(env.w3, escrow.build_resolve(terms, 10_000), env.arbiter.key)
    treasury_before = env.eth_balance(env.stranger.address)
    send(env.w3, escrow.build_resolve(terms, 10_000), env.other.key)
    # live deals keep the fee their creator signed (250 bps) even after the cap drops to 100
    assert env.eth_balance(env.stranger.address) - treasury_before == terms.fee_amount()
    with pytest.raises(errors.FeeAboveCap):
        env.create(env.terms(platform_fee_bps=101))
    env.create(env.terms(platform_fee_bps=100))


def test_erc20_wrapper_reads(env: Env) -> None:
    assert env.stablecoin.decimals() == 6
    assert env.stablecoin.symbol() == "tUSD"
    token = Erc20(env.w3, env.stablecoin.address)
    send(env.w3, token.build_mint(env.other.address, 5), env.other.key)
    send(env.w3, token.build_transfer(env.stranger.address, 2), env.other.key)
    assert token.balance_of(env.stranger.address) >= 2
    assert token.allowance(env.other.address, env.escrow.address) == 0
