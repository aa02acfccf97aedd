"""Stateful property test: random deals and actions in ETH and the stablecoin keep the books exact.

After every step: the escrow holds, per token, exactly the open deals' amounts plus the credited
balances; every account's balance equals what the model says it should have received (payees get
floor(amount * share / 10,000), the creator the dust, the treasury the fee), to the last unit and
net of gas; each release or resolution logs each payout once. Amounts run from 1 unit to 2^250
(full-precision arithmetic: nothing overflows, nothing locks). Disputes end by the arbiter or, once
the 30-day timeout has passed, by anyone applying the default even split. Deadlines sit 30 minutes
off the hour and time moves in whole hours, so no step lands on a boundary.
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
class ModelDeal:
    terms: DealTerms
    status: DealStatus = DealStatus.FUNDED
    delivered_at: int = 0
    disputed_at: int = 0


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
        self.deals: list[ModelDeal] = []
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
    }

    @initialize(deals=st.lists(st.fixed_dictionaries(deal_params), min_size=2, max_size=3))
    def open_some_deals(self, deals: list[dict[str, Any]]) -> None:
        for params in deals:
            self.create_deal(**params)

    @rule(**deal_params)
    def create_deal(self, use_token: bool, amount: int, split: str, fee_bps: int) -> None:
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
        terms = env.terms(
            token=token,
            amount=amount,
            payees=payees,
            shares_bps=shares,
            platform_fee_bps=fee_bps,
            deliver_by=now + 2 * DAY + 30 * 60,
            review_period=DAY + 30 * 60,
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
        self.deals.append(ModelDeal(terms))

    @rule(
        index=st.integers(0, 50),
        action=st.sampled_from(
            ["deliver", "approve", "release", "refund", "dispute", "resolve", "settle"]
        ),
        payee_share_bps=st.sampled_from([0, 1, 5_000, 9_999, 10_000]),
    )
    def act(self, index: int, action: str, payee_share_bps: int) -> None:
        """Any action on any deal: mostly exercises the revert paths."""
        if self.deals:
            self._perform(self.deals[index % len(self.deals)], action, payee_share_bps)

    @rule(
        index=st.integers(0, 50),
        choice=st.integers(0, 2),
        payee_share_bps=st.sampled_from([0, 1, 5_000, 9_999, 10_000]),
        hours_first=st.sampled_from([0, 0, 1, 12, 24, 72]),
    )
    def progress(self, index: int, choice: int, payee_share_bps: int, hours_first: int) -> None:
        """Maybe let time pass, then take a valid next step for an open deal, so that
        lifecycles run to their end (deliver or refund, approve / dispute / release, resolve)."""
        if hours_first:
            advance(self.w3, hours_first * HOUR)
        open_deals = [deal for deal in self.deals if deal.status in OPEN]
        if not open_deals:
            return
        deal = open_deals[index % len(open_deals)]
        now = self._now()
        if deal.status is DealStatus.FUNDED:
            action = "deliver" if now <= deal.terms.deliver_by else "refund"
        elif deal.status is DealStatus.DISPUTED:
            action = "resolve" if choice % 2 else "settle"
            if action == "settle" and now < deal.disputed_at + bindings.DISPUTE_TIMEOUT:
                advance(self.w3, bindings.DISPUTE_TIMEOUT)  # 720 whole hours
        else:
            in_review = now < deal.delivered_at + deal.terms.review_period
            options = ["approve", "dispute" if in_review else "release"]
            action = options[choice % 2]
        self._perform(deal, action, payee_share_bps)

    def _perform(self, deal: ModelDeal, action: str, payee_share_bps: int) -> None:
        terms, env = deal.terms, self.env
        now = self._now()  # the next block is a few seconds later at most: far from any deadline
        review_ends = deal.delivered_at + terms.review_period
        status = deal.status
        plan: dict[str, tuple[Any, Actor, type[errors.ContractRevert] | None]] = {
            "deliver": (
                env.escrow.build_mark_delivered(terms, b"\x01" * 32),
                env.creator,
                None
                if status is DealStatus.FUNDED and now <= terms.deliver_by
                else errors.DeliveryDeadlinePassed
                if status is DealStatus.FUNDED
                else errors.WrongStatus,
            ),
            "approve": (
                env.escrow.build_approve(terms),
                env.brand,
                None if status is DealStatus.DELIVERED else errors.WrongStatus,
            ),
            "release": (
                env.escrow.build_release(terms),
                env.stranger,
                None
                if status is DealStatus.DELIVERED and now >= review_ends
                else errors.ReviewPeriodNotOver
                if status is DealStatus.DELIVERED
                else errors.WrongStatus,
            ),
            "refund": (
                env.escrow.build_refund(terms),
                env.brand,
                None
                if status is DealStatus.FUNDED and now > terms.deliver_by
                else errors.DeliveryDeadlineNotPassed
                if status is DealStatus.FUNDED
                else errors.WrongStatus,
            ),
            "dispute": (
                env.escrow.build_dispute(terms),
                env.brand,
                None
                if status is DealStatus.DELIVERED and now < review_ends
                else errors.ReviewPeriodOver
                if status is DealStatus.DELIVERED
                else errors.WrongStatus,
            ),
            "resolve": (
                env.escrow.build_resolve(terms, payee_share_bps),
                env.arbiter,
                None if status is DealStatus.DISPUTED else errors.WrongStatus,
            ),
            "settle": (
                env.escrow.build_settle_stale_dispute(terms),
                env.stranger,
                None
                if status is DealStatus.DISPUTED
                and now >= deal.disputed_at + bindings.DISPUTE_TIMEOUT
                else errors.DisputeTimeoutNotOver
                if status is DealStatus.DISPUTED
                else errors.WrongStatus,
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
        if action == "deliver":
            deal.status = DealStatus.DELIVERED
            deal.delivered_at = int(self.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
        elif action in ("approve", "release"):
            deal.status = DealStatus.RELEASED
            self._pay(env.treasury.address, terms.token, terms.fee_amount(), "Fee", expected)
            self._pay_payees(terms, terms.amount - terms.fee_amount(), expected)
        elif action == "refund":
            deal.status = DealStatus.REFUNDED
            self._pay(terms.brand, terms.token, terms.amount, "Refund", expected)
        elif action == "dispute":
            deal.status = DealStatus.DISPUTED
            deal.disputed_at = int(self.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
        else:
            deal.status = DealStatus.RESOLVED
            if action == "settle":
                payee_share_bps = bindings.STALE_DISPUTE_PAYEE_SHARE_BPS
            awarded = terms.amount * payee_share_bps // 10_000
            fee = awarded * terms.platform_fee_bps // 10_000
            self._pay(env.treasury.address, terms.token, fee, "Fee", expected)
            self._pay_payees(terms, awarded - fee, expected)
            self._pay(terms.brand, terms.token, terms.amount - awarded, "Refund", expected)
        assert self._payouts_logged(receipt) == Counter(expected)  # each payout exactly once
        assert env.escrow.deal_state(terms.deal_id).status is deal.status

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
            # The escrow holds the open deals plus the credited balances, to the last unit.
            open_amounts = sum(
                d.terms.amount for d in self.deals if d.terms.token == token and d.status in OPEN
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
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            # Shrinking replays chain transactions for minutes; a failing run prints its (at most
            # 20-step) program anyway, which is short enough to read.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
