"""Signatures the escrow will refuse are refused before they are stored, or normalised.

Issue 10, finding 9: a malleated (high-s) signature, or one with v in {0, 1}, passed the server's
check but the escrow's OpenZeppelin ECDSA refuses it, so the deal could never be funded.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from contracts import bindings, errors
from contracts.bindings import SECP256K1_N, DealStatus, normalize_signature
from tests.contracts.env import Env, resized

HALF_N = SECP256K1_N // 2


def _parts(signature: bytes) -> tuple[int, int, int]:
    return int.from_bytes(signature[:32]), int.from_bytes(signature[32:64]), signature[64]


def _signature(r: int, s: int, v: int) -> bytes:
    return r.to_bytes(32) + s.to_bytes(32) + bytes([v])


def malleated(signature: bytes) -> bytes:
    """The same signature's high-s twin: (r, n - s) with v flipped; ecrecover accepts it."""
    r, s, v = _parts(signature)
    return _signature(r, SECP256K1_N - s, 55 - v)


def zero_based_v(signature: bytes) -> bytes:
    r, s, v = _parts(signature)
    return _signature(r, s, v - 27)


def _verify(env: Env, terms: bindings.DealTerms, signature: bytes | str) -> bool:
    return bindings.verify_creator_signature(
        env.w3, terms, signature, escrow_address=env.escrow.address, chain_id=env.chain_id
    )


@pytest.mark.parametrize("variant", [malleated, zero_based_v], ids=["high-s", "v-0-or-1"])
def test_a_variant_the_chain_refuses_is_refused_and_normalised(env: Env, variant) -> None:
    terms = env.terms()
    signature = env.sign(terms)
    raw = variant(signature)
    assert raw != signature
    assert bindings.recover_signer(env.escrow.typed_data(terms), raw) == env.creator.address

    with pytest.raises(errors.InvalidSignature):
        env.create(terms, raw)  # the escrow refuses it...
    assert not _verify(env, terms, raw)  # ...and so does the server's check
    assert not _verify(env, terms, "0x" + raw.hex())
    with pytest.raises(errors.InvalidSignature):
        bindings.simulate_create_deal(env.w3, env.escrow.address, terms, raw)

    fixed = normalize_signature(raw)
    assert fixed == signature
    assert _verify(env, terms, fixed)
    env.create(terms, fixed)
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.FUNDED


def test_normalize_signature_keeps_canonical_and_other_lengths() -> None:
    signed = Account.sign_message(
        encode_typed_data(full_message=_any_typed_data()), Account.create().key
    )
    canonical = bytes(signed.signature)
    r, s, v = _parts(canonical)
    assert s <= HALF_N
    assert v in (27, 28)
    assert normalize_signature(canonical) == canonical
    assert normalize_signature("0x" + canonical.hex()) == canonical
    assert normalize_signature(canonical.hex()) == canonical
    assert normalize_signature(malleated(canonical)) == canonical
    assert normalize_signature(zero_based_v(canonical)) == canonical
    assert normalize_signature(zero_based_v(malleated(canonical))) == canonical
    # Exactly n/2 is still low; n/2 + 1 is the first high s.
    assert normalize_signature(_signature(r, HALF_N, 27)) == _signature(r, HALF_N, 27)
    assert normalize_signature(_signature(r, HALF_N + 1, 27)) == _signature(r, HALF_N, 28)
    # ERC-1271 wallets sign in their own format: any other length passes through untouched.
    for other in (b"", b"\x01" * 64, b"\x02" * 66, b"\x03" * 200):
        assert normalize_signature(other) == other
        assert normalize_signature("0x" + other.hex()) == other


V_RANGE = "v must be 0, 1, 27 or 28"
R_S_RANGE = "r and s must be between 1 and n - 1"
NOT_HEX = "non-hexadecimal"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (_signature(1, 1, 29), V_RANGE),
        (_signature(1, 1, 26), V_RANGE),
        (_signature(0, 1, 27), R_S_RANGE),
        (_signature(1, 0, 27), R_S_RANGE),
        (_signature(SECP256K1_N, 1, 27), R_S_RANGE),
        (_signature(1, SECP256K1_N, 28), R_S_RANGE),
        ("0x123", NOT_HEX),
        ("0xzz", NOT_HEX),
    ],
    ids=["v-29", "v-26", "r-zero", "s-zero", "r-n", "s-n", "odd-hex", "not-hex"],
)
def test_normalize_signature_rejects_malformed_ones(bad, reason) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_signature(bad)


