"""Chain events -> database, once each, checked, resumable, and undone by a reorg.

Each step runs in one database transaction: the events (unique by chain, tx hash, log index),
their effects on collaborations and payouts, the hashes of the blocks scanned and the cursor.
A crash loses the whole step or none of it; a restart resumes at the cursor. Only events
`confirmations` blocks deep are read. On PostgreSQL a transaction-level advisory lock keeps a
second indexer from applying the same batch at the same time; on SQLite the step takes the
database's write lock first, so a second indexer waits and then finds the work done.

Every event is checked against the collaboration it names (same chain and escrow, the signed
terms for `DealCreated`, as many milestones as the terms, a status it can follow); one that does
not fit is recorded with the reason and changes nothing. `DealCreated` funds every milestone;
each later status event moves its own milestone, and the collaboration's status is derived
from them (`overall_status`). A payout belongs to the milestone whose event precedes it in its
transaction. Each step first checks that the last scanned block is still on the
chain; when it is not, the indexer walks back to the fork point, deletes what the orphaned
blocks brought, rebuilds the collaborations they touched from the events that remain, and scans
the new canonical blocks.

The same step follows the splitter factory (`SplitterCreated`) and every splitter it made: their
payouts, credits and withdrawals become payouts marked `source="splitter"`. Splitter events are
found by topic and kept when they come from a splitter the factory was seen creating (in an
earlier step, or earlier in this batch), so one query serves any number of splitters.
"""

from __future__ import annotations

import logging
import threading
import zlib
from dataclasses import dataclass, field

from sqlalchemy import delete, func, or_, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from web3.exceptions import BlockNotFound

from api.chain.client import NODE_DOWN_ERRORS, ChainClient, ChainError
from api.chain.models import ChainEvent, IndexerBlock, IndexerCursor
from api.collaborations.models import Collaboration, new_milestone, overall_status
from api.creators.models import Creator
from api.events.service import emit, latest_data, wallet_accounts
from api.kit.background import start_loop
from api.kit.leader import as_leader
from api.kit.time import utcnow
from api.kit.types import new_id
from api.match_index import SharedIndex, creator_profile
from api.payouts.models import Payout, PayoutPublic
from api.splits.models import RevenueSplit
from contracts import bindings

log = logging.getLogger("collab.indexer")
LEADER_ROLE = "indexer"  # one process runs it: see api.kit.leader

LOCAL_CHAIN_ID = 31337  # anvil: blocks are final the moment they are mined
PUBLIC_CONFIRMATIONS = 12
BLOCK_WINDOW = 256  # block hashes kept per cursor: reorgs deeper than this are not undone


@dataclass(frozen=True)
class Transition:
    """What a status event needs to find, and what it leaves."""

    after: frozenset[str]
    status: str | None
    action: str | None
    events: tuple[str, ...]  # the domain events it writes (`collaboration.<event>`), in order


