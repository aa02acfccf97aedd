"""Relayed creator actions: the creator signs (EIP-712 `Deliver`), a relayer key pays the gas.

The relayer only ever pays gas: the escrow sends a deal's money to the deal's payees whoever
submits, and the relayer's transactions carry no value. Each creator gets a budget of relayed
transactions per day and a rate limit per minute, counted from the `relayed_action` ledger in
the same unit of work that records the new one. On the local chain the relayer is a fixed key
funded by anvil on first use; elsewhere RELAYER_PRIVATE_KEY names a funded key.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

from eth_account import Account
from eth_utils import keccak
from sqlalchemy import func, text
from sqlmodel import Session, select

from api.chain.client import ChainClient
from api.chain.indexer import LOCAL_CHAIN_ID
from api.collaborations.models import Collaboration
from api.collaborations.service import (
    chain_time,
    milestone_status,
    require_chain,
    require_milestone,
    require_typed_signer,
)
from api.core.errors import ChainUnavailable, Conflict, RateLimited
from api.core.settings import Settings
from api.kit.time import utcnow
from api.relay.models import RelayBody, RelayedAction, RelayResult
from contracts import bindings
from contracts.errors import ContractRevert

# A fixed, publicly derivable key: only ever used on a local anvil chain, which funds it.
LOCAL_RELAYER_KEY = "0x" + keccak(text="collab local relayer").hex()
LOCAL_RELAYER_FUNDING_WEI = 100 * 10**18
SIGNATURE_TTL_SECONDS = 3600
_send_lock = threading.Lock()  # one relayer key: its transactions take nonces one at a time


def relayer_key(settings: Settings, chain: ChainClient) -> str:
    if settings.relayer_private_key:
        return settings.relayer_private_key
    if chain.chain_id == LOCAL_CHAIN_ID:
        return LOCAL_RELAYER_KEY
    raise ChainUnavailable("no relayer is configured (RELAYER_PRIVATE_KEY) on this chain")


def _fund_local_relayer(chain: ChainClient, relayer: str) -> None:
    """anvil gives the local relayer gas money when it runs low."""
    if chain.chain_id != LOCAL_CHAIN_ID:
        return
    if chain.ask(chain.w3.eth.get_balance, relayer) < LOCAL_RELAYER_FUNDING_WEI // 10:
        chain.ask(
            chain.w3.provider.make_request,
            "anvil_setBalance",
            [relayer, hex(LOCAL_RELAYER_FUNDING_WEI)],
        )


def _require_deliverable(chain: ChainClient, collaboration: Collaboration, milestone: int) -> int:
    """The milestone's deliver-by, once the milestone is funded and not past it."""
    part = require_milestone(collaboration, milestone)
    status = milestone_status(collaboration, part)
    if status != "funded":
        raise Conflict(f"milestone {milestone} is {status}; deliver needs it funded", state=status)
    if chain_time(chain) > part["deliver_by"]:
        raise Conflict(f"milestone {milestone}'s delivery deadline has passed", state=status)
    return part["deliver_by"]


def deliver_typed_data(
    *, chain: ChainClient | None, collaboration: Collaboration, deliverable: str, milestone: int = 0
) -> dict:
    """The creator's EIP-712 `Deliver` for this deal's milestone, to sign and POST to /relay."""
    chain = require_chain(chain)
    deliver_by = _require_deliverable(chain, collaboration, milestone)
    escrow = bindings.EscrowContract(chain.w3, chain.escrow_address)
    deadline = min(chain_time(chain) + SIGNATURE_TTL_SECONDS, deliver_by)
    typed = chain.ask(
        escrow.deliver_typed_data,
        collaboration.deal_id,
        milestone,
        keccak(text=deliverable),
        deadline,
    )
    return {
        "collaboration_id": collaboration.id,
        "milestone": milestone,
        "typed_data": {
            **typed,
            "message": bindings.json_safe(typed["message"], ints_as_strings=True),
        },
        "deadline": deadline,
        "note": "sign with the creator wallet (eth_signTypedData_v4), then POST it to /relay "
        "with the same deliverable and deadline: a relayer pays the gas",
    }


