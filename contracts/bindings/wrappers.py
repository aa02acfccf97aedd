"""Typed wrappers of the deployed contracts: reads, and unsigned transactions to sign."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypedDict

from eth_utils import to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError

from contracts import errors
from contracts.bindings.artifacts import abi_of
from contracts.bindings.encoding import bytes32, normalize_token, signature_bytes
from contracts.bindings.terms import DISPUTE_TIMEOUT, DealTerms


class UnsignedTx(TypedDict):
    to: str
    data: str
    value: int
    chainId: int


def _call(fn: Any, *args: Any) -> Any:
    """Run a contract read, turning a revert into the typed exception."""
    try:
        return fn(*args).call()
    except ContractLogicError as exc:
        raise errors.from_web3_error(exc) from exc


class DealStatus(IntEnum):
    NONE = 0
    FUNDED = 1
    DELIVERED = 2
    RELEASED = 3
    REFUNDED = 4
    DISPUTED = 5
    RESOLVED = 6

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class DealState:
    """What the escrow stores per deal (keyed by ``DealTerms.deal_id``): status, delivery time and
    dispute time (each 0 until it happens)."""

    status: DealStatus
    delivered_at: int
    disputed_at: int

    @property
    def stale_dispute_after(self) -> int | None:
        """When anyone may settle the dispute by the default rule (None unless disputed)."""
        if self.status is not DealStatus.DISPUTED:
            return None
        return self.disputed_at + DISPUTE_TIMEOUT


class _Wrapper:
    contract_name: str

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.address = to_checksum_address(address)
        self.contract = w3.eth.contract(address=self.address, abi=abi_of(self.contract_name))
        self._chain_id: int | None = None

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def _tx(self, function_name: str, *args: Any, value: int = 0) -> UnsignedTx:
        return {
            "to": self.address,
            "data": self.contract.encode_abi(function_name, args=list(args)),
            "value": int(value),
            "chainId": self.chain_id,
        }

    def _read(self, function_name: str, *args: Any) -> Any:
        return _call(getattr(self.contract.functions, function_name), *args)


class EscrowContract(_Wrapper):
    contract_name = "CollabEscrow"

    # reads
    def deal_state(self, deal_id: bytes | str) -> DealState:
        """The stored state of the deal with this id (``DealTerms.deal_id``)."""
        delivered_at, disputed_at, status = self._read("getDeal", bytes32(deal_id))
        return DealState(DealStatus(status), int(delivered_at), int(disputed_at))

    def deal_id_of(self, terms: DealTerms) -> bytes:
        """The escrow's own computation of ``terms.deal_id`` (for cross-checks)."""
        return bytes(self._read("dealIdOf", terms.as_abi()))

    def credit_of(self, account: str, token: str | None = None) -> int:
        return self._read("creditOf", to_checksum_address(account), normalize_token(token))

    def hash_terms(self, terms: DealTerms) -> bytes:
        return bytes(self._read("hashTerms", terms.as_abi()))

    def domain_separator(self) -> bytes:
        return bytes(self._read("domainSeparator"))

    def owner(self) -> str:
        return self._read("owner")

    def pending_owner(self) -> str:
        return self._read("pendingOwner")

    def arbiter(self) -> str:
        return self._read("arbiter")

    def treasury(self) -> str:
        return self._read("treasury")

    def platform_fee_cap_bps(self) -> int:
        return self._read("platformFeeCapBps")

    def paused(self) -> bool:
        return self._read("paused")

    def typed_data(self, terms: DealTerms) -> dict[str, Any]:
        return terms.typed_data(self.chain_id, self.address)

    # deal actions (unsigned transactions)
    def build_create_deal(self, terms: DealTerms, creator_signature: bytes | str) -> UnsignedTx:
        """Brand: fund the deal (ETH as value; ERC-20 needs ``Erc20.build_approve`` first)."""
        signature = signature_bytes(creator_signature)
        value = terms.amount if terms.is_eth else 0
        return self._tx("createDeal", terms.as_abi(), signature, value=value)

    def build_mark_delivered(self, terms: DealTerms, deliverable_hash: bytes | str) -> UnsignedTx:
        """Creator: the deliverable (identified off chain by its hash) is out."""
        return self._tx("markDelivered", terms.as_abi(), bytes32(deliverable_hash))

    def build_approve(self, terms: DealTerms) -> UnsignedTx:
        return self._tx("approve", terms.as_abi())

    def build_release(self, terms: DealTerms) -> UnsignedTx:
        return self._tx("release", terms.as_abi())

    def build_refund(self, terms: DealTerms) -> UnsignedTx:
        return self._tx("refund", terms.as_abi())

    def build_dispute(self, terms: DealTerms) -> UnsignedTx:
        return self._tx("dispute", terms.as_abi())

    def build_resolve(self, terms: DealTerms, payee_share_bps: int) -> UnsignedTx:
        return self._tx("resolve", terms.as_abi(), int(payee_share_bps))

    def build_settle_stale_dispute(self, terms: DealTerms) -> UnsignedTx:
        """Anyone, ``DISPUTE_TIMEOUT`` after the dispute: the default rule (an even split)."""
        return self._tx("settleStaleDispute", terms.as_abi())

    def build_withdraw(self, token: str | None = None) -> UnsignedTx:
        return self._tx("withdraw", normalize_token(token))

    def build_withdraw_to(self, token: str | None, to: str) -> UnsignedTx:
        return self._tx("withdrawTo", normalize_token(token), to_checksum_address(to))

    # admin (owner)
    def build_set_arbiter(self, arbiter: str) -> UnsignedTx:
        return self._tx("setArbiter", to_checksum_address(arbiter))

    def build_set_treasury(self, treasury: str) -> UnsignedTx:
        return self._tx("setTreasury", to_checksum_address(treasury))

    def build_set_platform_fee_cap(self, cap_bps: int) -> UnsignedTx:
        return self._tx("setPlatformFeeCap", int(cap_bps))

    def build_pause(self) -> UnsignedTx:
        return self._tx("pause")

    def build_unpause(self) -> UnsignedTx:
        return self._tx("unpause")

    def build_transfer_ownership(self, new_owner: str) -> UnsignedTx:
        return self._tx("transferOwnership", to_checksum_address(new_owner))

    def build_accept_ownership(self) -> UnsignedTx:
        return self._tx("acceptOwnership")


