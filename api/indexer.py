"""Chain events -> database, once each, resumable.

Each batch runs in one database transaction: the events (unique by chain, tx hash, log index),
their effects on collaborations and payouts, and the cursor. A crash loses the whole batch or
none of it; a restart resumes at the cursor. Only events `confirmations` blocks deep are read.
On PostgreSQL a transaction-level advisory lock keeps a second indexer from applying the same
batch at the same time.
"""

from __future__ import annotations

import logging
import threading
import zlib
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.chain import NODE_DOWN_ERRORS, ChainClient
from api.collaborations.models import ChainEvent, Collaboration, IndexerCursor, Payout
from api.creators.models import Creator
from api.errors import ChainUnavailable
from api.idempotency import utcnow
from contracts import bindings

log = logging.getLogger("collab.indexer")

STATUS_BY_EVENT = {
    "DealCreated": ("funded", "fund"),
    "Delivered": ("delivered", "deliver"),
    "Approved": (None, "approve"),
    "Released": ("released", "release"),
    "Refunded": ("refunded", "refund"),
    "Disputed": ("disputed", "dispute"),
    "Resolved": ("resolved", "resolve"),
}
PAYOUT_KIND = {
    "PayoutPaid": ("paid", "payee"),
    "PayoutCredited": ("credited", "payee"),
    "FeePaid": ("fee", "treasury"),
    "FeeCredited": ("fee", "treasury"),
    "RefundPaid": ("refund", "brand"),
    "RefundCredited": ("refund", "brand"),
}
ZERO = "0x0000000000000000000000000000000000000000"


def _token(address: str) -> str:
    return "ETH" if address == ZERO else address


