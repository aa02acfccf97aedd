"""Python side of the contracts: artifacts, EIP-712 deal terms, signatures, contract wrappers,
transactions, events, deploy.

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

Import from this package (``from contracts import bindings``); its modules are:
``encoding`` (constants, bytes32/hex, one JSON-safe form), ``artifacts``, ``terms``,
``signatures``, ``wrappers``, ``transactions``, ``events``, ``deploy``.

Escrow v2: a deal has 1..16 milestones (``Milestone``), each delivered, paid, refunded or
disputed on its own (every escrow builder takes ``milestone=0``); a delivery names the deal by id
only. Creator actions can be signed and relayed (``EscrowContract.deliver_typed_data``,
``withdraw_typed_data``; a ``settlement_typed_data`` is signed by both parties), and an ERC-20
deal can be funded with the token's permit in one transaction (``Erc20.permit_typed_data``,
``EscrowContract.build_create_deal_with_permit``).
"""

from contracts.bindings.artifacts import ARTIFACTS_DIR, TEST_ARTIFACTS_DIR, abi_of, load_artifact
from contracts.bindings.deploy import (
    Deployment,
    deploy,
    deploy_escrow,
    deploy_local,
    deploy_splitter_factory,
    deploy_stablecoin,
)
from contracts.bindings.encoding import (
    BPS,
    ETH_TOKEN_ADDRESS,
    MAX_UINT256,
    ZERO_ADDRESS,
    bytes32,
    json_safe,
    normalize_token,
    signature_bytes,
    to_hex,
)
from contracts.bindings.events import (
    ContractEvent,
    decode_log,
    events_in_receipt,
    fetch_contract_events,
    fetch_events,
    fetch_events_of_type,
    fetch_splitter_events,
)
from contracts.bindings.signatures import (
    ERC1271_MAGIC_VALUE,
    SECP256K1_N,
    normalize_signature,
    recover_signer,
    sign_typed_data,
    simulate_create_deal,
    verify_creator_signature,
)
from contracts.bindings.terms import (
    ACTION_FIELDS,
    DEAL_TERMS_FIELDS,
    EIP712_DOMAIN_FIELDS,
    ESCROW_EIP712_NAME,
    ESCROW_EIP712_VERSION,
    MAX_DISPUTE_TIMEOUT,
    MAX_MILESTONES,
    MAX_PAYEES,
    MILESTONE_FIELDS,
    MIN_DISPUTE_TIMEOUT,
    DealTerms,
    Milestone,
    action_typed_data,
    eip712_types,
    new_salt,
    sign_action,
    signable_digest,
)
from contracts.bindings.transactions import estimate_gas, send
from contracts.bindings.wrappers import (
    DealState,
    DealStatus,
    Erc20,
    EscrowContract,
    SplitterContract,
    SplitterFactoryContract,
    UnsignedTx,
)

__all__ = [
    "ACTION_FIELDS",
    "ARTIFACTS_DIR",
    "BPS",
    "DEAL_TERMS_FIELDS",
    "EIP712_DOMAIN_FIELDS",
    "eip712_types",
    "ERC1271_MAGIC_VALUE",
    "ESCROW_EIP712_NAME",
    "ESCROW_EIP712_VERSION",
    "ETH_TOKEN_ADDRESS",
    "MAX_DISPUTE_TIMEOUT",
    "MAX_MILESTONES",
    "MAX_PAYEES",
    "MAX_UINT256",
    "MILESTONE_FIELDS",
    "MIN_DISPUTE_TIMEOUT",
    "SECP256K1_N",
    "TEST_ARTIFACTS_DIR",
    "ZERO_ADDRESS",
    "ContractEvent",
    "DealState",
    "DealStatus",
    "DealTerms",
    "Deployment",
    "Erc20",
    "EscrowContract",
    "Milestone",
    "SplitterContract",
    "SplitterFactoryContract",
    "UnsignedTx",
    "abi_of",
    "action_typed_data",
    "bytes32",
    "decode_log",
    "deploy",
    "deploy_escrow",
    "deploy_local",
    "deploy_splitter_factory",
    "deploy_stablecoin",
    "estimate_gas",
    "events_in_receipt",
    "fetch_contract_events",
    "fetch_events",
    "fetch_events_of_type",
    "fetch_splitter_events",
    "json_safe",
    "load_artifact",
    "new_salt",
    "normalize_signature",
    "normalize_token",
    "recover_signer",
    "send",
    "sign_action",
    "sign_typed_data",
    "signable_digest",
    "signature_bytes",
    "simulate_create_deal",
    "to_hex",
    "verify_creator_signature",
]
