"""Escrow v2: milestones, disputes that end, settlements, relayed creator actions, permit funding,
canonical splitter payee sets, and the storage layout the gas figures rely on.

The attacker cases of issue 14 are here too: a relayed signature replayed, moved to another
chain or another escrow, a permit front-run, a settlement signed by one side only, milestone
amounts that do not sum to the total.
"""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from contracts import bindings, errors
from contracts.bindings import DealStatus, DealTerms, send, sign_action
from contracts.bindings.artifacts import ARTIFACTS_DIR
from tests.contracts.env import DAY, ONE_ETH, ONE_USD, Actor, Env, advance, event_names

HASH = b"\x07" * 32


def _milestone_terms(env: Env, amounts: tuple[int, ...], **overrides) -> DealTerms:
    now = env.now()
    milestones = tuple((amount, now + (i + 1) * 5 * DAY) for i, amount in enumerate(amounts))
    return env.terms(amount=sum(amounts), milestones=milestones, **overrides)


def _balances(env: Env, accounts) -> dict[str, int]:
    return {a: env.eth_balance(a) for a in accounts}


def _zero_eth_creator(env: Env) -> tuple[Actor, DealTerms]:
    """A creator account that never held any ETH, and a funded 2-milestone deal paying it."""
    account = Account.create()
    creator = Actor(account.key.hex(), account.address)
    payees = (creator.address, env.designer1.address, env.designer2.address, env.charity.address)
    terms = _milestone_terms(env, (ONE_ETH, 2 * ONE_ETH), creator=creator.address, payees=payees)
    env.create(terms, terms.sign(creator.key, env.chain_id, env.escrow.address))
    assert env.eth_balance(creator.address) == 0
    return creator, terms


def _signed_delivery(env: Env, creator: Actor, terms: DealTerms, milestone: int, **message):
    deadline = message.pop("deadline", env.now() + DAY)
    typed = env.escrow.deliver_typed_data(terms.deal_id, milestone, HASH, deadline, **message)
    signature = Account.sign_message(
        bindings.signatures.encode_typed_data(full_message=typed), creator.key
    ).signature
    return deadline, bytes(signature)


# ------------------------------------------------------------------ milestones


def test_each_milestone_lives_on_its_own_and_pays_exactly_its_amount(env: Env) -> None:
    amounts = (ONE_ETH + 1, 3 * ONE_ETH, 7)
    terms = _milestone_terms(env, amounts)
    env.create(terms)
    for i in range(3):
        state = env.escrow.deal_state(terms.deal_id, i)
        assert (state.status, state.creator, state.deadline) == (
            DealStatus.FUNDED,
            env.creator.address,
            terms.milestones[i].deliver_by,
        )

    env.deliver(terms, milestone=1)
    accounts = (*terms.payees, env.treasury.address)
    before = _balances(env, accounts)
    receipt = send(env.w3, env.escrow.build_approve_delivery(terms, 1), env.brand.key)
    paid = [env.eth_balance(a) - before[a] for a in accounts]
    assert paid == [*terms.payouts(milestone=1), terms.fee_amount(1)]
    assert sum(paid) == amounts[1]
    assert event_names(receipt) == ["Approved", "FeePaid"] + ["PayoutPaid"] * 4
    assert [env.escrow.deal_state(terms.deal_id, i).status for i in range(3)] == [
        DealStatus.FUNDED,
        DealStatus.RELEASED,
        DealStatus.FUNDED,
    ]

    advance(env.w3, terms.milestones[0].deliver_by - env.now() + 1)
    brand_before = env.eth_balance(env.brand.address)
    receipt = send(env.w3, env.escrow.build_refund(terms, 0), env.brand.key)
    gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert env.eth_balance(env.brand.address) - brand_before + gas == amounts[0]
    env.deliver(terms, milestone=2)  # milestone 2 is still in time
    with pytest.raises(errors.UnknownMilestone):
        send(env.w3, env.escrow.build_approve_delivery(terms, 3), env.brand.key)
    with pytest.raises(errors.UnknownMilestone):
        env.deliver(terms, milestone=3)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"amount": 3 * ONE_ETH + 1}, "MilestonesDoNotSum"),
        ({"amount": 3 * ONE_ETH - 1}, "MilestonesDoNotSum"),
        ({"milestones": ((0, None), (3 * ONE_ETH, None))}, "ZeroMilestoneAmount"),
        ({"milestones": ()}, "InvalidMilestoneCount"),
        ({"milestones": ((1, None),) * 17, "amount": 17}, "InvalidMilestoneCount"),
        ({"milestones": ((ONE_ETH, None), (2 * ONE_ETH, 5))}, "InvalidMilestoneDeadline"),
        ({"dispute_timeout": DAY - 1}, "InvalidDisputeRule"),
        ({"dispute_rule_payee_bps": 10_001}, "InvalidDisputeRule"),
    ],
    ids=["sum-above", "sum-below", "zero", "none", "seventeen", "past", "timeout", "rule"],
)
def test_milestone_and_dispute_terms_are_checked(env: Env, change: dict, error: str) -> None:
    terms = _milestone_terms(env, (ONE_ETH, 2 * ONE_ETH))
    deadline = terms.milestones[0].deliver_by
    if "milestones" in change:
        change["milestones"] = tuple(
            (a, deadline if d is None else d) for a, d in change["milestones"]
        )
    bad = terms.with_changes(**change)
    with pytest.raises(errors.error_class(error)):
        env.create(bad)
    assert env.escrow.deal_state(bad.deal_id).status is DealStatus.NONE