@dataclass
class Indexer:
    engine: Engine
    chain: ChainClient
    confirmations: int = 0
    start_block: int = 0
    batch_blocks: int = 2_000
    match_index: object | None = None

    @property
    def cursor_name(self) -> str:
        return f"escrow:{self.chain.escrow_address}"

    def _lock(self, session: Session) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True  # SQLite serialises writers itself
        key = zlib.crc32(self.cursor_name.encode())
        return bool(session.execute(text(f"SELECT pg_try_advisory_xact_lock({key})")).scalar())

    def run_once(self) -> int:
        """Apply the next batch of confirmed events; returns how many were applied."""
        return self._step()[0]

    def catch_up(self) -> int:
        """Apply batches until the confirmed head; returns how many events were applied."""
        total = 0
        while True:
            applied, advanced = self._step()
            total += applied
            if not advanced:
                return total

    def _step(self) -> tuple[int, bool]:
        """One batch: (events applied, whether the cursor moved)."""
        head = self.chain.call(lambda: self.chain.w3.eth.block_number)
        safe_head = head - self.confirmations
        with Session(self.engine) as session:
            if not self._lock(session):
                return 0, False
            cursor = session.get(IndexerCursor, self.cursor_name)
            if cursor is None:
                cursor = IndexerCursor(name=self.cursor_name, next_block=self.start_block)
            if cursor.next_block > safe_head:
                return 0, False
            to_block = min(safe_head, cursor.next_block + self.batch_blocks - 1)
            events = self.chain.call(
                bindings.fetch_events,
                self.chain.w3,
                self.chain.escrow_address,
                cursor.next_block,
                to_block,
            )
            chain_id = self.chain.chain_id
            applied = 0
            for event in events:
                applied += self._apply(session, chain_id, event)
            cursor.next_block = to_block + 1
            cursor.updated_at = utcnow()
            session.add(cursor)
            session.commit()
            return applied, True

    def _apply(self, session: Session, chain_id: int, event: bindings.ContractEvent) -> int:
        seen = session.exec(
            select(ChainEvent.id).where(
                ChainEvent.chain_id == chain_id,
                ChainEvent.tx_hash == event.tx_hash,
                ChainEvent.log_index == event.log_index,
            )
        ).first()
        if seen is not None:
            return 0
        deal_id = event.args.get("dealId")
        session.add(
            ChainEvent(
                chain_id=chain_id,
                block_number=event.block_number,
                tx_hash=event.tx_hash,
                log_index=event.log_index,
                name=event.name,
                deal_id=deal_id,
                args={
                    k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                    for k, v in event.args.items()
                },
            )
        )
        if event.name in PAYOUT_KIND:
            kind, wallet_arg = PAYOUT_KIND[event.name]
            self._payout(session, chain_id, event, kind, event.args[wallet_arg], deal_id)
        elif event.name == "Withdrawn":
            self._payout(session, chain_id, event, "withdrawn", event.args["account"], None)
        elif event.name in STATUS_BY_EVENT:
            self._transition(session, event, deal_id)
        session.flush()
        return 1

    def _payout(self, session, chain_id, event, kind, wallet, deal_id) -> None:
        session.add(
            Payout(
                chain_id=chain_id,
                deal_id=deal_id,
                wallet=wallet,
                token=_token(event.args["token"]),
                amount=str(event.args["amount"]),
                kind=kind,
                block_number=event.block_number,
                tx_hash=event.tx_hash,
                log_index=event.log_index,
            )
        )

    def _transition(self, session: Session, event: bindings.ContractEvent, deal_id: str) -> None:
        collaboration = session.exec(
            select(Collaboration).where(Collaboration.deal_id == deal_id)
        ).first()
        if collaboration is None:
            log.info("%s for a deal made outside Collab: %s", event.name, deal_id)
            return
        status, action = STATUS_BY_EVENT[event.name]
        collaboration.transactions = {**collaboration.transactions, action: event.tx_hash}
        if status:
            collaboration.status = status
        if event.name == "Delivered":
            collaboration.deliverable_hash = event.args["deliverableHash"]
            collaboration.delivered_at = int(event.args["deliveredAt"])
        if event.name == "Resolved":
            collaboration.resolution = {
                "payee_share_bps": int(event.args["payeeShareBps"]),
                "to_payees": str(event.args["toPayees"]),
                "to_brand": str(event.args["toBrand"]),
            }
        if event.name == "Released":
            self._count_completed(session, collaboration.creator_id)
        collaboration.updated_at = utcnow()
        session.add(collaboration)

    def _count_completed(self, session: Session, creator_id: str) -> None:
        creator = session.get(Creator, creator_id)
        if creator is None:
            return
        creator.completed_deals += 1
        creator.updated_at = utcnow()  # so other processes' matching indexes pick it up
        session.add(creator)
        if self.match_index is not None:
            from api.match_index import creator_profile, on_commit

            profile = creator_profile(creator)
            on_commit(session, lambda: self.match_index.upsert(profile))

    def run_forever(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                # Wait only at the head: a batch of blocks without events is no reason to.
                if not self._step()[1]:
                    stop.wait(poll_seconds)
            except (ChainUnavailable, *NODE_DOWN_ERRORS) as exc:
                log.warning("chain unreachable, retrying: %s", exc)
                stop.wait(poll_seconds * 2)
            except Exception:
                log.exception("indexer batch failed; retrying")
                stop.wait(poll_seconds * 2)


def start_background(app) -> None:
    settings = app.state.settings
    chain: ChainClient | None = app.state.chain
    if not (settings.indexer_enabled and chain and chain.escrow_address):
        return
    indexer = Indexer(
        engine=app.state.engine,
        chain=chain,
        confirmations=settings.confirmations,
        start_block=settings.indexer_start_block,
        match_index=app.state.match_index,
    )
    stop = threading.Event()
    thread = threading.Thread(
        target=indexer.run_forever,
        args=(stop, settings.indexer_poll_seconds),
        name="collab-indexer",
        daemon=True,
    )
    app.state.indexer = indexer
    app.state.indexer_stop = stop
    thread.start()
    app.state.indexer_thread = thread


def stop_background(app) -> None:
    stop = getattr(app.state, "indexer_stop", None)
    if stop is not None:
        stop.set()
        app.state.indexer_thread.join(timeout=10)
