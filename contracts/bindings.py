"""Python side of the contracts: artifacts, EIP-712 deal terms, tx builders, events, deploy, send.

Services never build calldata themselves: they ask a wrapper (``EscrowContract``,
``SplitterFactoryContract``, ``SplitterContract``, ``Erc20``) for an *unsigned* transaction, a dict
``{"to", "data", "value", "chainId"}`` that a wallet (or the local dev signer through ``send``)
signs and sends. Reads are typed methods. ``DealTerms.typed_data`` is the EIP-712 message a creator
signs (``eth_signTypedData_v4`` / ``eth_account.messages.encode_typed_data(full_message=...)``).
``fetch_events`` decodes the escrow's logs for the indexer. Reverts surface as the typed exceptions
of ``contracts.errors``.

A deal's id is the EIP-712 struct hash of its terms (``DealTerms.deal_id``); ``salt`` is the random
per-offer field that makes two identical offers two deals. Signatures: ``normalize_signature`` gives
the form the escrow accepts, ``verify_creator_signature`` checks exactly as the escrow will, and
``simulate_create_deal`` runs the whole ``createDeal`` as an ``eth_call``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3RPCError

from contracts import errors

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
TEST_ARTIFACTS_DIR = ARTIFACTS_DIR / "test"

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ETH = ZERO_ADDRESS  # the escrow and the splitter use address(0) for native ETH
BPS = 10_000
MAX_PAYEES = 16
ERC1271_MAGIC_VALUE = bytes.fromhex("1626ba7e")
DISPUTE_TIMEOUT = 30 * 24 * 60 * 60  # CollabEscrow.DISPUTE_TIMEOUT
STALE_DISPUTE_PAYEE_SHARE_BPS = 5_000  # CollabEscrow.STALE_DISPUTE_PAYEE_SHARE_BPS
MAX_UINT256 = 2**256 - 1
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

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


class UnsignedTx(TypedDict):
    to: str
    data: str
    value: int
    chainId: int


# ---------------------------------------------------------------------------------- artifacts


@cache
def load_artifact(contract_name: str) -> dict[str, Any]:
    """A compiled artifact by contract name (production first, then test-only contracts)."""
    for directory in (ARTIFACTS_DIR, TEST_ARTIFACTS_DIR):
        path = directory / f"{contract_name}.json"
        if path.exists():
            return json.loads(path.read_text())
    raise FileNotFoundError(f"no artifact for {contract_name}; run `python -m contracts.build`")


def abi_of(contract_name: str) -> list[dict[str, Any]]:
    return load_artifact(contract_name)["abi"]


# ---------------------------------------------------------------------------------- helpers


def _bytes32(value: bytes | str) -> bytes:
    raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)
    if len(raw) != 32:
        raise ValueError(f"expected 32 bytes, got {len(raw)}")
    return raw


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def normalize_token(token: str | None) -> str:
    """``"ETH"``/None/zero address -> zero address; an ERC-20 address -> checksummed."""
    if token is None or token.upper() == "ETH":
        return ZERO_ADDRESS
    return to_checksum_address(token)


def new_salt() -> bytes:
    """A fresh random 32-byte salt: one per offer, so two identical offers make two deals."""
    return secrets.token_bytes(32)


def _signable_digest(message: SignableMessage) -> bytes:
    return keccak(b"\x19" + message.version + message.header + message.body)


def _call(fn: Any, *args: Any) -> Any:
    """Run a contract read, turning a revert into the typed exception."""
    try:
        return fn(*args).call()
    except ContractLogicError as exc:
        raise errors.from_web3_error(exc) from exc


# ---------------------------------------------------------------------------------- deal terms


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
        set_(self, "salt", _bytes32(self.salt))
        set_(self, "terms_hash", _bytes32(self.terms_hash))
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
            "salt": _hex(self.salt),
            "brand": self.brand,
            "creator": self.creator,
            "token": self.token,
            "amount": self.amount,
            "payees": list(self.payees),
            "shares": list(self.shares_bps),
            "platformFeeBps": self.platform_fee_bps,
            "deliverBy": self.deliver_by,
            "reviewPeriod": self.review_period,
            "termsHash": _hex(self.terms_hash),
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
        return _signable_digest(self.signable(chain_id, escrow_address))

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


def sign_typed_data(typed_data: dict[str, Any], private_key: str) -> str:
    """An EOA's EIP-712 signature of full typed data, 0x-hex (what eth_signTypedData_v4 gives);
    for the local dev wallet, the demo and tests."""
    signed = Account.sign_message(encode_typed_data(full_message=typed_data), private_key)
    return "0x" + bytes(signed.signature).hex()


def recover_signer(typed_data: dict[str, Any], signature: bytes | str) -> str:
    """The EOA that produced ``signature`` over ``typed_data`` (checksummed)."""
    signable = encode_typed_data(full_message=typed_data)
    return to_checksum_address(Account.recover_message(signable, signature=signature))


def signature_bytes(signature: bytes | str) -> bytes:
    """Signature bytes from bytes or (0x-)hex text; ValueError when the text is not hex."""
    if isinstance(signature, str):
        return bytes.fromhex(signature.removeprefix("0x"))
    return bytes(signature)


def normalize_signature(signature: bytes | str) -> bytes:
    """The form of a 65-byte ECDSA signature the escrow accepts (OpenZeppelin ECDSA): v in {0, 1}
    becomes {27, 28}; a high s (s > n/2, the malleated twin) becomes n - s with v flipped. Any other
    length (an ERC-1271 contract wallet's signature) is returned unchanged. ValueError when the
    signature is malformed: not hex, another v, r or s outside [1, n - 1]."""
    raw = signature_bytes(signature)
    if len(raw) != 65:
        return raw
    r, s, v = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]
    if v in (0, 1):
        v += 27
    if v not in (27, 28):
        raise ValueError(f"signature v must be 0, 1, 27 or 28, not {v}")
    if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
        raise ValueError("signature r and s must be between 1 and n - 1")
    if s > SECP256K1_N // 2:
        s, v = SECP256K1_N - s, 55 - v  # 27 <-> 28
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


def _ecdsa_signer(signable: SignableMessage, signature: bytes) -> str | None:
    """The signer as OpenZeppelin's ``ECDSA.tryRecover`` sees it: 65 bytes, s in the lower half
    of the order, v in {27, 28}; None where it reports an error."""
    if len(signature) != 65:
        return None
    r, s, v = (
        int.from_bytes(signature[:32], "big"),
        int.from_bytes(signature[32:64], "big"),
        signature[64],
    )
    if v not in (27, 28) or s > SECP256K1_N // 2 or not (0 < r < SECP256K1_N) or s == 0:
        return None
    try:
        return to_checksum_address(Account.recover_message(signable, signature=signature))
    except Exception:  # no point on the curve for this r: ecrecover returns zero
        return None


def _erc1271_accepts(w3: Web3, wallet: str, digest: bytes, signature: bytes) -> bool:
    """OpenZeppelin's ``SignatureChecker.isValidERC1271SignatureNow``: the call succeeds and its
    first 32 bytes are the magic value (left-aligned)."""
    data = ERC1271_MAGIC_VALUE + abi_encode(["bytes32", "bytes"], [digest, signature])
    try:
        result = bytes(w3.eth.call({"to": wallet, "data": _hex(data)}))
    except ContractLogicError:
        return False
    return len(result) >= 32 and result[:32] == ERC1271_MAGIC_VALUE.ljust(32, b"\x00")


def verify_creator_signature(
    w3: Web3, terms: DealTerms, signature: bytes | str, *, escrow_address: str, chain_id: int
) -> bool:
    """Would ``createDeal`` accept this signature? Exactly the escrow's rule: OpenZeppelin ECDSA
    (65 bytes, low s, v in {27, 28}) recovering the creator, else ERC-1271 ``isValidSignature``
    when the creator address holds code (contract wallet). A high-s or v in {0, 1} signature is
    refused: pass it through ``normalize_signature`` first."""
    try:
        sig = signature_bytes(signature)
    except ValueError:
        return False
    signable = terms.signable(chain_id, escrow_address)
    if _ecdsa_signer(signable, sig) == terms.creator:
        return True
    if not w3.eth.get_code(terms.creator):
        return False
    return _erc1271_accepts(w3, terms.creator, _signable_digest(signable), sig)


# The tokens' own refusals: the escrow pulls ERC-20 funds only after checking terms and signature.
_TOKEN_PULL_ERRORS = ("ERC20InsufficientAllowance", "ERC20InsufficientBalance")
_TOKEN_PULL_REASONS = (
    "ERC20: insufficient allowance",
    "ERC20: transfer amount exceeds allowance",
    "ERC20: transfer amount exceeds balance",
)


def simulate_create_deal(
    w3: Web3, escrow_address: str, terms: DealTerms, signature: bytes | str
) -> None:
    """Run ``createDeal(terms, signature)`` as an ``eth_call`` from the brand; raises the typed
    ContractRevert when the escrow would refuse it. An ETH deal runs with a state override giving
    the brand the amount, so only the terms and the signature are judged. An ERC-20 deal whose
    brand has not approved or does not hold the amount yet reverts in the token's pull, which
    comes after every check of terms and signature: that refusal counts as success."""
    escrow = EscrowContract(w3, escrow_address)
    tx = escrow.build_create_deal(terms, signature)
    call: dict[str, Any] = {
        "from": terms.brand,
        "to": tx["to"],
        "data": tx["data"],
        "value": tx["value"],
    }
    state_override = None
    if terms.is_eth:
        balance = min(terms.amount + 10**18, MAX_UINT256)  # the amount, and gas money
        state_override = {terms.brand: {"balance": hex(balance)}}
    try:
        w3.eth.call(call, "latest", state_override)
    except ContractLogicError as exc:
        revert = errors.from_web3_error(exc) or errors.UnknownRevert()
        if not terms.is_eth and _is_token_pull_refusal(revert):
            return
        raise revert from exc


def _is_token_pull_refusal(revert: errors.ContractRevert) -> bool:
    if revert.name in _TOKEN_PULL_ERRORS:
        return True
    return isinstance(revert, errors.RevertReason) and revert.args[0] in _TOKEN_PULL_REASONS


# ---------------------------------------------------------------------------------- wrappers


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
        delivered_at, disputed_at, status = self._read("getDeal", _bytes32(deal_id))
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
        return self._tx("markDelivered", terms.as_abi(), _bytes32(deliverable_hash))

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


# ---------------------------------------------------------------------------------- sending


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


# ---------------------------------------------------------------------------------- events


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


EscrowEvent = ContractEvent  # the escrow's events; same shape as the splitter's


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return _hex(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str) and Web3.is_address(value):
        return to_checksum_address(value)
    return value


@cache
def _event_topics(contract_name: str) -> dict[bytes, str]:
    topics: dict[bytes, str] = {}
    for item in abi_of(contract_name):
        if item["type"] == "event":
            types = ",".join(errors._abi_type(param) for param in item["inputs"])
            topics[keccak(text=f"{item['name']}({types})")] = item["name"]
    return topics


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
    contract = w3.eth.contract(abi=abi_of(contract_name))
    topics = _event_topics(contract_name)
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
        if not log["topics"]:
            continue
        name = topics.get(bytes(log["topics"][0]))
        if name is None:
            continue  # an event from an inherited contract we do not model
        decoded = getattr(contract.events, name)().process_log(log)
        block_number = int(log["blockNumber"])
        timestamp = None
        if with_timestamps:
            if block_number not in timestamps:
                timestamps[block_number] = int(w3.eth.get_block(block_number)["timestamp"])
            timestamp = timestamps[block_number]
        events.append(
            ContractEvent(
                name=name,
                args={key: _plain(value) for key, value in decoded["args"].items()},
                block_number=block_number,
                tx_hash=_hex(bytes(log["transactionHash"])),
                log_index=int(log["logIndex"]),
                address=to_checksum_address(log["address"]),
                block_timestamp=timestamp,
            )
        )
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


def events_in_receipt(receipt: Any, contract_name: str = "CollabEscrow") -> list[ContractEvent]:
    """Decode the logs of one receipt (any address) against a contract's event ABI."""
    contract = Web3().eth.contract(abi=abi_of(contract_name))
    topics = _event_topics(contract_name)
    events = []
    for log in receipt["logs"]:
        name = topics.get(bytes(log["topics"][0])) if log["topics"] else None
        if name is None:
            continue
        decoded = getattr(contract.events, name)().process_log(log)
        events.append(
            ContractEvent(
                name=name,
                args={key: _plain(value) for key, value in decoded["args"].items()},
                block_number=int(log["blockNumber"]),
                tx_hash=_hex(bytes(log["transactionHash"])),
                log_index=int(log["logIndex"]),
                address=to_checksum_address(log["address"]),
            )
        )
    return events


# ---------------------------------------------------------------------------------- deploying


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
