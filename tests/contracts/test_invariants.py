"""Stateful property test: random deals of 1-3 milestones and random actions on each milestone,
in ETH and the stablecoin, keep the books exact.

After every step: the escrow holds, per token, exactly the open milestones' amounts plus the
credited balances; every account's balance equals what the model says it should have received
(payees get floor(amount * share / 10,000), the creator the dust, the treasury the fee), to the
last unit and net of gas; each release, refund or resolution logs each payout once. Amounts run
from 1 unit to 2^250 (full-precision arithmetic: nothing overflows, nothing locks). Disputes end
by the arbiter before their deadline, by a settlement both sides signed (any open milestone), or
after the deadline by anyone applying the rule written in the terms. Deadlines sit 30 minutes off
the hour and time moves in whole hours, so no step lands on a boundary.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from contracts import bindings, errors
from contracts.bindings import ZERO_ADDRESS, DealStatus, DealTerms, send
from tests.contracts.env import (
    DAY,
    HOUR,
    Actor,
    Env,
    advance,
    gas_cost,
    revert,
    set_eth_balance,
    snapshot,
)

OPEN = {DealStatus.FUNDED, DealStatus.DELIVERED, DealStatus.DISPUTED}
PAYOUT_EVENTS = {
    "PayoutPaid",
    "PayoutCredited",
    "FeePaid",
    "FeeCredited",
    "RefundPaid",
    "RefundCredited",
}


@dataclass
class ModelMilestone:
    terms: DealTerms
    index: int
    status: DealStatus = DealStatus.FUNDED
    delivered_at: int = 0
    disputed_at: int = 0

    @property
    def amount(self) -> int:
        return self.terms.milestones[self.index].amount

    @property
    def deliver_by(self) -> int:
        return self.terms.milestones[self.index].deliver_by

    @property
    def rule_applies_at(self) -> int:
        return self.disputed_at + self.terms.dispute_timeout


def split_amount(amount: int, parts: int) -> tuple[int, ...]:
    """``parts`` positive amounts summing to ``amount``, weighted 1 : 2 : 3 so that no two
    milestones hold the same amount (fewer parts when the amount is too small for that)."""
    while parts > 1 and amount < parts * (parts + 1) // 2:
        parts -= 1
    total_weight = parts * (parts + 1) // 2
    amounts = [amount * (i + 1) // total_weight for i in range(parts - 1)]
    return (*amounts, amount - sum(amounts))


class EscrowMachine(RuleBasedStateMachine):
    def __init__(self, env: Env) -> None:
        super().__init__()
        self.env = env
        self.w3 = env.w3
        self.snapshot_id = snapshot(env.w3)
        self.refuser = env.deploy_test("RevertingPayee")
        self.refuser_accepting = False
        self.tokens = (ZERO_ADDRESS, env.stablecoin.address)
        self.actors = [
            env.brand,
            env.creator,
            env.designer1,
            env.designer2,
            env.charity,
            env.treasury,
            env.arbiter,
            env.stranger,
        ]
        self.accounts = [a.address for a in self.actors] + [self.refuser.address]
        self.start = {(a, t): self._balance(a, t) for a in self.accounts for t in self.tokens}
        self.escrow_start = {t: self._balance(self.env.escrow.address, t) for t in self.tokens}
        self.delta: dict[tuple[str, str], int] = defaultdict(int)
        self.credits: dict[tuple[str, str], int] = defaultdict(int)
        self.milestones: list[ModelMilestone] = []
        self._books = self._book_requests()

    def teardown(self) -> None:
        revert(self.w3, self.snapshot_id)

    # ---------------------------------------------------------------- plumbing

    def _balance(self, account: str, token: str) -> int:
        if token == ZERO_ADDRESS:
            return int(self.w3.eth.get_balance(account))
        return self.env.stablecoin.balance_of(account)

    def _send(self, tx: dict[str, Any], actor: Actor) -> Any:
        receipt = send(self.w3, tx, actor.key)
        self.delta[(actor.address, ZERO_ADDRESS)] -= gas_cost(receipt)
        return receipt

    def _now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def _pay(self, account: str, token: str, amount: int, kind: str, expected: list) -> None:
        """Model one push-or-credit payout, as the contract does it."""
        if amount == 0:
            return
        refuses = (
            account == self.refuser.address
            and token == ZERO_ADDRESS
            and not (self.refuser_accepting)
        )
        if refuses:
            self.credits[(account, token)] += amount
            expected.append((f"{kind}Credited", account, amount))
        else:
            self.delta[(account, token)] += amount
            expected.append((f"{kind}Paid", account, amount))

    def _split(self, m: ModelMilestone, payee_share_bps: int, expected: list) -> None:
        """A milestone split between the payee side and the brand, as the contract does it."""
        terms = m.terms
        fee, _, to_brand = terms.resolution(payee_share_bps, m.index)
        awarded = m.amount - to_brand
        self._pay(self.env.treasury.address, terms.token, fee, "Fee", expected)
        self._pay_payees(terms, awarded - fee, expected)
        self._pay(terms.brand, terms.token, to_brand, "Refund", expected)

    def _pay_payees(self, terms: DealTerms, total: int, expected: list) -> None:
        for payee, amount in zip(terms.payees, terms.payouts(total), strict=True):
            self._pay(payee, terms.token, amount, "Payout", expected)

    @staticmethod
    def _payouts_logged(receipt: Any) -> Counter:
        return Counter(
            (
                e.name,
                next(v for k, v in e.args.items() if k in ("payee", "treasury", "brand")),
                e.args["amount"],
            )
            for e in bindings.events_in_receipt(receipt)
            if e.name in PAYOUT_EVENTS
        )

    # ---------------------------------------------------------------- rules

    deal_params = {
        "use_token": st.booleans(),
        "amount": st.one_of(
            st.integers(1, 20), st.integers(21, 10**18), st.integers(2**200, 2**250)
        ),
        "split": st.sampled_from(["solo", "four", "with_refuser", "tiny_creator"]),
        "fee_bps": st.sampled_from([0, 1, 250, 500]),
        "parts": st.integers(1, 3),
        "rule_bps": st.sampled_from([0, 5_000, 10_000]),
    }

    @initialize(deals=st.lists(st.fixed_dictionaries(deal_params), min_size=2, max_size=3))
    def open_some_deals(self, deals: list[dict[str, Any]]) -> None:
        for params in deals:
            self.create_deal(**params)

    @rule(**deal_params)
    def create_deal(
        self, use_token: bool, amount: int, split: str, fee_bps: int, parts: int, rule_bps: int
    ) -> None:
        env = self.env
        payees, shares = {
            "solo": ((env.creator.address,), (10_000,)),
            "four": (env.payees, (7000, 1000, 1000, 1000)),
            "with_refuser": (
                (env.creator.address, self.refuser.address, env.designer1.address),
                (5001, 3333, 1666),
            ),
            "tiny_creator": ((env.creator.address, env.designer2.address), (1, 9999)),
        }[split]
        if not use_token and amount > 2**126:
            # anvil refuses a transaction carrying 2^128 wei or more (all ETH ever is < 2^88): ETH
            # deals run up to 2^126, the stablecoin carries amounts up to 2^250.
            amount >>= 124
        token = env.stablecoin.address if use_token else ZERO_ADDRESS
        now = self._now()
        amounts = split_amount(amount, parts)
        terms = env.terms(
            token=token,
            amount=amount,
            payees=payees,
            shares_bps=shares,
            milestones=tuple(
                (part, now + (2 + i) * DAY + 30 * 60) for i, part in enumerate(amounts)
            ),
            platform_fee_bps=fee_bps,
            review_period=DAY + 30 * 60,
            dispute_timeout=2 * DAY,  # whole hours: the rule's deadline stays 30 min off the hour
            dispute_rule_payee_bps=rule_bps,
            signature_expiry=now + HOUR,
        )
        brand = env.brand
        if not use_token and amount > 10**21:  # beyond anvil's 10,000 ETH: the chain mints it
            balance = self._balance(brand.address, ZERO_ADDRESS)
            set_eth_balance(self.w3, brand.address, balance + amount)
            self.delta[(brand.address, token)] += amount
        if use_token:
            self._send(env.stablecoin.build_mint(brand.address, amount), brand)
            self._send(env.stablecoin.build_approve(env.escrow.address, amount), brand)
            self.delta[(brand.address, token)] += amount
        self._send(env.escrow.build_create_deal(terms, env.sign(terms)), brand)
        self.delta[(brand.address, token)] -= amount
        self.milestones += [ModelMilestone(terms, i) for i in range(len(terms.milestones))]

    @rule(
        index=st.integers(0, 50),
        action=st.sampled_from(
            ["deliver", "approve", "release", "refund", "dispute", "resolve", "rule", "settle"]
        ),
        payee_share_bps=st.sampled_from([0, 1, 5_000, 9_999, 10_000]),
    )
    def act(self, index: int, action: str, payee_share_bps: int) -> None:
        """Any action on any milestone: mostly exercises the revert paths."""
        if self.milestones:
            m = self.milestones[index % len(self.milestones)]
            self._perform(m, action, payee_share_bps)

    @rule(
        index=st.integers(0, 50),
        choice=st.integers(0, 2),
        payee_share_bps=st.sampled_from([0, 1, 5_000, 9_999, 10_000]),
        hours_first=st.sampled_from([0, 0, 1, 12, 24, 72]),
    )
    def progress(self, index: int, choice: int, payee_share_bps: int, hours_first: int) -> None:
        """Maybe let time pass, then take a valid next step for an open milestone, so that
        lifecycles run to their end (deliver or refund, approve / dispute / release, resolve,
        settle or the dispute rule)."""
        if hours_first:
            advance(self.w3, hours_first * HOUR)
        open_milestones = [m for m in self.milestones if m.status in OPEN]
        if not open_milestones:
            return
        m = open_milestones[index % len(open_milestones)]
        now = self._now()
        if choice == 2:
            action = "settle"
        elif m.status is DealStatus.FUNDED:
            action = "deliver" if now <= m.deliver_by else "refund"
        elif m.status is DealStatus.DISPUTED:
            action = "resolve" if choice == 0 and now < m.rule_applies_at else "rule"
            if action == "rule" and now < m.rule_applies_at:
                advance(self.w3, m.terms.dispute_timeout)  # whole hours
        else:
            in_review = now < m.delivered_at + m.terms.review_period
            action = ("approve", "dispute" if in_review else "release")[choice]
        self._perform(m, action, payee_share_bps)

    def _settle_tx(self, m: ModelMilestone, payee_share_bps: int) -> dict[str, Any]:
        env = self.env
        deadline = self._now() + DAY
        message = {
            "dealId": "0x" + m.terms.deal_id.hex(),
            "milestone": m.index,
            "payeeShareBps": payee_share_bps,
            "deadline": deadline,
        }
        brand_sig, creator_sig = (
            bindings.sign_action("Settlement", message, key, env.chain_id, env.escrow.address)
            for key in (env.brand.key, env.creator.key)
        )
        return env.escrow.build_settle(
            m.terms, payee_share_bps, deadline, brand_sig, creator_sig, m.index
        )

    def _perform(self, m: ModelMilestone, action: str, payee_share_bps: int) -> None:
        terms, env, index = m.terms, self.env, m.index
        now = self._now()  # the next block is a few seconds later at most: far from any deadline
        review_ends = m.delivered_at + terms.review_period
        status = m.status
        disputed = status is DealStatus.DISPUTED
        plan: dict[str, tuple[Any, Actor, type[errors.ContractRevert] | None]] = {
            "deliver": (
                env.escrow.build_mark_delivered(terms.deal_id, b"\x01" * 32, index),
                env.creator,
                None
                if status is DealStatus.FUNDED and now <= m.deliver_by
                else errors.DeliveryDeadlinePassed
                if status is DealStatus.FUNDED
                else errors.WrongStatus,
            ),
            "approve": (
                env.escrow.build_approve_delivery(terms, index),
                env.brand,
                None if status is DealStatus.DELIVERED else errors.WrongStatus,
            ),
            "release": (
                env.escrow.build_release(terms, index),
                env.stranger,
                None
                if status is DealStatus.DELIVERED and now >= review_ends
                else errors.ReviewPeriodNotOver
                if status is DealStatus.DELIVERED
                else errors.WrongStatus,
            ),
            "refund": (
                env.escrow.build_refund(terms, index),
                env.brand,
                None
                if status is DealStatus.FUNDED and now > m.deliver_by
                else errors.DeliveryDeadlineNotPassed
                if status is DealStatus.FUNDED
                else errors.WrongStatus,
            ),
            "dispute": (
                env.escrow.build_dispute(terms, index),
                env.brand,
                None
                if status is DealStatus.DELIVERED and now < review_ends
                else errors.ReviewPeriodOver
                if status is DealStatus.DELIVERED
                else errors.WrongStatus,
            ),
            "resolve": (
                env.escrow.build_resolve(terms, payee_share_bps, index),
                env.arbiter,
                None
                if disputed and now < m.rule_applies_at
                else errors.ArbiterDeadlinePassed
                if disputed
                else errors.WrongStatus,
            ),
            "rule": (
                env.escrow.build_apply_dispute_rule(terms, index),
                env.stranger,
                None
                if disputed and now >= m.rule_applies_at
                else errors.DisputeRuleNotApplicable
                if disputed
                else errors.WrongStatus,
            ),
            "settle": (
                self._settle_tx(m, payee_share_bps),
                env.other,
                None if status in OPEN else errors.WrongStatus,
            ),
        }
        tx, actor, expected_error = plan[action]
        if expected_error is not None:
            try:
                self._send(tx, actor)
            except expected_error:
                return
            raise AssertionError(f"{action} on a {status.label} deal should fail")

        receipt = self._send(tx, actor)
        expected: list[tuple[str, str, int]] = []
        block_time = int(self.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
        if action == "deliver":
            m.status = DealStatus.DELIVERED
            m.delivered_at = block_time
        elif action in ("approve", "release"):
            m.status = DealStatus.RELEASED
            fee = terms.fee_amount(index)
            self._pay(env.treasury.address, terms.token, fee, "Fee", expected)
            self._pay_payees(terms, m.amount - fee, expected)
        elif action == "refund":
            m.status = DealStatus.REFUNDED
            self._pay(terms.brand, terms.token, m.amount, "Refund", expected)
        elif action == "dispute":
            m.status = DealStatus.DISPUTED
            m.disputed_at = block_time
        else:
            m.status = DealStatus.RESOLVED
            if action == "rule":
                payee_share_bps = terms.dispute_rule_payee_bps
            self._split(m, payee_share_bps, expected)
        assert self._payouts_logged(receipt) == Counter(expected)  # each payout exactly once
        assert env.escrow.deal_state(terms.deal_id, index).status is m.status

    @rule(accept=st.booleans())
    def set_refuser_accepting(self, accept: bool) -> None:
        tx = {
            "to": self.refuser.address,
            "data": self.refuser.encode_abi("setAccepting", args=[accept]),
            "value": 0,
            "chainId": self.env.chain_id,
        }
        self._send(tx, self.env.stranger)
        self.refuser_accepting = accept

    @rule(use_token=st.booleans())
    def refuser_withdraws(self, use_token: bool) -> None:
        token = self.tokens[1] if use_token else ZERO_ADDRESS
        withdraw = self.env.escrow.build_withdraw(token)["data"]
        tx = {
            "to": self.refuser.address,
            "data": self.refuser.encode_abi(
                "execute", args=[self.env.escrow.address, bytes.fromhex(withdraw[2:])]
            ),
            "value": 0,
            "chainId": self.env.chain_id,
        }
        key = (self.refuser.address, token)
        credit = self.credits[key]
        if credit == 0:
            expected_error: type[errors.ContractRevert] | None = errors.NothingToWithdraw
        elif token == ZERO_ADDRESS and not self.refuser_accepting:
            expected_error = errors.error_class("PaymentRefused")
        else:
            expected_error = None
        if expected_error is not None:
            try:
                self._send(tx, self.env.stranger)
            except expected_error:
                return
            raise AssertionError("withdraw should fail")
        self._send(tx, self.env.stranger)
        self.credits[key] = 0
        self.delta[key] += credit

    # ---------------------------------------------------------------- invariants

    def _book_requests(self) -> tuple[list[tuple[str, str]], list[tuple[str, list[Any]]]]:
        """The JSON-RPC reads behind the invariant, encoded once per example."""
        escrow = self.env.escrow
        keys = [(a, t) for a in [*self.accounts, escrow.address] for t in self.tokens]
        requests: list[tuple[str, list[Any]]] = []
        for account, token in keys:
            if token == ZERO_ADDRESS:
                requests.append(("eth_getBalance", [account, "latest"]))
            else:
                data = self.env.stablecoin.contract.encode_abi("balanceOf", args=[account])
                requests.append(("eth_call", [{"to": token, "data": data}, "latest"]))
        for account, token in keys:
            data = escrow.contract.encode_abi("creditOf", args=[account, token])
            requests.append(("eth_call", [{"to": escrow.address, "data": data}, "latest"]))
        return keys, requests

    def _read_books(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        """Every watched balance and on-chain credit, in one batched JSON-RPC round trip."""
        keys, requests = self._books
        responses = self.w3.provider.make_batch_request(requests)
        values = [int(response["result"], 16) for response in responses]
        return (
            dict(zip(keys, values[: len(keys)], strict=True)),
            dict(zip(keys, values[len(keys) :], strict=True)),
        )

    @invariant()
    def books_are_exact(self) -> None:
        balances, chain_credits = self._read_books()
        escrow_address = self.env.escrow.address
        for token in self.tokens:
            # The escrow holds the open milestones plus the credited balances, to the last unit.
            open_amounts = sum(
                m.amount for m in self.milestones if m.terms.token == token and m.status in OPEN
            )
            credited = sum(v for (_, t), v in self.credits.items() if t == token)
            held = balances[(escrow_address, token)] - self.escrow_start[token]
            assert held == open_amounts + credited
            # Every account has exactly what it was paid (net of what it sent and its gas).
            for account in self.accounts:
                expected = self.start[(account, token)] + self.delta[(account, token)]
                assert balances[(account, token)] == expected, (account, token)
                assert chain_credits[(account, token)] == self.credits[(account, token)]


def test_random_deal_sequences_keep_the_books_exact(env: Env) -> None:
    run_state_machine_as_test(
        lambda: EscrowMachine(env),
        settings=settings(
            max_examples=12,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            # Shrinking replays chain transactions for minutes; a failing run prints its (at most
            # 20-step) program anyway, which is short enough to read.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