class Erc20(_Wrapper):
    contract_name = "TestStablecoin"  # any ERC-20: only standard functions are used, plus mint

    def balance_of(self, account: str) -> int:
        return self._read("balanceOf", to_checksum_address(account))

    def allowance(self, owner: str, spender: str) -> int:
        return self._read("allowance", to_checksum_address(owner), to_checksum_address(spender))

    def decimals(self) -> int:
        return self._read("decimals")

    def symbol(self) -> str:
        return self._read("symbol")

    def total_supply(self) -> int:
        return self._read("totalSupply")

    def build_approve(self, spender: str, amount: int) -> UnsignedTx:
        return self._tx("approve", to_checksum_address(spender), int(amount))

    def build_transfer(self, to: str, amount: int) -> UnsignedTx:
        return self._tx("transfer", to_checksum_address(to), int(amount))

    def build_mint(self, to: str, amount: int) -> UnsignedTx:
        """Test stablecoin faucet (open mint); real tokens have no such function."""
        return self._tx("mint", to_checksum_address(to), int(amount))


class SplitterFactoryContract(_Wrapper):
    contract_name = "SplitterFactory"

    def implementation(self) -> str:
        return self._read("implementation")

    def predict(self, payees: Sequence[str], shares_bps: Sequence[int]) -> str:
        return self._read("predict", *_split_args(payees, shares_bps))

    def build_create_splitter(self, payees: Sequence[str], shares_bps: Sequence[int]) -> UnsignedTx:
        return self._tx("createSplitter", *_split_args(payees, shares_bps))


class SplitterContract(_Wrapper):
    contract_name = "RevenueSplitter"

    def payees(self) -> tuple[list[str], list[int]]:
        accounts, shares = self._read("payees")
        return [to_checksum_address(a) for a in accounts], list(shares)

    def credit_of(self, account: str, token: str | None = None) -> int:
        return self._read("creditOf", to_checksum_address(account), normalize_token(token))

    def total_credited(self, token: str | None = None) -> int:
        return self._read("totalCredited", normalize_token(token))

    def build_distribute(self, token: str | None = None) -> UnsignedTx:
        return self._tx("distribute", normalize_token(token))

    def build_withdraw(self, token: str | None = None) -> UnsignedTx:
        return self._tx("withdraw", normalize_token(token))

    def build_withdraw_to(self, token: str | None, to: str) -> UnsignedTx:
        return self._tx("withdrawTo", normalize_token(token), to_checksum_address(to))


def _split_args(payees: Sequence[str], shares_bps: Sequence[int]) -> tuple[list[str], list[int]]:
    return [to_checksum_address(p) for p in payees], [int(s) for s in shares_bps]
