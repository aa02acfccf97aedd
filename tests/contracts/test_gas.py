"""Gas budgets: the escrow lifecycle and a splitter distribution against plain transfers."""

from __future__ import annotations

from bench.gasreport import measure
from tests.contracts.env import Env

PERMIT_GUARD = 1.70  # measured 1.65x (goal 1.7x)
EXTRA_MILESTONE_GUARD = 147_700  # measured 143,362 gas
RELAYED_DELIVERY_GUARD = 60_800  # measured 58,966 gas (first nonce of a creator)


def test_gas_budgets_hold(env: Env) -> None:
    scenarios = {scenario.name: scenario for scenario in measure(env)}
    eth = scenarios["escrow, ETH, no platform fee"]
    assert eth.floor == 4 * 21_000  # the payees are existing accounts, as in the lifecycle
    assert scenarios["splitter distribute, ETH, 4 payees"].ratio <= 0.9
    # Regression guards at the measured level (+3%), not goals (bench/gas.py prints those).
    assert eth.ratio <= 2.30, eth.steps  # measured 2.23x (goal 2.0x: out of reach, see bench)
    assert scenarios["escrow, ETH, 2.5% fee to the treasury"].ratio <= 2.47
    assert scenarios["escrow, stablecoin, no platform fee"].ratio <= 2.02
    permit = scenarios["escrow, stablecoin, permit (one tx from the brand), no platform fee"]
    assert permit.ratio <= PERMIT_GUARD, permit.steps
    three = scenarios["escrow, ETH, 3 milestones, no platform fee"]
    assert (three.total - eth.total) // 2 <= EXTRA_MILESTONE_GUARD, three.steps
    relayed = dict(scenarios["relayed deliveries (relayer's gas)"].steps)
    assert max(relayed.values()) <= RELAYED_DELIVERY_GUARD, relayed
