"""Estimate and send a transaction with a local key (demo, tests, the dev wallet)."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3RPCError

from contracts import errors


def estimate_gas(w3: Web3, tx: dict[str, Any], sender: str) -> int:
    """Gas estimate for ``tx`` sent by ``sender``; a revert raises the typed ContractRevert."""
    request = {key: value for key, value in tx.items() if key in ("to", "data", "value")}
    request["from"] = to_checksum_address(sender)
    try:
        return int(w3.eth.estimate_gas(request))
    except ContractLogicError as exc:
        raise errors.from_web3_error(exc) from exc


def send(
    w3: Web3,
    tx: dict[str, Any],
    private_key: str,
    *,
    gas: int | None = None,
    timeout: float = 120.0,
) -> Any:
    """Fill nonce, gas and EIP-1559 fees, sign with eth-account, send, wait for the receipt.

    A revert (at estimation, or of the mined transaction) raises the typed ContractRevert. For the
    local demo and tests only: real users sign in their own wallets.
    """
    account = Account.from_key(private_key)
    chain_id = int(tx.get("chainId") or w3.eth.chain_id)
    full: dict[str, Any] = {
        "from": account.address,
        "data": tx.get("data", "0x"),
        "value": int(tx.get("value", 0)),
        "chainId": chain_id,
    }
    if tx.get("to"):
        full["to"] = to_checksum_address(tx["to"])
    if gas is None:
        # Margin over the estimate: state may move between estimation and inclusion.
        gas = estimate_gas(w3, full, account.address) * 6 // 5 + 10_000
    full["gas"] = int(gas)
    full["nonce"] = w3.eth.get_transaction_count(account.address, "pending")
    base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas", 0))
    priority_fee = int(w3.eth.max_priority_fee)
    full["maxPriorityFeePerGas"] = priority_fee
    full["maxFeePerGas"] = 2 * base_fee + priority_fee
    signed = account.sign_transaction(full)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
    if receipt["status"] != 1:
        raise _replay_revert(w3, full, receipt["blockNumber"])
    return receipt


def _replay_revert(w3: Web3, tx: dict[str, Any], block_number: int) -> errors.ContractRevert:
    """Re-run a mined, reverted transaction as a call on its parent state to learn the reason."""
    call = {key: tx[key] for key in ("from", "to", "data", "value", "gas") if key in tx}
    try:
        w3.eth.call(call, block_number - 1)
    except ContractLogicError as exc:
        return errors.from_web3_error(exc) or errors.UnknownRevert()
    except Web3RPCError as exc:  # e.g. out of gas: no revert data to decode
        message = (
            str(exc.rpc_response.get("error", {}).get("message", exc))
            if exc.rpc_response
            else str(exc)
        )
        return errors.UnknownRevert(message, named_args={"message": message})
    return errors.UnknownRevert(
        "reverted", named_args={"message": "reverted", "block": block_number}
    )
