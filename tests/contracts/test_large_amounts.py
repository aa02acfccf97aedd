"""Any uint256 amount pays out exactly: full-precision fee and share arithmetic (``Math.mulDiv``
when a product would not fit 256 bits).

Issue 10, finding 10: amounts near 2^250 overflowed ``amount * bps`` at release and resolution,
after which the deal could be neither released, resolved nor refunded: the funds were locked.
The test stablecoin can mint up to 2^256 - 1; ETH on anvil cannot (the hypothesis test in
``test_invariants.py`` runs ETH deals up to 2^126 and stablecoin deals up to 2^250).
"""

from __future__ import annotations

import pytest

from contracts import bindings
from contracts.bindings import DealStatus, send
from tests.contracts.env import Env, advance

# 2^240 - 1 is the largest amount paid with one multiplication, 2^245 the smallest here that
# would overflow it (above 2^256 / 10,000), so it must take the full-precision path.
AMOUNTS = [2**240 - 1, 2**245 + 12_345, 2**250 + 12_345, 2**256 - 1]
AMOUNT_IDS = ["2^240-1", "2^245", "2^250", "2^256-1"]
SHARES_BPS = (5001, 3333, 1333, 333)  # floors leave dust for the creator


def _delivered_token_deal(env: Env, amount: int) -> bindings.DealTerms:
    terms = env.terms(
        token=env.stablecoin.address,
        amount=amount,
        shares_bps=SHARES_BPS,
        platform_fee_bps=250,
    )
    env.create(terms)
    env.deliver(terms)
    return terms


def _balances(env: Env, terms: bindings.DealTerms) -> dict[str, int]:
    watched = (*terms.payees, env.treasury.address, env.brand.address, env.escrow.address)
    return {account: env.stablecoin.balance_of(account) for account in watched}


@pytest.mark.parametrize("amount", AMOUNTS, ids=AMOUNT_IDS)
def test_release_of_a_huge_amount_pays_exactly(env: Env, amount: int) -> None:
    terms = _delivered_token_deal(env, amount)
    assert _balances(env, terms)[env.escrow.address] == amount

    send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)

    fee = amount * 250 // 10_000
    net = amount - fee
    others = [net * share // 10_000 for share in SHARES_BPS[1:]]
    expected = {
        env.creator.address: net - sum(others),
        env.designer1.address: others[0],
        env.designer2.address: others[1],
        env.charity.address: others[2],
        env.treasury.address: fee,
        env.brand.address: 0,
        env.escrow.address: 0,
    }
    assert _balances(env, terms) == expected
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.RELEASED


@pytest.mark.parametrize("amount", AMOUNTS, ids=AMOUNT_IDS)
@pytest.mark.parametrize("ending", ["resolve", "settle"])
def test_a_dispute_over_a_huge_amount_ends_with_exact_payouts(
    env: Env, amount: int, ending: str
) -> None:
    terms = _delivered_token_deal(env, amount)
    send(env.w3, env.escrow.build_dispute(terms), env.brand.key)
    if ending == "resolve":
        payee_share_bps = 3_333
        send(env.w3, env.escrow.build_resolve(terms, payee_share_bps), env.arbiter.key)
    else:
        payee_share_bps = terms.dispute_rule_payee_bps
        advance(env.w3, terms.dispute_timeout)
        send(env.w3, env.escrow.build_apply_dispute_rule(terms), env.stranger.key)

    awarded = amount * payee_share_bps // 10_000
    fee = awarded * 250 // 10_000
    to_payees = awarded - fee
    others = [to_payees * share // 10_000 for share in SHARES_BPS[1:]]
    expected = {
        env.creator.address: to_payees - sum(others),
        env.designer1.address: others[0],
        env.designer2.address: others[1],
        env.charity.address: others[2],
        env.treasury.address: fee,
        env.brand.address: amount - awarded,
        env.escrow.address: 0,
    }
    assert _balances(env, terms) == expected
    assert terms.resolution(payee_share_bps) == (
        fee,
        [expected[payee] for payee in terms.payees],
        amount - awarded,
    )
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.RESOLVED


def test_refund_of_the_largest_amount(env: Env) -> None:
    terms = env.terms(token=env.stablecoin.address, amount=2**256 - 1)
    env.create(terms)
    advance(env.w3, terms.deliver_by - env.now() + 1)
    send(env.w3, env.escrow.build_refund(terms), env.brand.key)
    assert env.stablecoin.balance_of(env.brand.address) == 2**256 - 1
    assert env.stablecoin.balance_of(env.escrow.address) == 0
