"""Python bindings: EIP-712 typed data, signatures, tx builders, event decoding, typed errors."""

from __future__ import annotations

import json

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from web3.exceptions import ContractCustomError, ContractLogicError

from contracts import bindings, errors
from contracts.bindings import ZERO_ADDRESS, DealTerms, send
from tests.contracts.env import Env, advance


def test_typed_data_is_json_and_matches_the_contract_digest(env: Env) -> None:
    terms = env.terms()
    typed = terms.typed_data(env.chain_id, env.escrow.address)
    assert json.loads(json.dumps(typed)) == typed  # JSON-able as is
    assert typed["primaryType"] == "DealTerms"
    assert typed["domain"] == {
        "name": "CollabEscrow",
        "version": "2",
        "chainId": env.chain_id,
        "verifyingContract": env.escrow.address,
    }
    message = typed["message"]
    assert isinstance(message["amount"], int)
    assert message["amount"] == terms.amount
    assert message["token"] == ZERO_ADDRESS
    assert message["payees"] == list(env.payees)
    assert [field["name"] for field in typed["types"]["DealTerms"]][:3] == [
        "salt",
        "brand",
        "creator",
    ]
    signable = encode_typed_data(full_message=typed)
    assert signable.header == env.escrow.domain_separator()
    assert terms.digest(env.chain_id, env.escrow.address) == env.escrow.hash_terms(terms)
    assert env.escrow.typed_data(terms) == typed


def test_sign_recover_and_verify(env: Env) -> None:
    terms = env.terms()
    signature = env.sign(terms)
    typed = terms.typed_data(env.chain_id, env.escrow.address)
    assert bindings.recover_signer(typed, signature) == env.creator.address
    verify = bindings.verify_creator_signature
    kwargs = {"escrow_address": env.escrow.address, "chain_id": env.chain_id}
    assert verify(env.w3, terms, signature, **kwargs)
    assert verify(env.w3, terms, "0x" + signature.hex(), **kwargs)
    assert not verify(env.w3, terms, env.sign(terms, env.brand.key), **kwargs)
    assert not verify(env.w3, terms, b"\x01" * 65, **kwargs)
    assert not verify(env.w3, terms.with_changes(amount=1), signature, **kwargs)


def test_deal_terms_normalise_their_inputs() -> None:
    creator = Account.create().address
    terms = DealTerms(
        salt="0x" + "ab" * 32,
        brand=Account.create().address.lower(),
        creator=creator.lower(),
        token="ETH",
        amount="1000",
        payees=[creator.lower()],
        shares_bps=["10000"],
        milestones=[("600", 2_000_000_000), bindings.Milestone(400, "2000000001")],
        platform_fee_bps=0,
        review_period=86_400,
        dispute_timeout=86_400,
        dispute_rule_payee_bps=5_000,
        terms_hash=b"\x00" * 32,
        is_virtual=0,
        signature_expiry=1_900_000_000,
    )
    assert terms.salt == b"\xab" * 32
    assert terms.deal_id == terms.struct_hash() != terms.with_changes(salt=b"\xac" * 32).deal_id
    assert terms.creator == creator
    assert terms.payees == (creator,)
    assert terms.token == ZERO_ADDRESS
    assert terms.is_eth
    assert terms.amount == 1000
    assert terms.shares_bps == (10_000,)
    assert terms.is_virtual is False
    assert terms.milestones == (
        bindings.Milestone(600, 2_000_000_000),
        bindings.Milestone(400, 2_000_000_001),
    )
    assert terms.deliver_by == 2_000_000_001
    terms.validate()
    with pytest.raises(ValueError, match="sum to the amount"):
        terms.with_changes(amount=1001).validate()
    with pytest.raises(ValueError, match="sum to exactly 10,000"):
        terms.with_changes(shares_bps=(9_999,)).validate()
    with pytest.raises(ValueError, match="expected 32 bytes, got 31"):
        DealTerms(**{**terms.__dict__, "salt": b"\x01" * 31})


def _paid(receipt) -> tuple[int, dict[str, int], int]:
    """(fee, payee payouts by wallet, refund to the brand) as the escrow's events report them."""
    events = bindings.events_in_receipt(receipt)
    fee = sum(e.args["amount"] for e in events if e.name == "FeePaid")
    payees = {e.args["payee"]: e.args["amount"] for e in events if e.name == "PayoutPaid"}
    refund = sum(e.args["amount"] for e in events if e.name == "RefundPaid")
    return fee, payees, refund


