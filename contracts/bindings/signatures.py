"""Creator signatures: sign, recover, normalise, and check exactly as the escrow will."""

from __future__ import annotations

from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_keys.exceptions import BadSignature
from eth_utils import to_checksum_address
from eth_utils.exceptions import ValidationError
from web3 import Web3
from web3.exceptions import ContractLogicError

from contracts import errors
from contracts.bindings.encoding import MAX_UINT256, signature_bytes, to_hex
from contracts.bindings.terms import DealTerms, signable_digest
from contracts.bindings.wrappers import EscrowContract

ERC1271_MAGIC_VALUE = bytes.fromhex("1626ba7e")
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def sign_typed_data(typed_data: dict[str, Any], private_key: str) -> str:
    """An EOA's EIP-712 signature of full typed data, 0x-hex (what eth_signTypedData_v4 gives);
    for the local dev wallet, the demo and tests."""
    signed = Account.sign_message(encode_typed_data(full_message=typed_data), private_key)
    return "0x" + bytes(signed.signature).hex()


def recover_signer(typed_data: dict[str, Any], signature: bytes | str) -> str:
    """The EOA that produced ``signature`` over ``typed_data`` (checksummed). ValueError when no
    key can have produced it (wrong length, or no curve point for its r)."""
    signable = encode_typed_data(full_message=typed_data)
    try:
        return to_checksum_address(Account.recover_message(signable, signature=signature))
    except (BadSignature, ValidationError) as exc:
        raise ValueError(f"no signer can be recovered: {exc}") from None


def _rsv(signature: bytes) -> tuple[int, int, int]:
    """r, s and v of a 65-byte ECDSA signature (r and s big-endian, v the last byte)."""
    return (
        int.from_bytes(signature[:32], "big"),
        int.from_bytes(signature[32:64], "big"),
        signature[64],
    )


def normalize_signature(signature: bytes | str) -> bytes:
    """The form of a 65-byte ECDSA signature the escrow accepts (OpenZeppelin ECDSA): v in {0, 1}
    becomes {27, 28}; a high s (s > n/2, the malleated twin) becomes n - s with v flipped. Any other
    length (an ERC-1271 contract wallet's signature) is returned unchanged. ValueError when the
    signature is malformed: not hex, another v, r or s outside [1, n - 1]."""
    raw = signature_bytes(signature)
    if len(raw) != 65:
        return raw
    r, s, v = _rsv(raw)
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
    r, s, v = _rsv(signature)
    if v not in (27, 28) or s > SECP256K1_N // 2 or not (0 < r < SECP256K1_N) or s == 0:
        return None
    try:
        return to_checksum_address(Account.recover_message(signable, signature=signature))
    except (BadSignature, ValueError):  # no point on the curve for this r: ecrecover gives 0
        return None


def _erc1271_accepts(w3: Web3, wallet: str, digest: bytes, signature: bytes) -> bool:
    """OpenZeppelin's ``SignatureChecker.isValidERC1271SignatureNow``: the call succeeds and its
    first 32 bytes are the magic value (left-aligned)."""
    data = ERC1271_MAGIC_VALUE + abi_encode(["bytes32", "bytes"], [digest, signature])
    try:
        result = bytes(w3.eth.call({"to": wallet, "data": to_hex(data)}))
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
    return _erc1271_accepts(w3, terms.creator, signable_digest(signable), sig)


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
