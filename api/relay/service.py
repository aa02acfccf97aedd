"""Relayed creator actions: the creator signs (EIP-712 `Deliver`), a relayer key pays the gas.

The relayer only ever pays gas: the escrow sends a deal's money to the deal's payees whoever
submits, and the relayer's transactions carry no value. Each creator gets a budget of relayed
transactions per day and a rate limit per minute, counted from the `relayed_action` ledger in
the same unit of work that records the new one. On the local chain the relayer is a fixed key
funded by anvil on first use; elsewhere RELAYER_PRIVATE_KEY names a funded key.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from eth_account import Account
from eth_utils import keccak
from sqlalchemy import func
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
from api.core.db import advisory_xact_lock
from api.core.errors import ChainUnavailable, Conflict, RateLimited
from api.core.settings import Settings
from api.kit.time import utcnow
from api.kit.types import ETH
from api.payouts.models import Payout
from api.relay.models import (
    RelayBody,
    RelayedAction,
    RelayResult,
    WithdrawBody,
    WithdrawResult,
)
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
    advisory_xact_lock(session, f"relay-budget:{row.creator_id}")
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
    _, row.tx_hash, receipt = send_as_relayer(
        session=session, chain=chain, settings=settings, tx=tx, what="delivery"
    )
    session.add(row)
    return RelayResult(
        collaboration_id=collaboration.id,
        action=body.action,
        milestone=body.milestone,
        relayer=relayer,
        tx_hash=row.tx_hash,
        gas_used=int(receipt["gasUsed"]),
    )


def send_as_relayer(
    *, session: Session, chain: ChainClient, settings: Settings, tx: dict, what: str
) -> tuple[str, str, dict]:
    """Send a transaction that carries no value from the relayer (which pays its gas only):
    the relayer's address, the transaction hash and the receipt. A revert is a 409 saying the
    escrow refused the relayed ``what``.

    One relayer key signs for every API process, and each of its transactions takes the next
    nonce: sends go one at a time, in this process by a lock and across processes (several
    workers on PostgreSQL) by an advisory lock keyed by the relayer, held until the request
    commits. It is the last lock a relaying request takes, so no two requests wait on each
    other in a cycle."""
    key = relayer_key(settings, chain)
    relayer = Account.from_key(key).address
    advisory_xact_lock(session, f"relayer:{relayer}")
    _fund_local_relayer(chain, relayer)
    try:
        with _send_lock:
            receipt = chain.ask(bindings.send, chain.w3, tx, key)
    except ContractRevert as exc:
        raise Conflict(f"the escrow refused the relayed {what}: {exc}") from None
    return relayer, "0x" + bytes(receipt["transactionHash"]).hex(), receipt


# ------------------------------------------------------------ relayed withdrawal of credits


def _credit(chain: ChainClient, wallet: str, token: str) -> int:
    escrow = bindings.EscrowContract(chain.w3, chain.escrow_address)
    return chain.ask(escrow.credit_of, wallet, None if token == ETH else token)


def _require_credit(chain: ChainClient, wallet: str, token: str) -> int:
    amount = _credit(chain, wallet, token)
    if not amount:
        raise Conflict(f"the escrow holds no {token} credit for {wallet}", state="no_credit")
    return amount


def withdraw_typed_data(*, chain: ChainClient | None, wallet: str, token: str, to: str) -> dict:
    """The credited wallet's EIP-712 `Withdraw` of its whole credit in `token` to `to`, for the
    relayer to send (POST the signature with the same token, to, nonce and deadline)."""
    chain = require_chain(chain)
    amount = _require_credit(chain, wallet, token)
    escrow = bindings.EscrowContract(chain.w3, chain.escrow_address)
    now = chain.ask(lambda: int(chain.w3.eth.get_block("latest")["timestamp"]))
    deadline = now + SIGNATURE_TTL_SECONDS
    typed = chain.ask(
        escrow.withdraw_typed_data, wallet, None if token == ETH else token, to, deadline
    )
    return {
        "wallet": wallet,
        "token": token,
        "amount": str(amount),
        "typed_data": {
            **typed,
            "message": bindings.json_safe(typed["message"], ints_as_strings=True),
        },
        "nonce": typed["message"]["nonce"],
        "deadline": deadline,
        "note": "sign with the credited wallet (eth_signTypedData_v4), then POST it with the "
        "same token, to, nonce and deadline: a relayer pays the gas",
    }


def _crediting_collaboration(session: Session, wallet: str, token: str) -> Collaboration:
    """The latest deal that credited this wallet in this token: its creator's relay budget
    pays for the withdrawal (a designer or a charity has no account of its own)."""
    collaboration = session.exec(
        select(Collaboration)
        .join(Payout, Payout.deal_id == Collaboration.deal_id)
        .where(Payout.wallet == wallet, Payout.token == token, Payout.kind == "credited")
        .order_by(Payout.id.desc())
    ).first()
    if collaboration is None:
        raise Conflict(
            f"no deal credited {wallet} in {token}: the platform relays withdrawals of deal "
            "credits only; GET .../credits gives the transaction to send from the wallet",
            state="no_credit",
        )
    return collaboration


def relay_withdrawal(
    *,
    session: Session,
    chain: ChainClient | None,
    settings: Settings,
    wallet: str,
    body: WithdrawBody,
    token: str,
    to: str,
) -> WithdrawResult:
    """Claim the withdrawal's row against the crediting deal's creator budget, check the
    signature as the escrow will, then send `withdrawBySig` from the relayer."""
    chain = require_chain(chain)
    collaboration = _crediting_collaboration(session, wallet, token)
    key = relayer_key(settings, chain)
    relayer = Account.from_key(key).address
    # One row per signed nonce of the wallet (the ledger's action names it by a digest: the
    # column is short): the same withdrawal posted twice meets its own row (409).
    digest = keccak(text=f"{wallet}:{token}:{body.nonce}").hex()[:10]
    row = RelayedAction(
        collaboration_id=collaboration.id,
        creator_id=collaboration.creator_id,
        action=f"withdraw:{digest}",
        relayer=relayer,
    )
    _spend_budget(session, settings, row)
    escrow = bindings.EscrowContract(chain.w3, chain.escrow_address)
    erc20 = None if token == ETH else token
    current = chain.ask(escrow.nonce_of, wallet)
    if body.nonce != current:
        raise Conflict(
            f"the wallet's escrow nonce is {current}, not {body.nonce}: that withdrawal was "
            "sent already or is stale; sign a new one",
        )
    amount = _require_credit(chain, wallet, token)
    typed = escrow.withdraw_typed_data(wallet, erc20, to, body.deadline, nonce=body.nonce)
    signature = require_typed_signer(
        typed,
        body.signature,
        signer=wallet,
        field="signature",
        mismatch="does not match the withdrawal",
        detail="the signature is not the wallet's signature of this withdrawal; sign the typed "
        "data from GET /v1/wallets/{address}/credits/withdrawal with the same token and to",
    )
    tx = escrow.build_withdraw_by_sig(wallet, erc20, to, body.deadline, signature)
    _, row.tx_hash, receipt = send_as_relayer(
        session=session, chain=chain, settings=settings, tx=tx, what="withdrawal"
    )
    session.add(row)
    return WithdrawResult(
        wallet=wallet,
        token=token,
        to=to,
        amount=str(amount),
        collaboration_id=collaboration.id,
        relayer=relayer,
        tx_hash=row.tx_hash,
        gas_used=int(receipt["gasUsed"]),
    )
