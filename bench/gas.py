"""Gas of the escrow lifecycle and of a splitter distribution, against plain transfers.

    python bench/gas.py

Starts its own anvil node, deploys fresh contracts, runs: the one-milestone ETH lifecycle
(createDeal + fund, markDelivered, approveDelivery) with 1 creator, 2 designers and 1 charity,
with and without a platform fee; three milestones (the marginal cost of each extra one); a
creator with no ETH whose deliveries a relayer sends; a mutual settlement and a dispute ended by
the rule in the terms; the stablecoin lifecycle with approve + create and with a permit (one
transaction from the brand); `distribute` on a 4-payee splitter; and the creation and stablecoin
distribution of the demo collection's 6-payee split. Each is compared with plain transfers to the
same (existing) accounts, measured in the same run. Under the ETH ratio it prints the part of
that lifecycle no implementation could avoid without changing the ABI, the events or the storage
(calldata, logs, storage, value calls, ecrecover, pause check, reentrancy guard).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from web3 import Web3  # noqa: E402

from bench.gasreport import eth_lifecycle_lower_bound, format_report, measure  # noqa: E402
from contracts.localchain import DEV_PRIVATE_KEYS, Anvil  # noqa: E402
from tests.contracts.env import deploy_env  # noqa: E402

ESCROW_GOAL = 2.0  # issue 14: one-milestone ETH lifecycle, 4 payees
PERMIT_GOAL = 1.7  # issue 14: stablecoin funded with a permit in one transaction
SPLITTER_GOAL = 0.9


def main() -> int:
    with Anvil() as node:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 30}))
        env = deploy_env(w3, DEV_PRIVATE_KEYS)
        scenarios = measure(env)
        lifecycle, unavoidable = eth_lifecycle_lower_bound(env)
    print(format_report(scenarios))
    by_name = {scenario.name: scenario for scenario in scenarios}
    eth = by_name["escrow, ETH, no platform fee"]
    eth_fee = by_name["escrow, ETH, 2.5% fee to the treasury"]
    token = by_name["escrow, stablecoin, no platform fee"]
    permit = by_name["escrow, stablecoin, permit (one tx from the brand), no platform fee"]
    three = by_name["escrow, ETH, 3 milestones, no platform fee"]
    relayed = dict(by_name["relayed deliveries (relayer's gas)"].steps)
    splitter = by_name["splitter distribute, ETH, 4 payees"]
    print(
        f"ETH lifecycle, 1 milestone / 4 plain ETH transfers: {eth.ratio:.2f}x "
        f"(goal <= {ESCROW_GOAL}x; with a 2.5% fee pushed to the treasury {eth_fee.ratio:.2f}x)"
    )
    print(
        f"  unavoidable part (ABI, events, one slot per milestone, pause check and guard as "
        f"they are): {unavoidable:,} of {lifecycle:,} gas = {unavoidable / eth.floor:.3f}x"
    )
    print(
        f"stablecoin with permit / 4 plain ERC-20 transfers: {permit.ratio:.2f}x "
        f"(goal <= {PERMIT_GOAL}x; approve + createDeal {token.ratio:.2f}x)"
    )
    print(
        f"each extra milestone (create share + deliver + approve): "
        f"{(three.total - eth.total) // 2:,} gas"
    )
    for step, gas in relayed.items():
        print(f"relayer gas, {step}: {gas:,}")
    print(
        f"splitter distribute / 4 plain ETH transfers:    {splitter.ratio:.2f}x "
        f"(goal <= {SPLITTER_GOAL}x)"
    )
    created = by_name["collection split creation, 6 payees"]
    collection = by_name["collection split distribute, stablecoin, 6 payees"]
    print(
        f"collection split (6 payees, stablecoin): creation {created.total:,} gas once, "
        f"distribute {collection.total:,} gas = {collection.ratio:.2f}x 6 plain ERC-20 transfers"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
