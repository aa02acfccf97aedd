"""Decoded contract logs, from a block range or a receipt."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eth_utils import keccak, to_checksum_address
from web3 import Web3

from contracts import errors
from contracts.bindings.artifacts import abi_of
from contracts.bindings.encoding import json_safe, to_hex


@dataclass(frozen=True)
class ContractEvent:
    """One decoded log: addresses checksummed, ints as ints, bytes as 0x-hex strings."""

    name: str
    args: dict[str, Any]
    block_number: int
    tx_hash: str
    log_index: int
    address: str
    block_timestamp: int | None = field(default=None, compare=False)


@cache
def _event_abi(contract_name: str) -> tuple[Any, dict[bytes, str]]:
    """A contract object to decode with, and its event names by topic 0."""
    topics: dict[bytes, str] = {}
    for item in abi_of(contract_name):
        if item["type"] == "event":
            types = ",".join(errors._abi_type(param) for param in item["inputs"])
            topics[keccak(text=f"{item['name']}({types})")] = item["name"]
    return Web3().eth.contract(abi=abi_of(contract_name)), topics


def decode_log(log: Any, contract_name: str, block_timestamp: int | None = None):
    """One log as a ContractEvent of this contract type, or None when it is not one of its
    events (an inherited contract's event we do not model, or an anonymous log)."""
    contract, topics = _event_abi(contract_name)
    name = topics.get(bytes(log["topics"][0])) if log["topics"] else None
    if name is None:
        return None
    decoded = getattr(contract.events, name)().process_log(log)
    return ContractEvent(
        name=name,
        args={key: json_safe(value) for key, value in decoded["args"].items()},
        block_number=int(log["blockNumber"]),
        tx_hash=to_hex(bytes(log["transactionHash"])),
        log_index=int(log["logIndex"]),
        address=to_checksum_address(log["address"]),
        block_timestamp=block_timestamp,
    )


def fetch_contract_events(
    w3: Web3,
    contract_name: str,
    address: str | Iterable[str],
    from_block: int,
    to_block: int | str = "latest",
    *,
    with_timestamps: bool = False,
) -> list[ContractEvent]:
    """Decoded logs of one contract type at one or more addresses, in chain order."""
    addresses = [address] if isinstance(address, str) else list(address)
    addresses = [to_checksum_address(a) for a in addresses]
    if not addresses:
        return []
    logs = w3.eth.get_logs(
        {
            "address": addresses if len(addresses) > 1 else addresses[0],
            "fromBlock": from_block,
            "toBlock": to_block,
        }
    )
    timestamps: dict[int, int] = {}
    events: list[ContractEvent] = []
    for log in logs:
        timestamp = None
        if with_timestamps:
            block_number = int(log["blockNumber"])
            if block_number not in timestamps:
                timestamps[block_number] = int(w3.eth.get_block(block_number)["timestamp"])
            timestamp = timestamps[block_number]
        if (event := decode_log(log, contract_name, timestamp)) is not None:
            events.append(event)
    events.sort(key=lambda event: (event.block_number, event.log_index))
    return events


def fetch_events(
    w3: Web3,
    escrow_address: str,
    from_block: int,
    to_block: int | str = "latest",
    *,
    with_timestamps: bool = False,
) -> list[ContractEvent]:
    """The escrow's decoded events between two blocks (inclusive), in chain order."""
    return fetch_contract_events(
        w3, "CollabEscrow", escrow_address, from_block, to_block, with_timestamps=with_timestamps
    )


def fetch_splitter_events(
    w3: Web3,
    splitter_addresses: str | Iterable[str],
    from_block: int,
    to_block: int | str = "latest",
    *,
    with_timestamps: bool = False,
) -> list[ContractEvent]:
    return fetch_contract_events(
        w3,
        "RevenueSplitter",
        splitter_addresses,
        from_block,
        to_block,
        with_timestamps=with_timestamps,
    )


def fetch_events_of_type(
    w3: Web3,
    contract_name: str,
    from_block: int,
    to_block: int | str,
    keep: Callable[[str], bool],
) -> list[ContractEvent]:
    """Logs of this contract type's events from any address `keep` accepts, found by their
    topics rather than by address: for a growing set of contracts (every splitter a factory
    made) one query whatever its size. The caller decides which addresses are really of that
    type (another contract may emit an event of the same signature)."""
    _, topics = _event_abi(contract_name)
    logs = w3.eth.get_logs(
        {"fromBlock": from_block, "toBlock": to_block, "topics": [[to_hex(t) for t in topics]]}
    )
    events = [
        decode_log(log, contract_name) for log in logs if keep(to_checksum_address(log["address"]))
    ]
    found = [event for event in events if event is not None]
    found.sort(key=lambda event: (event.block_number, event.log_index))
    return found


def events_in_receipt(receipt: Any, contract_name: str = "CollabEscrow") -> list[ContractEvent]:
    """Decode the logs of one receipt (any address) against a contract's event ABI."""
    events = (decode_log(log, contract_name) for log in receipt["logs"])
    return [event for event in events if event is not None]