@pytest.mark.parametrize(
    ("change", "error", "named"),
    [
        (
            lambda e: {
                "payees": (
                    e.creator.address,
                    e.designer1.address,
                    e.designer1.address,
                    e.charity.address,
                )
            },
            "DuplicatePayee",
            {"index": 2},
        ),
        (lambda _e: {"shares_bps": (7000, 1000, 0, 2000)}, "ZeroShare", {"index": 2}),
        (lambda _e: {"shares_bps": (7000, 1000, 1000, 999)}, "SharesDoNotSum", {"totalBps": 9999}),
        (
            lambda e: {
                "payees": (
                    e.designer1.address,
                    e.creator.address,
                    e.designer2.address,
                    e.charity.address,
                )
            },
            "CreatorNotFirstPayee",
            {},
        ),
    ],
    ids=["duplicate", "zero-share", "sum", "creator-not-first"],
)
def test_payee_errors_name_the_payee(env: Env, change, error: str, named: dict) -> None:
    bad = env.terms(**change(env))
    with pytest.raises(errors.error_class(error)) as raised:
        env.create(bad)
    for key, value in named.items():
        assert raised.value.named_args[key] == value


# ------------------------------------------------------------------ disputes that end


def _disputed(env: Env, **overrides) -> DealTerms:
    terms = env.terms(**overrides)
    env.create(terms)
    env.deliver(terms)
    receipt = send(env.w3, env.escrow.build_dispute(terms), env.brand.key)
    [disputed] = bindings.events_in_receipt(receipt)
    now = env.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert disputed.args["ruleAppliesAt"] == now + terms.dispute_timeout
    assert (
        env.escrow.deal_state(terms.deal_id).dispute_rule_applies_at == now + terms.dispute_timeout
    )
    return terms