TRANSITIONS = {
    # A drafted deal marked expired or cancelled off chain is funded all the same if the chain
    # says so: the chain is the truth about money.
    "DealCreated": Transition(
        frozenset({"drafted", "expired", "cancelled"}), "funded", "fund", ("funded",)
    ),
    "Delivered": Transition(frozenset({"funded"}), "delivered", "deliver", ("delivered",)),
    # The brand's approval pays out at once (no Released follows it).
    "Approved": Transition(
        frozenset({"delivered"}), "released", "approve", ("approved", "released")
    ),
    "Released": Transition(frozenset({"delivered"}), "released", "release", ("released",)),
    "Refunded": Transition(frozenset({"funded"}), "refunded", "refund", ("refunded",)),
    "Disputed": Transition(frozenset({"delivered"}), "disputed", "dispute", ("disputed",)),
    # By the arbiter; a settlement can also end a funded or delivered deal (`how` says which).
    "Resolved": Transition(
        frozenset({"funded", "delivered", "disputed"}), "resolved", "resolve", ("resolved",)
    ),
}
# Escrow v2's Resolved.how: the arbiter, a settlement both parties signed, the rule in the terms.
RESOLUTION_KINDS = ("arbiter", "settlement", "dispute_rule")
RESOLUTION_ACTIONS = {"arbiter": "resolve", "settlement": "settle", "dispute_rule": "apply_rule"}
ACTIONS = {t.action for t in TRANSITIONS.values() if t.action} | set(RESOLUTION_ACTIONS.values())
# Payouts that make an event: what a payee (or a refunded brand) got, or had credited.
PAYOUT_EVENT = {
    "PayoutPaid": "payout.paid",
    "PayoutCredited": "payout.credited",
    "RefundPaid": "payout.paid",
    "RefundCredited": "payout.credited",
}
PAYOUT_KIND = {
    "PayoutPaid": ("paid", "payee"),
    "PayoutCredited": ("credited", "payee"),
    "FeePaid": ("fee", "treasury"),
    "FeeCredited": ("fee", "treasury"),
    "RefundPaid": ("refund", "brand"),
    "RefundCredited": ("refund", "brand"),
}
SPLITTER_PAYOUT_KIND = {
    "PayoutPaid": ("paid", "payee"),
    "PayoutCredited": ("credited", "payee"),
    "Withdrawn": ("withdrawn", "account"),
}
# DealCreated argument -> the collaboration field it must equal, as a comparable value. The
# deal id is the hash of all the signed terms, so these are a cross-check of the headline ones.
DEAL_CREATED_FIELDS = (
    ("brand", "brand_wallet"),
    ("creator", "creator_wallet"),
    ("token", "token"),
    ("amount", "amount"),
)
ZERO = "0x0000000000000000000000000000000000000000"


def _token(address: str) -> str:
    return "ETH" if address == ZERO else address


def _same(value, expected) -> bool:
    """Addresses and hashes compare without case, numbers as integers, address(0) as ETH."""
    if isinstance(value, str) and value.lower() == ZERO:
        value = "ETH"
    if isinstance(value, int) or isinstance(expected, int):
        try:
            return int(value) == int(expected)
        except (TypeError, ValueError):
            return False
    return str(value).lower() == str(expected).lower()


def confirmation_depth(configured: int | None, chain_id: int) -> int:
    """An explicit CONFIRMATIONS wins; unset means 0 on the local chain and 12 elsewhere."""
    if configured is not None:
        return configured
    return 0 if chain_id == LOCAL_CHAIN_ID else PUBLIC_CONFIRMATIONS


class ChainMoved(Exception):
    """The chain changed while a step read it; the step is dropped and tried again."""


def apply_effects(collaboration: Collaboration, name: str, args: dict, tx_hash: str) -> None:
    """A fitting status event's effect on its collaboration: `DealCreated` funds every
    milestone, any other event moves its milestone, and the collaboration's status follows
    from theirs. The collaboration's own delivery, resolution and transaction columns keep the
    latest event's. Args as decoded or as stored."""
    transition = TRANSITIONS[name]
    action = transition.action
    if name == "Resolved":  # the API action that ends a dispute each way
        action = RESOLUTION_ACTIONS[RESOLUTION_KINDS[int(args["how"])]]
    changes: dict = {"status": transition.status, "transactions": {action: tx_hash}}
    if name == "Delivered":
        changes["deliverable_hash"] = args["deliverableHash"]
        changes["delivered_at"] = int(args["deliveredAt"])
    if name == "Resolved":
        changes["resolution"] = {
            "by": RESOLUTION_KINDS[int(args["how"])],
            "payee_share_bps": int(args["payeeShareBps"]),
            "to_payees": str(args["toPayees"]),
            "to_brand": str(args["toBrand"]),
        }
    moved = range(len(collaboration.milestones))
    if name != "DealCreated":
        moved = [int(args["milestone"])]
    milestones = [dict(m) for m in collaboration.milestones]  # a new list: the JSON is written
    for index in moved:
        milestones[index].update(
            changes, transactions={**milestones[index]["transactions"], action: tx_hash}
        )
    collaboration.milestones = milestones
    collaboration.transactions = {**collaboration.transactions, action: tx_hash}
    collaboration.status = overall_status(milestones)
    for column in ("deliverable_hash", "delivered_at", "resolution"):
        if column in changes:
            setattr(collaboration, column, changes[column])