def test_verify_refuses_what_the_escrow_refuses(env: Env) -> None:
    terms = env.terms()
    signature = env.sign(terms)
    assert _verify(env, terms, signature)
    for refused in (
        signature[:64],  # 64 bytes (EIP-2098 compact form): OpenZeppelin 5.4 wants 65
        signature + b"\x00",
        b"\x01" * 65,
        _signature(*_parts(signature)[:2], 29),
        "0x123",
        "not hex",
    ):
        assert not _verify(env, terms, refused)
    with pytest.raises(errors.InvalidSignature):
        env.create(terms, signature[:64])


def test_a_contract_wallet_creator_is_checked_by_erc1271(env: Env) -> None:
    wallet = env.deploy_test("ERC1271Wallet", env.creator.address)
    terms = env.terms(
        creator=wallet.address,
        payees=(wallet.address, env.designer1.address),
        shares_bps=(9000, 1000),
    )
    signature = env.sign(terms, env.creator.key)
    assert _verify(env, terms, signature)
    assert not _verify(env, terms, malleated(signature))  # the wallet's own ECDSA refuses it
    assert not _verify(env, terms, env.sign(terms, env.stranger.key))
    bindings.simulate_create_deal(env.w3, env.escrow.address, terms, signature)
    with pytest.raises(errors.InvalidSignature):
        bindings.simulate_create_deal(env.w3, env.escrow.address, terms, malleated(signature))


def test_simulate_create_deal_in_eth_needs_no_balance(env: Env) -> None:
    brand = Account.create()  # holds no ETH at all: the call runs with a balance override
    terms = env.terms(brand=brand.address, amount=10**24)
    signature = env.sign(terms)
    assert env.eth_balance(brand.address) == 0

    assert bindings.simulate_create_deal(env.w3, env.escrow.address, terms, signature) is None

    with pytest.raises(errors.InvalidSignature):
        bindings.simulate_create_deal(
            env.w3, env.escrow.address, terms, env.sign(terms, env.stranger.key)
        )
    with pytest.raises(errors.InvalidSignature):  # signed terms, other amount
        bindings.simulate_create_deal(
            env.w3, env.escrow.address, resized(terms, amount=1), signature
        )
    expired = terms.with_changes(signature_expiry=env.now() - 1)
    with pytest.raises(errors.SignatureExpired):
        bindings.simulate_create_deal(env.w3, env.escrow.address, expired, env.sign(expired))
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.NONE  # a call, not a tx


def test_simulate_create_deal_in_the_stablecoin(env: Env) -> None:
    terms = env.terms(token=env.stablecoin.address, amount=250 * 10**6)
    signature = env.sign(terms)
    # Neither tokens nor allowance yet: the token's own refusal comes after every escrow check.
    assert env.stablecoin.allowance(env.brand.address, env.escrow.address) == 0
    bindings.simulate_create_deal(env.w3, env.escrow.address, terms, signature)
    with pytest.raises(errors.InvalidSignature):
        bindings.simulate_create_deal(env.w3, env.escrow.address, terms, malleated(signature))
    over_cap = terms.with_changes(platform_fee_bps=501)
    over_cap_signature = env.sign(over_cap)
    with pytest.raises(errors.FeeAboveCap):
        bindings.simulate_create_deal(env.w3, env.escrow.address, over_cap, over_cap_signature)

    env.fund_tokens(env.stablecoin, env.brand, terms.amount)  # with funds it simply succeeds
    bindings.simulate_create_deal(env.w3, env.escrow.address, terms, signature)
    env.create(terms, signature)
    with pytest.raises(errors.DealAlreadyExists):
        bindings.simulate_create_deal(env.w3, env.escrow.address, terms, signature)


def test_simulate_create_deal_on_a_fee_on_transfer_token_fails(env: Env) -> None:
    terms = env.terms(token=env.fee_token.address, amount=1_000_000)
    env.fund_tokens(env.fee_token, env.brand, terms.amount)
    with pytest.raises(errors.FeeOnTransferToken):
        bindings.simulate_create_deal(env.w3, env.escrow.address, terms, env.sign(terms))


def _any_typed_data() -> dict:
    creator = Account.create().address
    terms = bindings.DealTerms(
        salt=bindings.new_salt(),
        brand=Account.create().address,
        creator=creator,
        token="ETH",
        amount=1,
        payees=(creator,),
        shares_bps=(10_000,),
        milestones=((1, 2_000_000_000),),
        platform_fee_bps=0,
        review_period=1,
        dispute_timeout=86_400,
        dispute_rule_payee_bps=0,
        terms_hash=b"\x00" * 32,
        is_virtual=False,
        signature_expiry=2_000_000_000,
    )
    return terms.typed_data(31337, bindings.ZERO_ADDRESS)
