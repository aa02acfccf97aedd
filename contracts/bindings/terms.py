"""The deal terms a creator signs (EIP-712) and the escrow keys each deal by, and the other
typed messages the escrow checks: a relayed delivery, a mutual settlement, a relayed withdrawal."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import keccak, to_checksum_address

from contracts.bindings.encoding import BPS, ZERO_ADDRESS, bytes32, normalize_token, to_hex

MAX_PAYEES = 16  # CollabEscrow.MAX_PAYEES
MAX_MILESTONES = 16  # CollabEscrow.MAX_MILESTONES
MIN_DISPUTE_TIMEOUT = 24 * 60 * 60  # CollabEscrow.MIN_DISPUTE_TIMEOUT
MAX_DISPUTE_TIMEOUT = 365 * 24 * 60 * 60  # CollabEscrow.MAX_DISPUTE_TIMEOUT

ESCROW_EIP712_NAME = "CollabEscrow"
ESCROW_EIP712_VERSION = "2"

# Keep in step with CollabEscrow.DealTerms (same names, types and order).
DEAL_TERMS_FIELDS: tuple[tuple[str, str], ...] = (
    ("salt", "bytes32"),
    ("brand", "address"),
    ("creator", "address"),
    ("token", "address"),
    ("amount", "uint256"),
    ("payees", "address[]"),
    ("shares", "uint16[]"),
    ("milestones", "Milestone[]"),
    ("platformFeeBps", "uint16"),
    ("reviewPeriod", "uint64"),
    ("disputeTimeout", "uint64"),
    ("disputeRulePayeeBps", "uint16"),
    ("termsHash", "bytes32"),
    ("isVirtual", "bool"),
    ("signatureExpiry", "uint64"),
)
MILESTONE_FIELDS: tuple[tuple[str, str], ...] = (("amount", "uint256"), ("deliverBy", "uint64"))
# The messages a creator (or a brand, for a settlement) signs for someone else to submit.
ACTION_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "Deliver": (
        ("dealId", "bytes32"),
        ("milestone", "uint256"),
        ("deliverableHash", "bytes32"),
        ("nonce", "uint256"),
        ("deadline", "uint64"),
    ),
    "Settlement": (
        ("dealId", "bytes32"),
        ("milestone", "uint256"),
        ("payeeShareBps", "uint16"),
        ("deadline", "uint64"),
    ),
    "Withdraw": (
        ("account", "address"),
        ("token", "address"),
        ("to", "address"),
        ("nonce", "uint256"),
        ("deadline", "uint64"),
    ),
}
EIP712_DOMAIN_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)


def eip712_types(**structs: Sequence[tuple[str, str]]) -> dict[str, list[dict[str, str]]]:
    """The ``types`` of EIP-712 typed data: the domain's, then each struct's (name, type) fields."""
    return {
        name: [{"name": n, "type": t} for n, t in fields]
        for name, fields in {"EIP712Domain": EIP712_DOMAIN_FIELDS, **structs}.items()
    }


def new_salt() -> bytes:
    """A fresh random 32-byte salt: one per offer, so two identical offers make two deals."""
    return secrets.token_bytes(32)


def signable_digest(message: SignableMessage) -> bytes:
    return keccak(b"\x19" + message.version + message.header + message.body)


def escrow_domain(chain_id: int, escrow_address: str) -> dict[str, Any]:
    return {
        "name": ESCROW_EIP712_NAME,
        "version": ESCROW_EIP712_VERSION,
        "chainId": int(chain_id),
        "verifyingContract": to_checksum_address(escrow_address),
    }


def action_typed_data(
    kind: str, message: dict[str, Any], chain_id: int, escrow_address: str
) -> dict[str, Any]:
    """EIP-712 typed data of a relayed action (``Deliver``, ``Settlement``, ``Withdraw``)."""
    return {
        "types": eip712_types(**{kind: ACTION_FIELDS[kind]}),
        "primaryType": kind,
        "domain": escrow_domain(chain_id, escrow_address),
        "message": message,
    }


def sign_action(
    kind: str, message: dict[str, Any], private_key: str, chain_id: int, escrow_address: str
) -> bytes:
    """Sign a relayed action as an EOA (tests, the local dev signer)."""
    typed = action_typed_data(kind, message, chain_id, escrow_address)
    return bytes(Account.sign_message(encode_typed_data(full_message=typed), private_key).signature)


@dataclass(frozen=True)
class Milestone:
    """One milestone: its part of the amount and its delivery deadline (unix seconds)."""

    amount: int
    deliver_by: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", int(self.amount))
        object.__setattr__(self, "deliver_by", int(self.deliver_by))


@dataclass(frozen=True)
class DealTerms:
    """The terms a creator signs and a brand funds. Amounts in the token's smallest unit.

    ``token`` accepts ``"ETH"``; ``payees[0]`` must be the creator; ``shares_bps`` sum to 10,000;
    ``milestones`` (amount, deliver_by) sum to ``amount``. A dispute the arbiter leaves open
    ``dispute_timeout`` seconds ends by the rule: ``dispute_rule_payee_bps`` to the payee side.
    ``salt`` is random per offer; the deal's id on the escrow is ``deal_id``, the struct hash.
    """

    salt: bytes
    brand: str
    creator: str
    token: str
    amount: int
    payees: tuple[str, ...]
    shares_bps: tuple[int, ...]
    milestones: tuple[Milestone, ...]
    platform_fee_bps: int
    review_period: int
    dispute_timeout: int
    dispute_rule_payee_bps: int
    terms_hash: bytes
    is_virtual: bool
    signature_expiry: int

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "salt", bytes32(self.salt))
        set_(self, "terms_hash", bytes32(self.terms_hash))
        set_(self, "brand", to_checksum_address(self.brand))
        set_(self, "creator", to_checksum_address(self.creator))
        set_(self, "token", normalize_token(self.token))
        set_(self, "payees", tuple(to_checksum_address(p) for p in self.payees))
        set_(self, "shares_bps", tuple(int(s) for s in self.shares_bps))
        set_(
            self,
            "milestones",
            tuple(m if isinstance(m, Milestone) else Milestone(*m) for m in self.milestones),
        )
        for name in (
            "amount",
            "platform_fee_bps",
            "review_period",
            "dispute_timeout",
            "dispute_rule_payee_bps",
        ):
            set_(self, name, int(getattr(self, name)))
        set_(self, "signature_expiry", int(self.signature_expiry))
        set_(self, "is_virtual", bool(self.is_virtual))

    @property
    def is_eth(self) -> bool:
        return self.token == ZERO_ADDRESS

    @property
    def deliver_by(self) -> int:
        """The last milestone's deadline: when the whole deal is due."""
        return max(m.deliver_by for m in self.milestones)

    @property
    def deal_id(self) -> bytes:
        """The id the escrow keys this deal by: the EIP-712 struct hash of these terms."""
        return self.struct_hash()

    def validate(self) -> None:
        """The checks ``createDeal`` makes on the terms alone (raises ValueError)."""
        self._validate_payees()
        self._validate_milestones()
        if not MIN_DISPUTE_TIMEOUT <= self.dispute_timeout <= MAX_DISPUTE_TIMEOUT:
            raise ValueError("dispute timeout must be between 1 and 365 days")
        if not 0 <= self.dispute_rule_payee_bps <= BPS:
            raise ValueError("the dispute rule's payee share is 0..10,000 bps")

    def _validate_payees(self) -> None:
        if not self.payees or len(self.payees) > MAX_PAYEES:
            raise ValueError(f"between 1 and {MAX_PAYEES} payees required")
        if self.payees[0] != self.creator:
            raise ValueError("the creator must be the first payee")
        if len(self.shares_bps) != len(self.payees):
            raise ValueError("one share per payee")
        if any(share <= 0 for share in self.shares_bps) or sum(self.shares_bps) != BPS:
            raise ValueError("shares must be positive and sum to exactly 10,000 bps")
        if ZERO_ADDRESS in self.payees:
            raise ValueError("a payee cannot be the zero address")
        if len(set(self.payees)) != len(self.payees):
            raise ValueError("a payee is listed twice")

    def _validate_milestones(self) -> None:
        if not 1 <= len(self.milestones) <= MAX_MILESTONES:
            raise ValueError(f"between 1 and {MAX_MILESTONES} milestones required")
        if any(m.amount <= 0 for m in self.milestones):
            raise ValueError("every milestone needs a positive amount")
        if sum(m.amount for m in self.milestones) != self.amount:
            raise ValueError("milestone amounts must sum to the amount")

    def with_changes(self, **changes: Any) -> DealTerms:
        return replace(self, **changes)

    def message(self) -> dict[str, Any]:
        """The EIP-712 message: JSON-able (bytes32 as 0x-hex), integers as ints."""
        return {
            "salt": to_hex(self.salt),
            "brand": self.brand,
            "creator": self.creator,
            "token": self.token,
            "amount": self.amount,
            "payees": list(self.payees),
            "shares": list(self.shares_bps),
            "milestones": [
                {"amount": m.amount, "deliverBy": m.deliver_by} for m in self.milestones
            ],
            "platformFeeBps": self.platform_fee_bps,
            "reviewPeriod": self.review_period,
            "disputeTimeout": self.dispute_timeout,
            "disputeRulePayeeBps": self.dispute_rule_payee_bps,
            "termsHash": to_hex(self.terms_hash),
            "isVirtual": self.is_virtual,
            "signatureExpiry": self.signature_expiry,
        }

    def typed_data(self, chain_id: int, escrow_address: str) -> dict[str, Any]:
        """Full EIP-712 typed data (types, primaryType, domain, message) for wallets."""
        return {
            "types": eip712_types(DealTerms=DEAL_TERMS_FIELDS, Milestone=MILESTONE_FIELDS),
            "primaryType": "DealTerms",
            "domain": escrow_domain(chain_id, escrow_address),
            "message": self.message(),
        }

    def signable(self, chain_id: int, escrow_address: str) -> SignableMessage:
        return encode_typed_data(full_message=self.typed_data(chain_id, escrow_address))

    def struct_hash(self) -> bytes:
        """EIP-712 ``hashStruct(terms)``: the deal id (``CollabEscrow.dealIdOf``)."""
        return bytes(self.signable(1, ZERO_ADDRESS).body)

    def digest(self, chain_id: int, escrow_address: str) -> bytes:
        """The 32-byte EIP-712 digest (what ``CollabEscrow.hashTerms`` returns)."""
        return signable_digest(self.signable(chain_id, escrow_address))

    def sign(self, private_key: str, chain_id: int, escrow_address: str) -> bytes:
        """Sign as an EOA (tests and the local dev signer; real creators sign in their wallet)."""
        signed = Account.sign_message(self.signable(chain_id, escrow_address), private_key)
        return bytes(signed.signature)

    def as_abi(self) -> tuple[Any, ...]:
        """The Solidity struct as a tuple in field order, for ABI encoding."""
        return (
            self.salt,
            self.brand,
            self.creator,
            self.token,
            self.amount,
            list(self.payees),
            list(self.shares_bps),
            [(m.amount, m.deliver_by) for m in self.milestones],
            self.platform_fee_bps,
            self.review_period,
            self.dispute_timeout,
            self.dispute_rule_payee_bps,
            self.terms_hash,
            self.is_virtual,
            self.signature_expiry,
        )

    def milestone_amount(self, milestone: int = 0) -> int:
        return self.milestones[milestone].amount

    def payouts(self, total: int | None = None, milestone: int = 0) -> list[int]:
        """What each payee receives out of ``total`` (default: the milestone's amount after the
        platform fee), by the contract's rule: floor(total * share / 10,000), the rounding dust
        to the creator."""
        if total is None:
            total = self.milestone_amount(milestone) - self.fee_amount(milestone)
        amounts = [total * share // BPS for share in self.shares_bps]
        amounts[0] = total - sum(amounts[1:])
        return amounts

    def fee_amount(self, milestone: int = 0) -> int:
        return self.milestone_amount(milestone) * self.platform_fee_bps // BPS

    def resolution(self, payee_share_bps: int, milestone: int = 0) -> tuple[int, list[int], int]:
        """``(fee, payouts, to_brand)`` when a milestone is split (arbiter, settlement or the
        dispute rule) at ``payee_share_bps``: the fee on the awarded part, the payees by share
        out of the rest, the remainder of the milestone back to the brand."""
        amount = self.milestone_amount(milestone)
        awarded = amount * int(payee_share_bps) // BPS
        fee = awarded * self.platform_fee_bps // BPS
        return fee, self.payouts(awarded - fee), amount - awarded