@pytest.mark.parametrize("rule_bps", [0, 2_500, 10_000])
def test_a_dispute_left_alone_ends_by_the_rule_in_the_terms(env: Env, rule_bps: int) -> None:
    terms = _disputed(env, dispute_rule_payee_bps=rule_bps, dispute_timeout=2 * DAY)
    apply_rule = env.escrow.build_apply_dispute_rule(terms)
    with pytest.raises(errors.DisputeRuleNotApplicable):
        send(env.w3, apply_rule, env.stranger.key)
    advance(env.w3, 2 * DAY)
    with pytest.raises(errors.ArbiterDeadlinePassed):  # the rule is the outcome now
        send(env.w3, env.escrow.build_resolve(terms, 10_000), env.arbiter.key)

    accounts = (*terms.payees, env.treasury.address, env.brand.address)
    before = _balances(env, accounts)
    receipt = send(env.w3, apply_rule, env.stranger.key)
    fee, payouts, to_brand = terms.resolution(rule_bps)
    assert [env.eth_balance(a) - before[a] for a in accounts] == [*payouts, fee, to_brand]
    [resolved] = [e for e in bindings.events_in_receipt(receipt) if e.name == "Resolved"]
    assert resolved.args["how"] == 2  # Resolution.DisputeRule
    assert resolved.args["payeeShareBps"] == rule_bps
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.RESOLVED
    with pytest.raises(errors.WrongStatus):
        send(env.w3, apply_rule, env.stranger.key)


def test_the_arbiter_resolves_before_the_deadline(env: Env) -> None:
    terms = _disputed(env)
    receipt = send(env.w3, env.escrow.build_resolve(terms, 6_000), env.arbiter.key)
    [resolved] = [e for e in bindings.events_in_receipt(receipt) if e.name == "Resolved"]
    assert (resolved.args["how"], resolved.args["payeeShareBps"]) == (0, 6_000)


def _settlement(env: Env, terms: DealTerms, bps: int, signers, milestone: int = 0, **over):
    deadline = over.pop("deadline", env.now() + DAY)
    message = {
        "dealId": "0x" + over.pop("deal_id", terms.deal_id).hex(),
        "milestone": milestone,
        "payeeShareBps": bps,
        "deadline": deadline,
    }
    chain_id = over.pop("chain_id", env.chain_id)
    escrow = over.pop("escrow", env.escrow.address)
    signatures = [sign_action("Settlement", message, s.key, chain_id, escrow) for s in signers]
    return deadline, signatures


@pytest.mark.parametrize("stage", ["funded", "delivered", "disputed"])
def test_a_settlement_both_sides_signed_ends_an_open_milestone(env: Env, stage: str) -> None:
    terms = env.terms()
    env.create(terms)
    if stage != "funded":
        env.deliver(terms)
    if stage == "disputed":
        send(env.w3, env.escrow.build_dispute(terms), env.brand.key)
    deadline, (brand_sig, creator_sig) = _settlement(env, terms, 7_000, (env.brand, env.creator))
    accounts = (*terms.payees, env.treasury.address, env.brand.address)
    before = _balances(env, accounts)
    tx = env.escrow.build_settle(terms, 7_000, deadline, brand_sig, creator_sig)
    receipt = send(env.w3, tx, env.stranger.key)  # anyone submits
    fee, payouts, to_brand = terms.resolution(7_000)
    assert [env.eth_balance(a) - before[a] for a in accounts] == [*payouts, fee, to_brand]
    [resolved] = [e for e in bindings.events_in_receipt(receipt) if e.name == "Resolved"]
    assert resolved.args["how"] == 1  # Resolution.Settlement
    with pytest.raises(errors.WrongStatus):  # replayed
        send(env.w3, tx, env.stranger.key)


def test_a_settlement_signed_by_one_side_only_is_refused(env: Env) -> None:
    terms = env.terms()
    env.create(terms)
    deadline, (brand_sig, creator_sig) = _settlement(env, terms, 9_000, (env.brand, env.creator))
    _, (forged,) = _settlement(env, terms, 9_000, (env.stranger,))
    for brand_side, creator_side, signer in (
        (creator_sig, creator_sig, env.brand.address),
        (brand_sig, brand_sig, env.creator.address),
        (brand_sig, forged, env.creator.address),
    ):
        tx = env.escrow.build_settle(terms, 9_000, deadline, brand_side, creator_side)
        with pytest.raises(errors.InvalidSignature) as raised:
            send(env.w3, tx, env.stranger.key)
        assert raised.value.named_args == {"signer": signer}
    # Signed for 90%, submitted for 100%: neither signature matches.
    tx = env.escrow.build_settle(terms, 10_000, deadline, brand_sig, creator_sig)
    with pytest.raises(errors.InvalidSignature):
        send(env.w3, tx, env.stranger.key)
    advance(env.w3, DAY + 1)
    tx = env.escrow.build_settle(terms, 9_000, deadline, brand_sig, creator_sig)
    with pytest.raises(errors.SignatureExpired):
        send(env.w3, tx, env.stranger.key)
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.FUNDED


