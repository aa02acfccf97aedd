"""Values as the chain and JSON want them: addresses, bytes32, hex, and one JSON-safe form."""

from __future__ import annotations

from typing import Any

from eth_utils import is_address, to_checksum_address

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# How the escrow and the splitter name native ETH in a token field: the zero address.
ETH_TOKEN_ADDRESS = ZERO_ADDRESS
BPS = 10_000
MAX_UINT256 = 2**256 - 1


def bytes32(value: bytes | str) -> bytes:
    """Exactly 32 bytes, from bytes or (0x-)hex text."""
    raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)
    if len(raw) != 32:
        raise ValueError(f"expected 32 bytes, got {len(raw)}")
    return raw


def to_hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def normalize_token(token: str | None) -> str:
    """``"ETH"``/None/zero address -> zero address; an ERC-20 address -> checksummed."""
    if token is None or token.upper() == "ETH":
        return ZERO_ADDRESS
    return to_checksum_address(token)


def signature_bytes(signature: bytes | str) -> bytes:
    """Signature bytes from bytes or (0x-)hex text; ValueError when the text is not hex."""
    if isinstance(signature, str):
        return bytes.fromhex(signature.removeprefix("0x"))
    return bytes(signature)


def json_safe(value: Any, *, ints_as_strings: bool = False) -> Any:
    """Decoded chain values as JSON: bytes as 0x-hex, addresses checksummed, tuples as lists.
    With ``ints_as_strings``, integers become decimal strings, as wallets take uint256 (a
    JavaScript number loses precision above 2^53)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value) if ints_as_strings else value
    if isinstance(value, bytes):
        return to_hex(value)
    if isinstance(value, str):
        return to_checksum_address(value) if is_address(value) and value.startswith("0x") else value
    if isinstance(value, list | tuple):
        return [json_safe(item, ints_as_strings=ints_as_strings) for item in value]
    if isinstance(value, dict):
        return {k: json_safe(item, ints_as_strings=ints_as_strings) for k, item in value.items()}
    return value