@dataclass
class Indexer:
    engine: Engine
    chain: ChainClient
    confirmations: int | None = None  # None: confirmation_depth's default for the chain
    start_block: int = 0
    batch_blocks: int = 2_000
    match_index: SharedIndex | None = None  # kept in step when completed deals change
    _chain_id: int | None = field(default=None, init=False, repr=False)

    @property
    def cursor_name(self) -> str:
        return f"escrow:{self.chain.escrow_address}"

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self.chain.chain_id
        return self._chain_id

    @property
    def depth(self) -> int:
        return confirmation_depth(self.confirmations, self.chain_id)

    def _lock(self, session: Session) -> bool:
        """One indexer per cursor at a time, for the whole step (its reads included)."""
        if self.engine.dialect.name == "sqlite":
            # A write first takes SQLite's single write lock now rather than at the first
            # insert: a second indexer waits for this step, then reads what it left.
            session.execute(
                text("UPDATE indexer_cursor SET name = name WHERE name = :name"),
                {"name": self.cursor_name},
            )
            return True
        key = zlib.crc32(self.cursor_name.encode())
        return bool(session.execute(text(f"SELECT pg_try_advisory_xact_lock({key})")).scalar())

    def run_once(self) -> int:
        """Take the next step; returns how many new events it recorded."""
        return self._step()[0]

    def catch_up(self) -> int:
        """Step until the confirmed head; returns how many new events were recorded."""
        total = 0
        while True:
            recorded, advanced = self._step()
            total += recorded
            if not advanced:
                return total

    # ------------------------------------------------------------------ one step

    def _step(self) -> tuple[int, bool]:
        """One batch: (new events recorded, whether the cursor moved)."""
        try:
            return self._try_step()
        except ChainMoved as exc:
            log.info("the chain moved during a step, trying again: %s", exc)
            return 0, False

    def _try_step(self) -> tuple[int, bool]:
        head = self.chain.ask(lambda: self.chain.w3.eth.block_number)
        safe_head = head - self.depth
        with Session(self.engine) as session:
            if not self._lock(session):
                return 0, False
            cursor = session.get(IndexerCursor, self.cursor_name)
            if cursor is None:
                cursor = IndexerCursor(name=self.cursor_name, next_block=self.start_block)
            moved = self._undo_reorg(session, cursor)
            if cursor.next_block > safe_head:
                if moved:
                    self._save(session, cursor)
                return 0, moved
            from_block = cursor.next_block
            to_block = min(safe_head, from_block + self.batch_blocks - 1)
            anchor = self._header(to_block)
            events = self.chain.ask(
                bindings.fetch_events,
                self.chain.w3,
                self.chain.escrow_address,
                from_block,
                to_block,
            )
            events += self._splitter_events(session, from_block, to_block)
            events.sort(key=lambda event: (event.block_number, event.log_index))
            self._remember_blocks(session, from_block, to_block, head, anchor)
            recorded = sum(self._record(session, event) for event in events)
            cursor.next_block = to_block + 1
            self._save(session, cursor)
            return recorded, True

    # ------------------------------------------------------------------ splitters

    @property
    def factory_address(self) -> str | None:
        return self.chain.splitter_factory_address

    def _splitters(self, session: Session) -> set[str]:
        """Splitters the factory was seen creating on this chain."""
        return set(
            session.exec(
                select(RevenueSplit.address).where(
                    RevenueSplit.chain_id == self.chain_id, RevenueSplit.created_block.is_not(None)
                )
            ).all()
        )

    def _splitter_events(
        self, session: Session, from_block: int, to_block: int
    ) -> list[bindings.ContractEvent]:
        if not self.factory_address:
            return []
        w3 = self.chain.w3
        created = self.chain.ask(
            bindings.fetch_contract_events,
            w3,
            "SplitterFactory",
            self.factory_address,
            from_block,
            to_block,
        )
        known = self._splitters(session)
        known |= {e.args["splitter"] for e in created if e.name == "SplitterCreated"}
        if not known:
            return created
        paid = self.chain.ask(
            bindings.fetch_events_of_type,
            w3,
            "RevenueSplitter",
            from_block,
            to_block,
            known.__contains__,
        )
        return created + paid

    def _splitter_created(self, session: Session, event: bindings.ContractEvent) -> None:
        """A splitter exists: mark its declared split created, or note one made outside Collab
        (its payees as the chain says, nobody's declaration yet)."""
        address = event.args["splitter"]
        split = session.exec(
            select(RevenueSplit).where(
                RevenueSplit.chain_id == self.chain_id, RevenueSplit.address == address
            )
        ).first()
        if split is None:
            split = RevenueSplit(
                id=new_id("spl"),
                chain_id=self.chain_id,
                factory_address=event.address,
                address=address,
                payees=[
                    {"role": "payee", "name": "", "wallet": wallet, "share_bps": int(share)}
                    for wallet, share in zip(
                        event.args["payees"], event.args["shares"], strict=True
                    )
                ],
            )
        split.created_block = event.block_number
        split.created_tx = event.tx_hash
        split.updated_at = utcnow()
        session.add(split)

    def _forget_splitters(self, session: Session, fork: int) -> None:
        """A reorg took their creation away: declared splits wait to be created again, the
        others are forgotten."""
        rows = session.exec(
            select(RevenueSplit).where(
                RevenueSplit.chain_id == self.chain_id, RevenueSplit.created_block > fork
            )
        ).all()
        for split in rows:
            if split.declared_by is None:
                session.delete(split)
                continue
            split.created_block = None
            split.created_tx = None
            split.updated_at = utcnow()
            session.add(split)

    def _save(self, session: Session, cursor: IndexerCursor) -> None:
        cursor.updated_at = utcnow()
        session.add(cursor)
        session.commit()

    # ------------------------------------------------------------------ block hashes

    def _header(self, number: int) -> tuple[str, str] | None:
        """(hash, parent hash) of a canonical block, or None when the chain is shorter."""
        try:
            block = self.chain.ask(self.chain.w3.eth.get_block, number)
        except BlockNotFound:
            return None
        return "0x" + bytes(block["hash"]).hex(), "0x" + bytes(block["parentHash"]).hex()

    def _remember_blocks(
        self,
        session: Session,
        from_block: int,
        to_block: int,
        head: int,
        anchor: tuple[str, str] | None,
    ) -> None:
        """Store the hashes of the scanned blocks within BLOCK_WINDOW of the head (and always
        the last one), checking that they link up with each other, with the block scanned
        before, and with the hash the last one had before the logs were read. Catching up from
        far behind costs one header per batch."""
        first = max(from_block, min(to_block, head - BLOCK_WINDOW + 1))
        headers = {number: self._header(number) for number in range(first, to_block + 1)}
        if anchor is None or headers[to_block] != anchor:
            raise ChainMoved(f"block {to_block} changed while its logs were read")
        for number in range(first + 1, to_block + 1):
            if headers[number] is None or headers[number][1] != headers[number - 1][0]:
                raise ChainMoved(f"block {number} does not follow block {number - 1}")
        if first == from_block:
            before = session.get(IndexerBlock, (self.cursor_name, from_block - 1))
            if before is not None and headers[first][1] != before.hash:
                raise ChainMoved(f"block {from_block} does not follow the block scanned before")
        for number, (block_hash, _) in headers.items():
            row = session.get(IndexerBlock, (self.cursor_name, number))
            if row is None:
                row = IndexerBlock(cursor=self.cursor_name, number=number, hash=block_hash)
            row.hash = block_hash
            session.add(row)
        session.execute(
            delete(IndexerBlock).where(
                IndexerBlock.cursor == self.cursor_name,
                IndexerBlock.number <= to_block - BLOCK_WINDOW,
            )
        )

    # ------------------------------------------------------------------ reorgs

    def _undo_reorg(self, session: Session, cursor: IndexerCursor) -> bool:
        """When the last scanned block is no longer on the chain, roll back to the fork point;
        returns whether the cursor moved."""
        last = cursor.next_block - 1
        stored = session.get(IndexerBlock, (self.cursor_name, last))
        if stored is None or self._hash(last) == stored.hash:
            return False
        rows = session.exec(
            select(IndexerBlock)
            .where(IndexerBlock.cursor == self.cursor_name, IndexerBlock.number <= last)
            .order_by(IndexerBlock.number.desc())
        ).all()
        fork = None
        for row in rows:
            if self._hash(row.number) == row.hash:
                fork = row.number
                break
        if fork is None:
            fork = rows[-1].number - 1
            log.error("reorg deeper than the %d blocks kept; rolling back to %d", len(rows), fork)
        fork = max(fork, self.start_block - 1)
        log.warning("reorg: blocks %d..%d left the chain; rolling back", fork + 1, last)
        self._roll_back(session, fork)
        cursor.next_block = fork + 1
        return True

    def _hash(self, number: int) -> str | None:
        header = self._header(number)
        return header[0] if header else None

    def _roll_back(self, session: Session, fork: int) -> None:
        """Forget every event and payout above `fork` and rebuild what they touched."""
        ours = [self.chain.escrow_address]
        if self.factory_address:
            ours.append(self.factory_address)
        splitters = select(RevenueSplit.address).where(RevenueSplit.chain_id == self.chain_id)
        orphaned = session.exec(
            select(ChainEvent).where(
                ChainEvent.chain_id == self.chain_id,
                ChainEvent.block_number > fork,
                or_(
                    ChainEvent.address.in_(ours),
                    ChainEvent.address.in_(splitters),
                    ChainEvent.address.is_(None),
                ),
            )
        ).all()
        touched = {
            event.deal_id for event in orphaned if event.applied and event.name in TRANSITIONS
        }
        starts = {deal_id: self._status_before_chain(session, deal_id) for deal_id in touched}
        for event in orphaned:
            session.execute(
                delete(Payout).where(
                    Payout.chain_id == event.chain_id,
                    Payout.tx_hash == event.tx_hash,
                    Payout.log_index == event.log_index,
                )
            )
            session.delete(event)
        self._forget_splitters(session, fork)
        session.execute(
            delete(IndexerBlock).where(
                IndexerBlock.cursor == self.cursor_name, IndexerBlock.number > fork
            )
        )
        session.flush()
        creators = set()
        for deal_id, start in starts.items():
            collaboration = self._collaboration(session, deal_id)
            if collaboration is not None:
                self._rebuild(session, collaboration, start)
                creators.add(collaboration.creator_id)
        session.flush()
        for creator_id in creators:
            self._recount_completed(session, creator_id)

    def _status_before_chain(self, session: Session, deal_id: str) -> str:
        """The status a collaboration had before its first applied event."""
        first = session.exec(
            select(ChainEvent.status_before)
            .where(
                ChainEvent.chain_id == self.chain_id,
                ChainEvent.deal_id == deal_id,
                ChainEvent.applied.is_(True),
                ChainEvent.name.in_(TRANSITIONS),
            )
            .order_by(ChainEvent.block_number, ChainEvent.log_index)
        ).first()
        return first or "drafted"

    def _rebuild(self, session: Session, collaboration: Collaboration, start: str) -> None:
        """Replay the applied events that remain: they are the prefix of what was applied."""
        collaboration.status = start
        collaboration.deliverable_hash = None
        collaboration.delivered_at = None
        collaboration.resolution = None
        collaboration.transactions = {
            action: tx for action, tx in collaboration.transactions.items() if action not in ACTIONS
        }
        collaboration.milestones = [
            new_milestone(label=m["label"], amount=int(m["amount"]), deliver_by=m["deliver_by"])
            for m in collaboration.milestones
        ]
        remaining = session.exec(
            select(ChainEvent)
            .where(
                ChainEvent.chain_id == collaboration.chain_id,
                ChainEvent.deal_id == collaboration.deal_id,
                ChainEvent.applied.is_(True),
                ChainEvent.name.in_(TRANSITIONS),
            )
            .order_by(ChainEvent.block_number, ChainEvent.log_index)
        ).all()
        for event in remaining:
            apply_effects(collaboration, event.name, event.args, event.tx_hash)
        collaboration.updated_at = utcnow()
        session.add(collaboration)

    # ------------------------------------------------------------------ events

    def _record(self, session: Session, event: bindings.ContractEvent) -> int:
        chain_id = self.chain_id
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
        record = ChainEvent(
            chain_id=chain_id,
            address=event.address,
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
        if event.address == self.factory_address:
            if event.name == "SplitterCreated":
                self._splitter_created(session, event)
        elif event.address != self.chain.escrow_address:  # a splitter: fetched only if known
            self._splitter_payout(session, event)
        elif event.name in TRANSITIONS or event.name in PAYOUT_KIND:
            self._apply_deal_event(session, record, event)
        elif event.name == "Withdrawn":
            self._payout(session, event, "withdrawn", event.args["account"], None)
        session.add(record)
        session.flush()  # a later event of this batch (a payout) looks for this one
        return 1

    def _deal_payout(self, session: Session, event: bindings.ContractEvent, deal_id: str):
        """A deal's payout, with the milestone of the status event before it in its
        transaction (the escrow emits the event, then pays)."""
        kind, wallet_arg = PAYOUT_KIND[event.name]
        milestone = session.exec(
            select(ChainEvent.args)
            .where(
                ChainEvent.chain_id == self.chain_id,
                ChainEvent.tx_hash == event.tx_hash,
                ChainEvent.deal_id == deal_id,
                ChainEvent.log_index < event.log_index,
                ChainEvent.name.in_(TRANSITIONS),
            )
            .order_by(ChainEvent.log_index.desc())
        ).first()
        payout = self._payout(session, event, kind, event.args[wallet_arg], deal_id)
        if milestone is not None and "milestone" in milestone:
            payout.milestone = int(milestone["milestone"])
        return payout

    def _apply_deal_event(
        self, session: Session, record: ChainEvent, event: bindings.ContractEvent
    ) -> None:
        collaboration = self._collaboration(session, record.deal_id)
        if collaboration is None:
            if event.name in PAYOUT_KIND:  # money that moved all the same, for the wallet
                self._deal_payout(session, event, record.deal_id)
                record.note = "deal made outside Collab"
            else:
                record.applied = False
                record.note = "no collaboration has this deal id"
            return
        problem = self._misfit(session, collaboration, event)
        if problem:
            record.applied = False
            record.note = problem[:300]
            log.warning(
                "%s in tx %s not applied to collaboration %s: %s",
                event.name,
                event.tx_hash,
                collaboration.id,
                problem,
            )
            return
        if event.name in PAYOUT_KIND:
            payout = self._deal_payout(session, event, record.deal_id)
            if event.name in PAYOUT_EVENT:
                self._emit_payout(
                    session,
                    payout,
                    PAYOUT_EVENT[event.name],
                    about={"collaboration_id": collaboration.id, "milestone": payout.milestone},
                    parties=[collaboration.brand_id, collaboration.creator_id],
                )
            return
        record.status_before = collaboration.status
        apply_effects(collaboration, event.name, event.args, event.tx_hash)
        collaboration.updated_at = utcnow()
        session.add(collaboration)
        if collaboration.status == "released":
            session.flush()
            self._recount_completed(session, collaboration.creator_id)
        milestone = int(event.args["milestone"]) if "milestone" in event.args else None
        for kind in TRANSITIONS[event.name].events:
            self._emit_collaboration(session, collaboration, kind, milestone)

    def _emit_collaboration(
        self, session: Session, collaboration: Collaboration, kind: str, milestone: int | None
    ):
        """`collaboration.<kind>` for its brand and creator, with the collaboration as
        `GET /v1/collaborations/{id}` shows it and `milestone`, the index of the milestone
        that moved (None for `funded`: all of them)."""
        from api.collaborations.service import to_public

        session.flush()
        data = to_public(session=session, collaboration=collaboration).model_dump(mode="json")
        emit(
            session,
            type=f"collaboration.{kind}",
            resource_type="collaboration",
            resource_id=collaboration.id,
            data={**data, "milestone": milestone},
            audience=[collaboration.brand_id, collaboration.creator_id],
        )

    def _emit_payout(
        self, session, payout: Payout, type_: str, *, about: dict[str, str | None], parties
    ) -> None:
        """Seen by ``parties`` (a deal's brand and creator, whose reads list the deal's payouts;
        a split's declarer) and by any account whose wallet got the money. ``about`` names the
        deal or split it came from."""
        session.flush()
        emit(
            session,
            type=type_,
            resource_type="payout",
            resource_id=f"{payout.tx_hash}:{payout.log_index}",
            data={**PayoutPublic.of(payout).model_dump(mode="json"), **about},
            audience=[*parties, *wallet_accounts(session, payout.wallet)],
        )

    def _misfit(
        self, session: Session, collaboration: Collaboration, event: bindings.ContractEvent
    ) -> str | None:
        """Why the event cannot change this collaboration, or None when it fits."""
        if self.chain_id != collaboration.chain_id:
            return f"from chain {self.chain_id}, the collaboration is on {collaboration.chain_id}"
        escrow = collaboration.escrow_address
        if event.address.lower() != escrow.lower():
            return f"from escrow {event.address}, the collaboration's is {escrow}"
        if event.name in TRANSITIONS:
            return _status_misfit(collaboration, event)
        funded = session.exec(
            select(ChainEvent.id).where(
                ChainEvent.chain_id == collaboration.chain_id,
                ChainEvent.deal_id == collaboration.deal_id,
                ChainEvent.name == "DealCreated",
                ChainEvent.applied.is_(True),
            )
        ).first()
        if funded is None:
            return "the deal on chain under this id is not the collaboration's"
        return None

    def _collaboration(self, session: Session, deal_id: str | None) -> Collaboration | None:
        if deal_id is None:
            return None
        return session.exec(select(Collaboration).where(Collaboration.deal_id == deal_id)).first()

    def _splitter_payout(self, session: Session, event: bindings.ContractEvent) -> None:
        """A split's payout: `payout.paid` or `payout.credited` for the accounts whose wallet
        got the money and the account that declared the split (`split_id` says which)."""
        kind, wallet_arg = SPLITTER_PAYOUT_KIND[event.name]
        payout = self._payout(
            session, event, kind, event.args[wallet_arg], None, splitter=event.address
        )
        if event.name not in PAYOUT_EVENT:
            return
        split = session.exec(
            select(RevenueSplit).where(
                RevenueSplit.chain_id == self.chain_id, RevenueSplit.address == event.address
            )
        ).first()
        self._emit_payout(
            session,
            payout,
            PAYOUT_EVENT[event.name],
            about={"split_id": split.id if split else None},
            parties=[_declarer(split)],
        )
        if split is not None:
            self._emit_distributed(session, split, payout)

    def _emit_distributed(self, session: Session, split: RevenueSplit, payout: Payout) -> None:
        """`split.distributed` once per distribution (its first payout's transaction), for
        the declarer and the creators the split pays."""
        # A distribution's payouts are consecutive logs of one transaction: the split's latest
        # event says whether this one was announced already.
        latest = latest_data(session, type="split.distributed", resource_id=split.id)
        if latest is not None and latest.get("tx_hash") == payout.tx_hash:
            return
        emit(
            session,
            type="split.distributed",
            resource_type="split",
            resource_id=split.id,
            data={
                "split_id": split.id,
                "address": split.address,
                "token": payout.token,
                "tx_hash": payout.tx_hash,
                "block_number": payout.block_number,
            },
            audience=[_declarer(split), *(p.get("creator_id") for p in split.payees)],
        )

    def _payout(self, session, event, kind, wallet, deal_id, splitter: str | None = None) -> Payout:
        payout = Payout(
            chain_id=self.chain_id,
            deal_id=deal_id,
            wallet=wallet,
            token=_token(event.args["token"]),
            amount=str(event.args["amount"]),
            kind=kind,
            source="splitter" if splitter else "escrow",
            splitter=splitter,
            block_number=event.block_number,
            tx_hash=event.tx_hash,
            log_index=event.log_index,
        )
        session.add(payout)
        return payout

    def _recount_completed(self, session: Session, creator_id: str) -> None:
        """completed_deals is the number of the creator's released collaborations."""
        creator = session.get(Creator, creator_id)
        if creator is None:
            return
        released = session.exec(
            select(func.count())
            .select_from(Collaboration)
            .where(Collaboration.creator_id == creator_id, Collaboration.status == "released")
        ).one()
        if creator.completed_deals == released:
            return
        creator.completed_deals = released
        creator.updated_at = utcnow()  # so other processes' matching indexes pick it up
        session.add(creator)
        if self.match_index is not None:
            from api.core.db import on_commit

            profile = creator_profile(creator)
            on_commit(session, lambda: self.match_index.upsert(profile))

    # ------------------------------------------------------------------ background

    def run_forever(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                # Wait only at the head: a batch of blocks without events is no reason to.
                if not self._step()[1]:
                    stop.wait(poll_seconds)
            except (ChainError, *NODE_DOWN_ERRORS) as exc:
                log.warning("chain unreachable, retrying: %s", exc)
                stop.wait(poll_seconds * 2)
            except Exception:
                log.exception("indexer batch failed; retrying")
                stop.wait(poll_seconds * 2)


def _status_misfit(collaboration: Collaboration, event: bindings.ContractEvent) -> str | None:
    """Why a status event cannot move this collaboration (or its milestone), or None. A deal's
    id is the hash of all its signed terms, so a `DealCreated` under it has the signed
    milestones; their count and the headline terms are cross-checked all the same."""
    after = TRANSITIONS[event.name].after
    count = len(collaboration.milestones)
    if event.name == "DealCreated":
        differ = [
            arg
            for arg, column in DEAL_CREATED_FIELDS
            if not _same(event.args.get(arg), getattr(collaboration, column))
        ]
        if differ:
            return "terms differ from the collaboration's: " + ", ".join(differ)
        if int(event.args["milestoneCount"]) != count:
            return f"{event.args['milestoneCount']} milestones, the collaboration has {count}"
        if collaboration.status not in after:
            return f"{event.name} cannot follow status {collaboration.status}"
        return None
    milestone = int(event.args["milestone"])
    if not 0 <= milestone < count:
        return f"milestone {milestone}: the collaboration has {count}"
    status = collaboration.milestones[milestone]["status"]
    if status not in after:
        return f"{event.name} cannot follow milestone {milestone}'s status {status}"
    return None


def _declarer(split: RevenueSplit | None) -> str | None:
    """The brand or creator that declared ``split`` (stored as `role:id`), if any."""
    if split is None or not split.declared_by:
        return None
    role, _, account_id = split.declared_by.partition(":")
    return account_id if role in ("brand", "creator") else None


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
    app.state.indexer = indexer
    app.state.indexer_loop = start_loop(
        as_leader(indexer.run_forever, engine=app.state.engine, role=LEADER_ROLE),
        settings.indexer_poll_seconds,
        "collab-indexer",
    )


def stop_background(app) -> None:
    loop = getattr(app.state, "indexer_loop", None)
    if loop is not None:
        loop.halt()
