"""Disputes that end through the platform, which pays the gas only.

A mutual settlement: the brand and the creator each sign the escrow's EIP-712 `Settlement` of a
split; once both signed the same split, the relayer submits `settle`. A party that signs
another split replaces its own proposal (the other party's stays), so the two meet on the last
split each signed. Both sign the same deadline without talking to each other: the moment the
dispute rule starts to apply, which the escrow stores with the dispute. After it, the dispute
ends by the rule written into the terms (`POST .../dispute-rule`), relayed the same way.

The escrow pays the deal's money to the deal's parties whoever submits; the relayer's
transactions carry no value.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from api.chain.client import ChainClient
from api.collaborations.models import Collaboration
from api.collaborations.service import collaboration_terms, require_chain, require_typed_signer
from api.core.auth import Principal
from api.core.errors import Conflict, Forbidden, InvalidInput
from api.core.settings import Settings
from api.events.service import emit
from api.kit.time import utcnow
from api.relay.service import send_as_relayer
from api.settlements.models import Party, Settlement, SettlementBody, SettlementPublic
from contracts import bindings
from contracts.bindings.wrappers import DealState, DealStatus


def _party(principal: Principal) -> Party:
    if principal.role not in ("brand", "creator"):
        raise Forbidden("only the brand and the creator sign a settlement")
    return principal.role


def _disputed(
    chain: ChainClient, session: Session, collaboration: Collaboration, milestone: int
) -> tuple[bindings.DealTerms, DealState, int]:
    """The terms, the milestone's state on the escrow (it must be disputed) and the chain's time."""
    terms = collaboration_terms(session=session, collaboration=collaboration)
    if milestone >= len(terms.milestones):
        raise InvalidInput(
            f"the deal has {len(terms.milestones)} milestone(s); there is no milestone {milestone}",
            errors=[{"field": "milestone", "message": "no such milestone"}],
        )
    escrow = bindings.EscrowContract(chain.w3, chain.escrow_address)
    state = chain.ask(escrow.deal_state, collaboration.deal_id, milestone)
    if state.status is not DealStatus.DISPUTED:
        label = "not funded" if state.status is DealStatus.NONE else state.status.label
        raise Conflict(
            f"milestone {milestone} is {label}; only a disputed milestone is settled this way",
            state=label,
        )
    now = chain.ask(lambda: int(chain.w3.eth.get_block("latest")["timestamp"]))
    return terms, state, now


def _settleable(
    chain: ChainClient, session: Session, collaboration: Collaboration, milestone: int
) -> tuple[bindings.DealTerms, DealState, bindings.EscrowContract]:
    """A disputed milestone whose dispute rule does not apply yet (409 after: a settlement
    signed now could be overtaken by it), with the escrow to build its `Settlement`."""
    terms, state, now = _disputed(chain, session, collaboration, milestone)
    if now >= state.deadline:
        raise Conflict(
            f"the dispute rule applies since {_when(state.deadline)}: a settlement signed now "
            "could be overtaken by it; POST /v1/collaborations/{id}/dispute-rule",
            applies_at=state.deadline,
        )
    return terms, state, bindings.EscrowContract(chain.w3, chain.escrow_address)


def _when(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def _current(session: Session, collaboration: Collaboration, milestone: int) -> Settlement | None:
    return session.exec(
        select(Settlement)
        .where(Settlement.collaboration_id == collaboration.id, Settlement.milestone == milestone)
        .execution_options(populate_existing=True)
    ).first()


def _claim(session: Session, collaboration: Collaboration, milestone: int) -> Settlement:
    """The milestone's row, created if absent and held by this unit of work until it ends.

    The insert comes first: on SQLite it takes the database's write lock (reads before it ran
    outside any transaction), so what is read after it is the latest; on PostgreSQL a parallel
    insert waits for this one, and the row lock makes the next request wait for this commit.
    A request refused later rolls back the insert with everything else."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(Settlement)
    now = utcnow()
    session.execute(
        insert.values(
            collaboration_id=collaboration.id,
            milestone=milestone,
            created_at=now,
            updated_at=now,
        ).on_conflict_do_nothing(index_elements=["collaboration_id", "milestone"])
    )
    return session.exec(
        select(Settlement)
        .where(Settlement.collaboration_id == collaboration.id, Settlement.milestone == milestone)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _ended(row: Settlement, *, repeat: bool) -> SettlementPublic:
    """The answer once the dispute has ended through the platform: the same as the request
    that ended it for a repeat of it (idempotent), 409 for anything else."""
    if repeat:
        return SettlementPublic.of(
            row, collaboration_id=row.collaboration_id, milestone=row.milestone
        )
    how = "a settlement" if row.ended_by == "settlement" else "the dispute rule"
    raise Conflict(
        f"the dispute of milestone {row.milestone} has ended by {how} (transaction {row.tx_hash})",
        state="ended",
        tx_hash=row.tx_hash,
    )


def _is_repeat(row: Settlement, party: Party, body: SettlementBody, signature: str) -> bool:
    return (
        getattr(row, f"{party}_share_bps") == body.payee_share_bps
        and getattr(row, f"{party}_signature") == signature
    )


def settlement_view(
    *,
    session: Session,
    chain: ChainClient | None,
    principal: Principal,
    collaboration: Collaboration,
    milestone: int,
    payee_share_bps: int | None,
) -> SettlementPublic:
    """The milestone's proposals; with a split, also the `Settlement` the caller signs for it."""
    row = _current(session, collaboration, milestone)
    public = SettlementPublic.of(row, collaboration_id=collaboration.id, milestone=milestone)
    if payee_share_bps is None:
        return public
    _party(principal)
    chain = require_chain(chain)
    if row is not None and row.tx_hash:
        _ended(row, repeat=False)
    terms, state, escrow = _settleable(chain, session, collaboration, milestone)
    typed = escrow.settlement_typed_data(terms, milestone, payee_share_bps, state.deadline)
    public.deadline = state.deadline
    public.typed_data = {
        **typed,
        "message": bindings.json_safe(typed["message"], ints_as_strings=True),
    }
    return public


def propose(
    *,
    session: Session,
    chain: ChainClient | None,
    settings: Settings,
    principal: Principal,
    collaboration: Collaboration,
    body: SettlementBody,
) -> SettlementPublic:
    """Record the caller's signed split; when the other party signed the same split, the
    relayer submits `settle` in this request."""
    party = _party(principal)
    chain = require_chain(chain)
    milestone = body.milestone
    # The row first: a parallel request that is ending the dispute has moved the chain on, and
    # this one must find its transaction, not a milestone that is no longer disputed.
    row = _claim(session, collaboration, milestone)
    if row.tx_hash:
        return _ended(row, repeat=_is_repeat(row, party, body, _normalised(body.signature)))
    terms, state, escrow = _settleable(chain, session, collaboration, milestone)
    typed = escrow.settlement_typed_data(terms, milestone, body.payee_share_bps, state.deadline)
    wallet = terms.brand if party == "brand" else terms.creator
    signature = (
        "0x"
        + require_typed_signer(
            typed,
            body.signature,
            signer=wallet,
            field="signature",
            mismatch="does not match the settlement",
            detail=f"the signature is not the {party} wallet's signature of this settlement; sign "
            "the typed data from GET /v1/collaborations/{id}/settlement with the same "
            "payee_share_bps",
        ).hex()
    )
    repeat = _is_repeat(row, party, body, signature)
    setattr(row, f"{party}_share_bps", body.payee_share_bps)
    setattr(row, f"{party}_signature", signature)
    if not repeat:
        setattr(row, f"{party}_signed_at", utcnow())
    row.deadline = state.deadline
    row.updated_at = utcnow()
    if row.brand_share_bps == row.creator_share_bps:
        tx = escrow.build_settle(
            terms,
            body.payee_share_bps,
            state.deadline,
            row.brand_signature,
            row.creator_signature,
            milestone,
        )
        _end(session, chain, settings, row, tx, ended_by="settlement")
        row.payee_share_bps = body.payee_share_bps
    session.add(row)
    session.flush()
    public = SettlementPublic.of(row, collaboration_id=collaboration.id, milestone=milestone)
    if not repeat:
        emit(
            session,
            type="collaboration.settlement_proposed",
            resource_type="collaboration",
            resource_id=collaboration.id,
            data={"proposed_by": party, "settlement": public.model_dump(mode="json")},
            audience=[collaboration.brand_id, collaboration.creator_id],
        )
    return public


def apply_dispute_rule(
    *,
    session: Session,
    chain: ChainClient | None,
    settings: Settings,
    principal: Principal,
    collaboration: Collaboration,
    milestone: int,
) -> SettlementPublic:
    """After the dispute deadline, the relayer submits `applyDisputeRule`: the terms' rule
    ends the dispute (any party may ask; a repeat answers the same)."""
    if principal.role not in ("brand", "creator", "operator"):
        raise Forbidden(f"a {principal.role} may not end this dispute")
    chain = require_chain(chain)
    row = _claim(session, collaboration, milestone)
    if row.tx_hash:
        return _ended(row, repeat=row.ended_by == "dispute_rule")
    terms, state, now = _disputed(chain, session, collaboration, milestone)
    if now < state.deadline:
        raise Conflict(
            f"the dispute rule applies from {_when(state.deadline)}; until then the arbiter "
            "resolves, or both parties settle",
            applies_at=state.deadline,
            applies_at_iso=_when(state.deadline),
        )
    row.deadline = state.deadline
    escrow = bindings.EscrowContract(chain.w3, chain.escrow_address)
    tx = escrow.build_apply_dispute_rule(terms, milestone)
    _end(session, chain, settings, row, tx, ended_by="dispute_rule")
    row.payee_share_bps = terms.dispute_rule_payee_bps
    session.add(row)
    session.flush()
    return SettlementPublic.of(row, collaboration_id=collaboration.id, milestone=milestone)


def _end(
    session: Session,
    chain: ChainClient,
    settings: Settings,
    row: Settlement,
    tx: dict,
    *,
    ended_by: str,
) -> None:
    """Send the transaction that ends the dispute and record it on the row."""
    row.relayer, row.tx_hash, _ = send_as_relayer(
        session=session, chain=chain, settings=settings, tx=tx, what=ended_by.replace("_", " ")
    )
    row.ended_by = ended_by
    row.updated_at = utcnow()


def _normalised(signature: str) -> str:
    try:
        return "0x" + bindings.normalize_signature(signature).hex()
    except ValueError:
        return signature
