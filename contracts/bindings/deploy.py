"""Deploy the contracts (a local chain, or a testnet with ``python -m contracts.deploy``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address
from web3 import Web3

from contracts.bindings.artifacts import load_artifact
from contracts.bindings.transactions import send


@dataclass(frozen=True)
class Deployment:
    escrow_address: str
    splitter_factory_address: str
    stablecoin_address: str
    chain_id: int = 0
    start_block: int = 0  # first block the indexer needs to scan


def deploy(w3: Web3, contract_name: str, *constructor_args: Any, private_key: str) -> str:
    """Deploy an artifact's contract; returns its checksummed address."""
    artifact = load_artifact(contract_name)
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    data = factory.constructor(*constructor_args).data_in_transaction
    receipt = send(w3, {"data": data, "value": 0, "chainId": int(w3.eth.chain_id)}, private_key)
    return to_checksum_address(receipt["contractAddress"])


def deploy_escrow(
    w3: Web3,
    deployer_key: str,
    *,
    owner: str | None = None,
    arbiter: str | None = None,
    treasury: str | None = None,
    fee_cap_bps: int = 500,
) -> str:
    deployer = Account.from_key(deployer_key).address
    return deploy(
        w3,
        "CollabEscrow",
        to_checksum_address(owner or deployer),
        to_checksum_address(arbiter or deployer),
        to_checksum_address(treasury or deployer),
        int(fee_cap_bps),
        private_key=deployer_key,
    )


def deploy_splitter_factory(w3: Web3, deployer_key: str) -> str:
    return deploy(w3, "SplitterFactory", private_key=deployer_key)


def deploy_stablecoin(w3: Web3, deployer_key: str) -> str:
    return deploy(w3, "TestStablecoin", private_key=deployer_key)


def deploy_local(
    w3: Web3,
    deployer_key: str,
    *,
    arbiter: str | None = None,
    treasury: str | None = None,
    fee_cap_bps: int = 500,
) -> Deployment:
    """Escrow + splitter factory + test stablecoin on a dev chain (the deployer is owner, and
    arbiter and treasury unless given)."""
    start_block = int(w3.eth.block_number) + 1
    escrow_address = deploy_escrow(
        w3, deployer_key, arbiter=arbiter, treasury=treasury, fee_cap_bps=fee_cap_bps
    )
    return Deployment(
        escrow_address=escrow_address,
        splitter_factory_address=deploy_splitter_factory(w3, deployer_key),
        stablecoin_address=deploy_stablecoin(w3, deployer_key),
        chain_id=int(w3.eth.chain_id),
        start_block=start_block,
    )
