"""Deploy the contracts to a dev chain and print the addresses as JSON.

    python -m contracts.deploy --rpc-url http://127.0.0.1:8545 [--key 0x...] [--out deployment.json]

Deploys the escrow, the splitter factory and the test stablecoin (``bindings.deploy_local``). The
key defaults to anvil's first well-known development key, and only on the local chain id: on any
other chain a key must be given explicitly.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from web3 import Web3

from contracts.bindings import deploy_local
from contracts.localchain import DEV_PRIVATE_KEYS, LOCAL_CHAIN_ID


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.deploy", description=__doc__)
    parser.add_argument("--rpc-url", required=True)
    parser.add_argument("--key", help="deployer private key (default: anvil dev key 0, local only)")
    parser.add_argument("--arbiter", help="arbiter address (default: the deployer)")
    parser.add_argument("--treasury", help="treasury address (default: the deployer)")
    parser.add_argument("--fee-cap-bps", type=int, default=500)
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    args = parser.parse_args(argv)

    w3 = Web3(Web3.HTTPProvider(args.rpc_url, request_kwargs={"timeout": 30}))
    chain_id = int(w3.eth.chain_id)
    key = args.key
    if key is None:
        if chain_id != LOCAL_CHAIN_ID:
            print(f"chain {chain_id} is not the local chain: pass --key", file=sys.stderr)
            return 2
        key = DEV_PRIVATE_KEYS[0]
    deployment = deploy_local(
        w3, key, arbiter=args.arbiter, treasury=args.treasury, fee_cap_bps=args.fee_cap_bps
    )
    text = json.dumps(asdict(deployment), indent=2, sort_keys=True)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