def _spend_budget(session: Session, settings: Settings, row: RelayedAction) -> None:
    """Record ``row`` against its creator's budget, or refuse it (429; the request's rollback
    takes the row back). The row is written before the count, under a lock per creator, so
    parallel relays of several deals of one creator cannot all pass the same last unit: on
    PostgreSQL an advisory lock keyed by the creator; on SQLite the insert takes the database's
    write lock, and the count after it sees every relay committed before."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"relay-budget:{row.creator_id}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    session.add(row)
    session.flush()  # a parallel relay of the same action stops here (unique row): 409
    now = utcnow()

    def used_since(since) -> int:
        return session.exec(
            select(func.count())
            .select_from(RelayedAction)
            .where(RelayedAction.creator_id == row.creator_id, RelayedAction.created_at >= since)
        ).one()

    if used_since(now - timedelta(minutes=1)) > settings.relay_per_creator_per_minute:
        raise RateLimited(
            f"at most {settings.relay_per_creator_per_minute} relayed transactions a minute"
        )
    if used_since(now - timedelta(days=1)) > settings.relay_per_creator_per_day:
        raise RateLimited(
            f"the relaying budget is {settings.relay_per_creator_per_day} transactions a day; "
            "send the transaction from the creator wallet instead"
        )


def relay(
    *,
    session: Session,
    chain: ChainClient | None,
    settings: Settings,
    collaboration: Collaboration,
    body: RelayBody,
) -> RelayResult:
    """Claim the (collaboration, action) row against the creator's budget, check the signed
    delivery as the escrow will, then send `markDeliveredBySig` from the relayer."""
    chain = require_chain(chain)
    _require_deliverable(chain, collaboration, body.milestone)
    key = relayer_key(settings, chain)
    relayer = Account.from_key(key).address
    row = RelayedAction(
        collaboration_id=collaboration.id,
        creator_id=collaboration.creator_id,
        action=body.action,
        milestone=body.milestone,
        relayer=relayer,
    )
    # The row is claimed before the signature is checked: the signed message holds the
    # creator's nonce, which a relay sent a moment ago has already moved, so a second post of
    # the same delivery must meet the first one's row (409), not a signature that no longer
    # matches (422). A refused signature rolls the row back with the request.
    _spend_budget(session, settings, row)
    escrow = bindings.EscrowContract(chain.w3, chain.escrow_address)
    deliverable_hash = keccak(text=body.deliverable)
    typed = chain.ask(
        escrow.deliver_typed_data,
        collaboration.deal_id,
        body.milestone,
        deliverable_hash,
        body.deadline,
    )
    signature = require_typed_signer(
        typed,
        body.signature,
        signer=collaboration.creator_wallet,
        field="signature",
        mismatch="does not match the delivery",
        detail="the signature is not the creator wallet's signature of this delivery; sign the "
        "typed data from GET /v1/collaborations/{id}/relay/deliver with the same deliverable",
    )
    tx = escrow.build_mark_delivered_by_sig(
        collaboration.deal_id, deliverable_hash, body.deadline, signature, body.milestone
    )
    _fund_local_relayer(chain, relayer)
    try:
        with _send_lock:
            receipt = chain.ask(bindings.send, chain.w3, tx, key)
    except ContractRevert as exc:
        raise Conflict(f"the escrow refused the relayed delivery: {exc}") from None
    row.tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
    session.add(row)
    return RelayResult(
        collaboration_id=collaboration.id,
        action=body.action,
        milestone=body.milestone,
        relayer=relayer,
        tx_hash=row.tx_hash,
        gas_used=int(receipt["gasUsed"]),
    )