@pytest.mark.parametrize("amount", [10**18 + 7, 999_999_999_999, 10_001])
def test_payouts_helper_matches_what_the_escrow_pays(env: Env, amount: int) -> None:
    """DealTerms.fee_amount / payouts / resolution against real release and resolve receipts,
    with shares whose rounding leaves dust for the creator."""
    shares = (5001, 3333, 1333, 333)
    released = env.terms(amount=amount, shares_bps=shares)
    env.create(released)
    env.deliver(released)
    receipt = send(env.w3, env.escrow.build_approve_delivery(released), env.brand.key)
    fee, payees, _ = _paid(receipt)
    assert fee == released.fee_amount()
    assert payees == dict(zip(released.payees, released.payouts(), strict=True))

    resolved = env.terms(amount=amount, shares_bps=shares)
    env.create(resolved)
    env.deliver(resolved)
    send(env.w3, env.escrow.build_dispute(resolved), env.brand.key)
    receipt = send(env.w3, env.escrow.build_resolve(resolved, 6_667), env.arbiter.key)
    fee, payouts, to_brand = resolved.resolution(6_667)
    assert _paid(receipt) == (fee, dict(zip(resolved.payees, payouts, strict=True)), to_brand)


def test_tx_builders_return_unsigned_transactions(env: Env) -> None:
    terms = env.terms()
    signature = env.sign(terms)
    create = env.escrow.build_create_deal(terms, signature)
    assert set(create) == {"to", "data", "value", "chainId"}
    assert create["to"] == env.escrow.address
    assert create["value"] == terms.amount
    assert create["chainId"] == env.chain_id
    assert create["data"].startswith("0x")
    token_terms = env.terms(token=env.stablecoin.address)
    assert env.escrow.build_create_deal(token_terms, "0x" + signature.hex())["value"] == 0
    for tx in (
        env.escrow.build_mark_delivered(terms.deal_id, "0x" + "11" * 32),
        env.escrow.build_approve_delivery(terms),
        env.escrow.build_release(terms),
        env.escrow.build_refund(terms),
        env.escrow.build_dispute(terms),
        env.escrow.build_resolve(terms, 5_000),
        env.escrow.build_withdraw("ETH"),
        env.escrow.build_withdraw_to(env.stablecoin.address, env.other.address),
        env.stablecoin.build_approve(env.escrow.address, 5),
    ):
        assert set(tx) == {"to", "data", "value", "chainId"}
        assert tx["value"] == 0
    assert bindings.estimate_gas(env.w3, create, env.brand.address) > 21_000
    with pytest.raises(errors.NotBrand):
        bindings.estimate_gas(env.w3, create, env.stranger.address)


def test_fetch_events_decodes_the_lifecycle_in_order(env: Env) -> None:
    start = env.w3.eth.block_number + 1
    terms = env.terms(token=env.stablecoin.address, amount=10_000_000)
    create = env.create(terms)
    env.deliver(terms)
    approve = send(env.w3, env.escrow.build_approve_delivery(terms), env.brand.key)

    events = bindings.fetch_events(
        env.w3, env.escrow.address, start, "latest", with_timestamps=True
    )
    names = [e.name for e in events]
    assert names == ["DealCreated", "Delivered", "Approved", "FeePaid"] + ["PayoutPaid"] * 4
    assert [(e.block_number, e.log_index) for e in events] == sorted(
        (e.block_number, e.log_index) for e in events
    )
    created = events[0]
    assert created.tx_hash == "0x" + bytes(create["transactionHash"]).hex()
    assert created.block_number == create["blockNumber"]
    assert created.args["token"] == env.stablecoin.address
    assert created.block_timestamp == env.w3.eth.get_block(create["blockNumber"])["timestamp"]
    payouts = {e.args["payee"]: e.args["amount"] for e in events if e.name == "PayoutPaid"}
    assert payouts == dict(zip(terms.payees, terms.payouts(), strict=True))
    assert all(isinstance(amount, int) for amount in payouts.values())

    only_approve = bindings.fetch_events(
        env.w3, env.escrow.address, approve["blockNumber"], approve["blockNumber"]
    )
    assert only_approve[0].name == "Approved"
    assert only_approve[0].block_timestamp is None
    assert bindings.fetch_events(env.w3, env.escrow.address, start, start - 1) == []


def test_fetch_splitter_events(env: Env) -> None:
    payees = env.payees[:2]
    splitter_address = env.factory.predict(payees, (5000, 5000))
    send(env.w3, env.factory.build_create_splitter(payees, (5000, 5000)), env.other.key)
    start = env.w3.eth.block_number + 1
    send(
        env.w3,
        {"to": splitter_address, "data": "0x", "value": 10, "chainId": env.chain_id},
        env.other.key,
    )
    splitter = bindings.SplitterContract(env.w3, splitter_address)
    send(env.w3, splitter.build_distribute("ETH"), env.other.key)
    events = bindings.fetch_splitter_events(env.w3, [splitter_address], start)
    assert [(e.name, e.args["payee"], e.args["amount"]) for e in events] == [
        ("PayoutPaid", payees[1], 5),
        ("PayoutPaid", payees[0], 5),
    ]


