"""The deal terms a creator signs (EIP-712) and the escrow keys each deal by."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import keccak, to_checksum_address

from contracts.bindings.encoding import BPS, ZERO_ADDRESS, bytes32, normalize_token, to_hex

MAX_PAYEES = 16
DISPUTE_TIMEOUT = 30 * 24 * 60 * 60  # CollabEscrow.DISPUTE_TIMEOUT
STALE_DISPUTE_PAYEE_SHARE_BPS = 5_000  # CollabEscrow.STALE_DISPUTE_PAYEE_SHARE_BPS

ESCROW_EIP712_NAME = "CollabEscrow"
ESCROW_EIP712_VERSION = "1"

# Keep in step with CollabEscrow.DealTerms (same names, types and order).
DEAL_TERMS_FIELDS: tuple[tuple[str, str], ...] = (
    ("salt", "bytes32"),
    ("brand", "address"),
    ("creator", "address"),
    ("token", "address"),
    ("amount", "uint256"),
    ("payees", "address[]"),
    ("shares", "uint16[]"),
    ("platformFeeBps", "uint16"),
    ("deliverBy", "uint64"),
    ("reviewPeriod", "uint64"),
    ("termsHash", "bytes32"),
    ("isVirtual", "bool"),
    ("signatureExpiry", "uint64"),
)
EIP712_DOMAIN_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)


def new_salt() -> bytes:
    """A fresh random 32-byte salt: one per offer, so two identical offers make two deals."""
    return secrets.token_bytes(32)


def signable_digest(message: SignableMessage) -> bytes:
    return keccak(b"\x19" + message.version + message.header + message.body)


@dataclass(frozen=True)
class DealTerms:
    """The terms a creator signs and a brand funds. Amounts in the token's smallest unit.

    ``token`` accepts ``"ETH"``; ``payees[0]`` must be the creator; ``shares_bps`` sum to 10,000.
    ``salt`` is random per offer; the deal's id on the escrow is ``deal_id``, the struct hash.
    """

    salt: bytes
    brand: str
    creator: str
    token: str
    amount: int
    payees: tuple[str, ...]
    shares_bps: tuple[int, ...]
    platform_fee_bps: int
    deliver_by: int
    review_period: int
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
        for name in ("amount", "platform_fee_bps", "deliver_by", "review_period"):
            set_(self, name, int(getattr(self, name)))
        set_(self, "signature_expiry", int(self.signature_expiry))
        set_(self, "is_virtual", bool(self.is_virtual))

    @property
    def is_eth(self) -> bool:
        return self.token == ZERO_ADDRESS

    @property
    def deal_id(self) -> bytes:
        """The id the escrow keys this deal by: the EIP-712 struct hash of these terms."""
        return self.struct_hash()

    def validate(self) -> None:
        """The checks ``createDeal`` makes on the terms alone (raises ValueError)."""
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
        if self.amount <= 0:
            raise ValueError("amount must be positive")

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
            "platformFeeBps": self.platform_fee_bps,
            "deliverBy": self.deliver_by,
            "reviewPeriod": self.review_period,
            "termsHash": to_hex(self.terms_hash),
            "isVirtual": self.is_virtual,
            "signatureExpiry": self.signature_expiry,
        }

    def typed_data(self, chain_id: int, escrow_address: str) -> dict[str, Any]:
        """Full EIP-712 typed data (types, primaryType, domain, message) for wallets."""
        return {
            "types": {
                "EIP712Domain": [{"name": n, "type": t} for n, t in EIP712_DOMAIN_FIELDS],
                "DealTerms": [{"name": n, "type": t} for n, t in DEAL_TERMS_FIELDS],
            },
            "primaryType": "DealTerms",
            "domain": {
                "name": ESCROW_EIP712_NAME,
                "version": ESCROW_EIP712_VERSION,
                "chainId": int(chain_id),
                "verifyingContract": to_checksum_address(escrow_address),
            },
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
            self.platform_fee_bps,
            self.deliver_by,
            self.review_period,
            self.terms_hash,
            self.is_virtual,
            self.signature_expiry,
        )

    def payouts(self, total: int | None = None) -> list[int]:
        """What each payee receives out of ``total`` (default: amount after the platform fee),
        by the contract's rule: floor(total * share / 10,000), rounding dust to the creator."""
        if total is None:
            total = self.amount - self.fee_amount()
        amounts = [total * share // BPS for share in self.shares_bps]
        amounts[0] = total - sum(amounts[1:])
        return amounts

    def fee_amount(self) -> int:
        return self.amount * self.platform_fee_bps // BPS

    def resolution(self, payee_share_bps: int) -> tuple[int, list[int], int]:
        """``(fee, payouts, to_brand)`` of ``resolve(terms, payee_share_bps)`` (and of a stale
        dispute's settlement at ``STALE_DISPUTE_PAYEE_SHARE_BPS``): the fee on the awarded part,
        the payees by share out of the rest, the remainder of the amount back to the brand."""
        awarded = self.amount * int(payee_share_bps) // BPS
        fee = awarded * self.platform_fee_bps // BPS
        return fee, self.payouts(awarded - fee), self.amount - awarded
