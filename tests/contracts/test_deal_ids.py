"""Deal ids cannot be squatted: a deal's id is the EIP-712 struct hash of the creator-signed terms.

Issue 10, finding 1 (contract side): a brand, or anyone watching the mempool, used to create its own
1-wei deal under the id of a deal a creator had signed, which blocked the real deal for good.
"""

from __future__ import annotations

import pytest

from contracts import bindings, errors
from contracts.bindings import DealStatus, send
from tests.contracts.env import Env, resized


def _self_signed_copy(terms: bindings.DealTerms, signer) -> bindings.DealTerms:
    """A 1-wei deal under the same salt where ``signer`` is brand, creator and only payee."""
    return resized(
        terms.with_changes(
            brand=signer.address,
            creator=signer.address,
            payees=(signer.address,),
            shares_bps=(10_000,),
        ),
        amount=1,
    )


@pytest.mark.parametrize("squatter", ["brand", "stranger"])
def test_a_self_signed_deal_with_the_same_salt_leaves_the_real_deal_fundable(
    env: Env, squatter: str
) -> None:
    terms = env.terms()
    signature = env.sign(terms)  # the creator accepted; the brand has not funded yet
    attacker = getattr(env, squatter)
    squat = _self_signed_copy(terms, attacker)
    assert squat.salt == terms.salt
    assert squat.deal_id != terms.deal_id

    escrow_before = env.eth_balance(env.escrow.address)
    squat_receipt = env.create(squat, env.sign(squat, attacker.key), sender=attacker)
    [squat_created] = bindings.events_in_receipt(squat_receipt)
    assert squat_created.args["dealId"] == "0x" + squat.deal_id.hex()
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.NONE

    receipt = env.create(terms, signature)

    [created] = bindings.events_in_receipt(receipt)
    assert created.args["dealId"] == "0x" + terms.deal_id.hex()
    assert created.args["creator"] == env.creator.address
    assert created.args["amount"] == terms.amount
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.FUNDED
    assert env.escrow.deal_state(squat.deal_id).status is DealStatus.FUNDED
    assert env.eth_balance(env.escrow.address) - escrow_before == terms.amount + 1


def test_a_copy_of_the_brands_pending_create_deal_reverts_for_anyone_else(env: Env) -> None:
    terms = env.terms()
    tx = env.escrow.build_create_deal(terms, env.sign(terms))  # as seen in the mempool
    with pytest.raises(errors.NotBrand) as raised:
        send(env.w3, tx, env.stranger.key)
    assert raised.value.named_args == {"caller": env.stranger.address}

    # Naming itself the brand changes the signed terms: the creator's signature no longer fits.
    as_brand = terms.with_changes(brand=env.stranger.address)
    with pytest.raises(errors.InvalidSignature):
        send(env.w3, env.escrow.build_create_deal(as_brand, env.sign(terms)), env.stranger.key)

    send(env.w3, tx, env.brand.key)
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.FUNDED


def test_the_deal_id_is_the_struct_hash_of_the_signed_terms(env: Env) -> None:
    terms = env.terms()
    assert env.escrow.deal_id_of(terms) == terms.deal_id == terms.struct_hash()
    # Every field is part of the id; identical offers differ by their salt.
    variants = [
        terms.with_changes(salt=bindings.new_salt()),
        resized(terms, amount=terms.amount + 1),
        terms.with_changes(signature_expiry=terms.signature_expiry + 1),
        terms.with_changes(is_virtual=not terms.is_virtual),
    ]
    ids = {terms.deal_id, *(variant.deal_id for variant in variants)}
    assert len(ids) == 1 + len(variants)
    assert all(env.escrow.deal_id_of(variant) == variant.deal_id for variant in variants)


def test_the_same_signed_terms_fund_one_deal_only(env: Env) -> None:
    terms = env.terms()
    signature = env.sign(terms)
    env.create(terms, signature)
    with pytest.raises(errors.DealAlreadyExists) as raised:
        env.create(terms, signature)
    assert raised.value.named_args == {"dealId": "0x" + terms.deal_id.hex()}


def test_actions_on_altered_terms_name_no_deal(env: Env) -> None:
    terms = env.terms()
    env.create(terms)
    env.deliver(terms)
    cheaper = resized(terms, amount=1)
    with pytest.raises(errors.UnknownDeal) as raised:
        send(env.w3, env.escrow.build_approve_delivery(cheaper), env.brand.key)
    assert raised.value.named_args == {"dealId": "0x" + cheaper.deal_id.hex()}
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.DELIVERED


@pytest.mark.parametrize("word", ["payee", "share"])
def test_a_payee_or_share_word_with_dirty_high_bits_is_refused_before_the_signature(
    env: Env, word: str
) -> None:
    """The escrow reads payees and shares straight from calldata (cheaper than the ABI decoder);
    it refuses a non-canonical word as the decoder does (a revert without data), before it even
    looks at the signature, so such terms can never be funded."""
    terms = env.terms()
    tx = env.escrow.build_create_deal(terms, env.sign(terms))
    data = bytes.fromhex(tx["data"][2:])
    clean = (
        bytes(12) + bytes.fromhex(env.designer1.address[2:])
        if word == "payee"
        else terms.shares_bps[1].to_bytes(32, "big")
    )
    # The second payee (or share) word: a designer's, not the creator's that is also a field.
    at = data.index(clean, data.index(bytes(12) + bytes.fromhex(env.creator.address[2:])) + 32)
    dirty = bytes([0x01]) + clean[1:]
    tx["data"] = "0x" + (data[:at] + dirty + data[at + 32 :]).hex()

    with pytest.raises(errors.UnknownRevert) as raised:
        send(env.w3, tx, env.brand.key)
    assert raised.value.data in ("0x", "")
    assert env.escrow.deal_state(terms.deal_id).status is DealStatus.NONE