def test_deploy_local_reports_addresses_and_start_block(env: Env) -> None:
    before = env.w3.eth.block_number
    deployment = bindings.deploy_local(env.w3, env.owner.key)
    assert deployment.chain_id == env.chain_id
    assert deployment.start_block == before + 1
    for address in (
        deployment.escrow_address,
        deployment.splitter_factory_address,
        deployment.stablecoin_address,
    ):
        assert env.w3.eth.get_code(address) != b""
    escrow = bindings.EscrowContract(env.w3, deployment.escrow_address)
    assert escrow.owner() == escrow.arbiter() == escrow.treasury() == env.owner.address
    assert escrow.platform_fee_cap_bps() == 500
    assert bindings.Erc20(env.w3, deployment.stablecoin_address).decimals() == 6


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def test_decode_revert_data() -> None:
    deal_id = b"\x05" * 32
    data = _selector("WrongStatus(bytes32,uint256,uint8,uint8)") + abi_encode(
        ["bytes32", "uint256", "uint8", "uint8"], [deal_id, 1, 3, 2]
    )
    error = errors.decode_revert_data(data)
    assert isinstance(error, errors.WrongStatus)
    assert isinstance(error, errors.ContractRevert)
    assert error.name == "WrongStatus"
    assert error.args == ("0x" + deal_id.hex(), 1, 3, 2)
    assert error.named_args == {
        "dealId": "0x" + deal_id.hex(),
        "milestone": 1,
        "current": 3,
        "required": 2,
    }
    assert error.selector == "0x" + _selector("WrongStatus(bytes32,uint256,uint8,uint8)").hex()

    caller = Account.create().address
    not_brand = errors.decode_revert_data(
        "0x" + (_selector("NotBrand(address)") + abi_encode(["address"], [caller])).hex()
    )
    assert isinstance(not_brand, errors.NotBrand)
    assert not_brand.args == (caller,)

    reason = errors.decode_revert_data(
        _selector("Error(string)") + abi_encode(["string"], ["nope"])
    )
    assert isinstance(reason, errors.RevertReason)
    assert reason.args == ("nope",)
    panic = errors.decode_revert_data(_selector("Panic(uint256)") + abi_encode(["uint256"], [17]))
    assert isinstance(panic, errors.Panic)
    assert panic.named_args == {"code": 17}
    assert isinstance(errors.decode_revert_data("0xdeadbeef"), errors.UnknownRevert)
    assert isinstance(errors.decode_revert_data(None), errors.UnknownRevert)
    assert errors.error_class("SomethingNew") is errors.error_class("SomethingNew")


def test_from_web3_error() -> None:
    data = "0x" + (_selector("InvalidSignature(address)") + bytes(32)).hex()
    assert isinstance(
        errors.from_web3_error(ContractCustomError(data, data=data)), errors.InvalidSignature
    )
    no_data = errors.from_web3_error(ContractLogicError("execution reverted", data=None))
    assert isinstance(no_data, errors.UnknownRevert)
    assert errors.from_web3_error(ValueError("not a revert")) is None


def test_reads_of_unknown_deals(env: Env) -> None:
    state = env.escrow.deal_state(b"\x09" * 32)
    assert state == bindings.DealState(bindings.DealStatus.NONE, bindings.ZERO_ADDRESS, 0, 0)
    assert state.status.label == "none"
    assert state.dispute_rule_applies_at is None
    terms = env.terms()
    assert env.escrow.deal_state(terms.deal_id).status is bindings.DealStatus.NONE
    env.create(terms)
    advance(env.w3, 1)
    assert env.escrow.deal_id_of(terms) == terms.deal_id
    assert env.escrow.deal_state(terms.deal_id).status is bindings.DealStatus.FUNDED


def test_deploy_cli_prints_the_deployment(env: Env, tmp_path) -> None:
    from contracts import deploy

    out = tmp_path / "deployment.json"
    rpc_url = env.w3.provider.endpoint_uri
    assert deploy.main(["--rpc-url", rpc_url, "--out", str(out)]) == 0
    deployment = json.loads(out.read_text())
    assert set(deployment) == {
        "chain_id",
        "escrow_address",
        "splitter_factory_address",
        "stablecoin_address",
        "start_block",
    }
    assert env.w3.eth.get_code(deployment["escrow_address"]) != b""