def test_a_settlement_cannot_move_to_another_milestone(env: Env) -> None:
    terms = _milestone_terms(env, (ONE_ETH, ONE_ETH))
    env.create(terms)
    deadline, sigs = _settlement(env, terms, 0, (env.brand, env.creator), milestone=0)
    with pytest.raises(errors.InvalidSignature):
        send(env.w3, env.escrow.build_settle(terms, 0, deadline, *sigs, milestone=1), env.other.key)
    send(env.w3, env.escrow.build_settle(terms, 0, deadline, *sigs, milestone=0), env.other.key)


# ------------------------------------------------------------------ relayed creator actions


def test_a_creator_with_no_eth_delivers_through_a_relayer(env: Env) -> None:
    creator, terms = _zero_eth_creator(env)
    deadline, signature = _signed_delivery(env, creator, terms, 0)
    tx = env.escrow.build_mark_delivered_by_sig(terms.deal_id, HASH, deadline, signature, 0)
    receipt = send(env.w3, tx, env.stranger.key)
    [delivered] = bindings.events_in_receipt(receipt)
    assert (delivered.name, delivered.args["milestone"]) == ("Delivered", 0)
    assert env.escrow.deal_state(terms.deal_id, 0).status is DealStatus.DELIVERED
    assert env.escrow.nonce_of(creator.address) == 1
    assert env.eth_balance(creator.address) == 0
    with pytest.raises(errors.WrongStatus):  # replayed on the same milestone
        send(env.w3, tx, env.stranger.key)


def test_a_relayed_delivery_signature_works_once(env: Env) -> None:
    """Two deliveries signed with the same nonce: the first one used consumes it."""
    creator, terms = _zero_eth_creator(env)
    deadline, first = _signed_delivery(env, creator, terms, 0, nonce=0)
    _, second = _signed_delivery(env, creator, terms, 1, nonce=0, deadline=deadline)
    send(
        env.w3,
        env.escrow.build_mark_delivered_by_sig(terms.deal_id, HASH, deadline, first, 0),
        env.other.key,
    )
    with pytest.raises(errors.InvalidSignature):
        send(
            env.w3,
            env.escrow.build_mark_delivered_by_sig(terms.deal_id, HASH, deadline, second, 1),
            env.other.key,
        )
    _, fresh = _signed_delivery(env, creator, terms, 1, deadline=deadline)  # nonce 1
    send(
        env.w3,
        env.escrow.build_mark_delivered_by_sig(terms.deal_id, HASH, deadline, fresh, 1),
        env.other.key,
    )


@pytest.mark.parametrize("where", ["other-chain", "other-escrow", "other-signer", "expired"])
def test_a_relayed_delivery_cannot_be_moved_or_forged(env: Env, where: str) -> None:
    creator, terms = _zero_eth_creator(env)
    deadline = env.now() + DAY
    typed = env.escrow.deliver_typed_data(terms.deal_id, 0, HASH, deadline)
    key = creator.key
    if where == "other-chain":
        typed["domain"]["chainId"] = env.chain_id + 1
    elif where == "other-escrow":
        other = bindings.deploy_escrow(
            env.w3,
            env.owner.key,
            arbiter=env.arbiter.address,
            treasury=env.treasury.address,
            fee_cap_bps=500,
        )
        typed["domain"]["verifyingContract"] = other
    elif where == "other-signer":
        key = env.creator.key
    elif where == "expired":
        deadline = env.now() - 1
        typed["message"]["deadline"] = deadline
    signature = Account.sign_message(
        bindings.signatures.encode_typed_data(full_message=typed), key
    ).signature
    tx = env.escrow.build_mark_delivered_by_sig(terms.deal_id, HASH, deadline, signature, 0)
    expected = errors.SignatureExpired if where == "expired" else errors.InvalidSignature
    with pytest.raises(expected):
        send(env.w3, tx, env.stranger.key)
    assert env.escrow.deal_state(terms.deal_id, 0).status is DealStatus.FUNDED
    assert env.escrow.nonce_of(creator.address) == 0


