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
from contracts.bindings.encoding import bytes32, normalize_token, signature_bytes, to_hex
from contracts.bindings.terms import DealTerms, action_typed_data, eip712_types

# EIP-2612's Permit, as the token's own EIP-712 domain names it.
PERMIT_FIELDS = (
    ("owner", "address"),
    ("spender", "address"),
    ("value", "uint256"),
    ("nonce", "uint256"),
    ("deadline", "uint256"),
)


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
    """What the escrow stores per milestone (keyed by ``DealTerms.deal_id`` and the milestone's
    index): status, the creator, the current deadline (the delivery deadline while funded, the
    arbiter's deadline once disputed) and the delivery time (0 until delivered)."""

    status: DealStatus
    creator: str
    deadline: int
    delivered_at: int

    @property
    def dispute_rule_applies_at(self) -> int | None:
        """When anyone may end the dispute by the rule in the terms (None unless disputed)."""
        return self.deadline if self.status is DealStatus.DISPUTED else None


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
    def deal_state(self, deal_id: bytes | str, milestone: int = 0) -> DealState:
        """The stored state of a milestone of the deal with this id (``DealTerms.deal_id``)."""
        creator, deadline, delivered_at, status = self._read(
            "milestoneOf", bytes32(deal_id), int(milestone)
        )
        return DealState(
            DealStatus(status), to_checksum_address(creator), int(deadline), int(delivered_at)
        )

    def nonce_of(self, account: str) -> int:
        """The account's next nonce for a relayed delivery or withdrawal."""
        return self._read("nonces", to_checksum_address(account))

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

    # typed data of relayed actions (what a creator, or both parties, sign for anyone to send)
    def deliver_typed_data(
        self,
        deal_id: bytes | str,
        milestone: int,
        deliverable_hash: bytes | str,
        deadline: int,
        nonce: int | None = None,
    ) -> dict[str, Any]:
        """The creator's ``Deliver`` message; the nonce is read from the chain unless given."""
        if nonce is None:
            nonce = self.nonce_of(self.deal_state(deal_id, milestone).creator)
        message = {
            "dealId": to_hex(bytes32(deal_id)),
            "milestone": int(milestone),
            "deliverableHash": to_hex(bytes32(deliverable_hash)),
            "nonce": int(nonce),
            "deadline": int(deadline),
        }
        return action_typed_data("Deliver", message, self.chain_id, self.address)

    def settlement_typed_data(
        self, terms: DealTerms, milestone: int, payee_share_bps: int, deadline: int
    ) -> dict[str, Any]:
        """The ``Settlement`` both the brand and the creator sign."""
        message = {
            "dealId": to_hex(terms.deal_id),
            "milestone": int(milestone),
            "payeeShareBps": int(payee_share_bps),
            "deadline": int(deadline),
        }
        return action_typed_data("Settlement", message, self.chain_id, self.address)

    def withdraw_typed_data(
        self, account: str, token: str | None, to: str, deadline: int, nonce: int | None = None
    ) -> dict[str, Any]:
        """``account``'s ``Withdraw`` message; the nonce is read from the chain unless given."""
        account = to_checksum_address(account)
        message = {
            "account": account,
            "token": normalize_token(token),
            "to": to_checksum_address(to),
            "nonce": int(self.nonce_of(account) if nonce is None else nonce),
            "deadline": int(deadline),
        }
        return action_typed_data("Withdraw", message, self.chain_id, self.address)

    # deal actions (unsigned transactions)
    def build_create_deal(self, terms: DealTerms, creator_signature: bytes | str) -> UnsignedTx:
        """Brand: fund the deal (ETH as value; ERC-20 needs ``Erc20.build_approve`` first, or
        use ``build_create_deal_with_permit``)."""
        signature = signature_bytes(creator_signature)
        value = terms.amount if terms.is_eth else 0
        return self._tx("createDeal", terms.as_abi(), signature, value=value)

    def build_create_deal_with_permit(
        self,
        terms: DealTerms,
        creator_signature: bytes | str,
        permit_deadline: int,
        permit_signature: bytes | str,
    ) -> UnsignedTx:
        """Brand: fund an ERC-20 deal in one transaction with the token's EIP-2612 permit
        (``Erc20.permit_typed_data`` is what the brand signs)."""
        sig = signature_bytes(permit_signature)
        if len(sig) != 65:
            raise ValueError("a permit signature is 65 bytes (r, s, v)")
        return self._tx(
            "createDealWithPermit",
            terms.as_abi(),
            signature_bytes(creator_signature),
            int(permit_deadline),
            sig[64],
            sig[:32],
            sig[32:64],
        )

    def build_mark_delivered(
        self, deal_id: bytes | str, deliverable_hash: bytes | str, milestone: int = 0
    ) -> UnsignedTx:
        """Creator: a milestone's deliverable (identified off chain by its hash) is out."""
        return self._tx(
            "markDelivered", bytes32(deal_id), int(milestone), bytes32(deliverable_hash)
        )

    def build_mark_delivered_by_sig(
        self,
        deal_id: bytes | str,
        deliverable_hash: bytes | str,
        deadline: int,
        signature: bytes | str,
        milestone: int = 0,
    ) -> UnsignedTx:
        """Anyone (a relayer): submit the creator's signed ``Deliver``."""
        return self._tx(
            "markDeliveredBySig",
            bytes32(deal_id),
            int(milestone),
            bytes32(deliverable_hash),
            int(deadline),
            signature_bytes(signature),
        )

    def build_approve_delivery(self, terms: DealTerms, milestone: int = 0) -> UnsignedTx:
        return self._tx("approveDelivery", terms.as_abi(), int(milestone))

    def build_release(self, terms: DealTerms, milestone: int = 0) -> UnsignedTx:
        return self._tx("release", terms.as_abi(), int(milestone))

    def build_refund(self, terms: DealTerms, milestone: int = 0) -> UnsignedTx:
        return self._tx("refund", terms.as_abi(), int(milestone))

    def build_dispute(self, terms: DealTerms, milestone: int = 0) -> UnsignedTx:
        return self._tx("dispute", terms.as_abi(), int(milestone))

    def build_resolve(
        self, terms: DealTerms, payee_share_bps: int, milestone: int = 0
    ) -> UnsignedTx:
        return self._tx("resolve", terms.as_abi(), int(milestone), int(payee_share_bps))

    def build_apply_dispute_rule(self, terms: DealTerms, milestone: int = 0) -> UnsignedTx:
        """Anyone, once the arbiter's deadline passed: the rule in the terms ends the dispute."""
        return self._tx("applyDisputeRule", terms.as_abi(), int(milestone))

    def build_settle(
        self,
        terms: DealTerms,
        payee_share_bps: int,
        deadline: int,
        brand_signature: bytes | str,
        creator_signature: bytes | str,
        milestone: int = 0,
    ) -> UnsignedTx:
        """Anyone: a settlement both parties signed (``settlement_typed_data``)."""
        return self._tx(
            "settle",
            terms.as_abi(),
            int(milestone),
            int(payee_share_bps),
            int(deadline),
            signature_bytes(brand_signature),
            signature_bytes(creator_signature),
        )

    def build_withdraw_by_sig(
        self, account: str, token: str | None, to: str, deadline: int, signature: bytes | str
    ) -> UnsignedTx:
        """Anyone (a relayer): submit ``account``'s signed ``Withdraw``."""
        return self._tx(
            "withdrawBySig",
            to_checksum_address(account),
            normalize_token(token),
            to_checksum_address(to),
            int(deadline),
            signature_bytes(signature),
        )

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

    def nonce_of(self, owner: str) -> int:
        """The owner's EIP-2612 permit nonce."""
        return self._read("nonces", to_checksum_address(owner))

    def permit_typed_data(
        self, owner: str, spender: str, value: int, deadline: int, nonce: int | None = None
    ) -> dict[str, Any]:
        """The EIP-2612 ``Permit`` the owner signs (the token's own EIP-712 domain)."""
        name, version, chain_id, verifying_contract = self._read("eip712Domain")[1:5]
        owner = to_checksum_address(owner)
        return {
            "types": eip712_types(Permit=PERMIT_FIELDS),
            "primaryType": "Permit",
            "domain": {
                "name": name,
                "version": version,
                "chainId": int(chain_id),
                "verifyingContract": to_checksum_address(verifying_contract),
            },
            "message": {
                "owner": owner,
                "spender": to_checksum_address(spender),
                "value": int(value),
                "nonce": int(self.nonce_of(owner) if nonce is None else nonce),
                "deadline": int(deadline),
            },
        }

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