def test_a_credited_creator_withdraws_through_a_relayer(env: Env) -> None:
    token = env.blocklist_token
    account = Account.create()
    creator = Actor(account.key.hex(), account.address)
    payees = (creator.address, env.designer1.address)
    terms = env.terms(
        creator=creator.address,
        payees=payees,
        shares_bps=(9000, 1000),
        token=token.address,
        amount=100 * ONE_USD,
        platform_fee_bps=0,
    )
    env.create(terms, terms.sign(creator.key, env.chain_id, env.escrow.address))
    send(env.w3, token.build_set_blocked(creator.address, True), env.owner.key)
    deadline, signature = _signed_delivery(env, creator, terms, 0)
    send(
        env.w3,
        env.escrow.build_mark_delivered_by_sig(terms.deal_id, HASH, deadline, signature),
        env.other.key,
    )
    send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)
    credit = env.escrow.credit_of(creator.address, token.address)
    assert credit == 90 * ONE_USD

    to = env.other.address  # a fresh wallet of the creator's
    typed = env.escrow.withdraw_typed_data(creator.address, token.address, to, deadline)
    signature = Account.sign_message(
        bindings.signatures.encode_typed_data(full_message=typed), creator.key
    ).signature
    tx = env.escrow.build_withdraw_by_sig(creator.address, token.address, to, deadline, signature)
    before = token.balance_of(to)
    send(env.w3, tx, env.stranger.key)
    assert token.balance_of(to) - before == credit
    assert env.escrow.credit_of(creator.address, token.address) == 0
    with pytest.raises(errors.InvalidSignature):  # the nonce moved on: no replay
        send(env.w3, tx, env.stranger.key)
    redirected = env.escrow.build_withdraw_by_sig(
        creator.address, token.address, env.stranger.address, deadline, signature
    )
    with pytest.raises(errors.InvalidSignature):
        send(env.w3, redirected, env.stranger.key)
    assert env.eth_balance(creator.address) == 0


# ------------------------------------------------------------------ permit funding


def _permit(env: Env, terms: DealTerms, value: int | None = None) -> tuple[int, bytes]:
    deadline = env.now() + DAY
    typed = env.stablecoin.permit_typed_data(
        env.brand.address, env.escrow.address, terms.amount if value is None else value, deadline
    )
    return deadline, bindings.signature_bytes(bindings.sign_typed_data(typed, env.brand.key))


def test_a_brand_funds_a_stablecoin_deal_in_one_transaction_with_a_permit(env: Env) -> None:
    terms = env.terms(token=env.stablecoin.address, amount=250 * ONE_USD + 3)
    send(env.w3, env.stablecoin.build_mint(env.brand.address, terms.amount), env.brand.key)
    assert env.stablecoin.allowance(env.brand.address, env.escrow.address) == 0
    deadline, permit = _permit(env, terms)
    tx = env.escrow.build_create_deal_with_permit(terms, env.sign(terms), deadline, permit)
    send(env.w3, tx, env.brand.key)
    assert env.stablecoin.balance_of(env.escrow.address) == terms.amount
    assert env.stablecoin.allowance(env.brand.address, env.escrow.address) == 0
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.FUNDED


def test_a_front_run_permit_does_not_block_the_deal(env: Env) -> None:
    terms = env.terms(token=env.stablecoin.address, amount=40 * ONE_USD)
    send(env.w3, env.stablecoin.build_mint(env.brand.address, terms.amount), env.brand.key)
    deadline, permit = _permit(env, terms)
    # A watcher copies the permit out of the pending transaction and submits it first.
    token = env.stablecoin.contract
    v, r, s = permit[64], permit[:32], permit[32:64]
    front_run = {
        "to": env.stablecoin.address,
        "data": token.encode_abi(
            "permit", args=[env.brand.address, env.escrow.address, terms.amount, deadline, v, r, s]
        ),
        "value": 0,
        "chainId": env.chain_id,
    }
    send(env.w3, front_run, env.stranger.key)
    tx = env.escrow.build_create_deal_with_permit(terms, env.sign(terms), deadline, permit)
    send(env.w3, tx, env.brand.key)
    assert env.stablecoin.balance_of(env.escrow.address) == terms.amount


def test_a_permit_for_less_than_the_amount_funds_nothing(env: Env) -> None:
    terms = env.terms(token=env.stablecoin.address, amount=40 * ONE_USD)
    send(env.w3, env.stablecoin.build_mint(env.brand.address, terms.amount), env.brand.key)
    deadline, permit = _permit(env, terms, value=terms.amount - 1)
    tx = env.escrow.build_create_deal_with_permit(terms, env.sign(terms), deadline, permit)
    with pytest.raises(errors.error_class("ERC20InsufficientAllowance")):
        send(env.w3, tx, env.brand.key)
    eth_terms = env.terms()
    tx = env.escrow.build_create_deal_with_permit(eth_terms, env.sign(eth_terms), deadline, permit)
    with pytest.raises(errors.PermitNeedsToken):
        send(env.w3, tx, env.brand.key)


# ------------------------------------------------------------------ splitter: canonical payee sets


def test_one_payee_set_has_one_splitter_whatever_the_order(env: Env) -> None:
    payees = env.payees
    shares = (7000, 1000, 1000, 1000)
    predicted = env.factory.predict(payees, shares)
    reordered = tuple(reversed(payees)), tuple(reversed(shares))
    assert env.factory.predict(*reordered) == predicted
    send(env.w3, env.factory.build_create_splitter(*reordered), env.other.key)
    again = send(env.w3, env.factory.build_create_splitter(payees, shares), env.other.key)
    assert bindings.events_in_receipt(again, "SplitterFactory") == []
    accounts, sorted_shares = bindings.SplitterContract(env.w3, predicted).payees()
    pairs = sorted(zip(payees, shares, strict=True), key=lambda pair: int(pair[0], 16))
    assert list(zip(accounts, sorted_shares, strict=True)) == pairs
    with pytest.raises(errors.DuplicatePayee):
        env.factory.predict((payees[0], payees[1], payees[0]), (5000, 2500, 2500))


# ------------------------------------------------------------------ storage layout


def test_each_milestone_is_one_storage_slot_and_the_config_packs_as_claimed() -> None:
    artifact = json.loads((ARTIFACTS_DIR / "CollabEscrow.json").read_text())
    layout = artifact["storageLayout"]
    by_label = {entry["label"]: entry for entry in layout["storage"]}
    milestones_type = layout["types"][by_label["_milestones"]["type"]]
    inner = layout["types"][milestones_type["value"]]
    state = layout["types"][inner["value"]]
    assert state["label"] == "struct ICollabEscrow.MilestoneState"
    assert state["numberOfBytes"] == "32"  # one slot per milestone
    assert [m["label"] for m in state["members"]] == [
        "creator",
        "deadline",
        "deliveredAt",
        "status",
    ]
    assert {m["slot"] for m in state["members"]} == {"0"}
    # createDeal reads `paused` and the fee cap with one cold storage access.
    assert by_label["platformFeeCapBps"]["slot"] == by_label["_paused"]["slot"]
    assert by_label["_pendingOwner"]["slot"] == by_label["_paused"]["slot"]
