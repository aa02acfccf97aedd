"""The retention rule: what is deleted once it has served, run by `collab purge`.

- Offers that never became a deal (screened out, declined, cancelled, expired, or sent or
  countered and past their expiry) go `OFFER_RETENTION_DAYS` after they ended, with every row
  that hangs on them by a foreign key (their terms versions, say). An offer with a
  collaboration is never purged: it is the deal's record.
- Idempotency records go once expired, or `IDEMPOTENCY_RETENTION_HOURS` after they were made.
- Sign-in nonces go once expired.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Table, case, delete, exists, or_, select
from sqlmodel import Session, SQLModel

from api.collaborations.models import Collaboration
from api.core.settings import Settings
from api.keys.service import prune_nonces
from api.kit.idempotency import IdempotencyRecord
from api.kit.time import utcnow
from api.offers.models import Offer
from api.web.service import prune_sessions

# Offers still negotiating (sent, countered) end when they expire; the others when their status
# last changed. Accepted ones have a collaboration and stay.
NEGOTIATING = ("sent", "countered")
ENDED_OFFER_STATUSES = (*NEGOTIATING, "screened_out", "declined", "cancelled", "expired")


def _delete_where(session: Session, table: Table, condition) -> None:
    """Delete the rows of `table` that meet `condition` and, first, every row whose foreign
    key points at one of them, as deep as the foreign keys go. (Offers with a collaboration are
    never selected, so no collaboration is ever reached this way.)"""
    for child in SQLModel.metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is table and child is not table:
                referred = select(fk.column).where(condition)
                _delete_where(session, child, fk.parent.in_(referred))
    session.execute(delete(table).where(condition))


def purge_offers(*, session: Session, older_than: datetime) -> int:
    ended_at = case((Offer.status.in_(NEGOTIATING), Offer.expires_at), else_=Offer.updated_at)
    ids = list(
        session.execute(
            select(Offer.id).where(
                Offer.status.in_(ENDED_OFFER_STATUSES),
                ended_at <= older_than,
                ~exists().where(Collaboration.offer_id == Offer.id),
            )
        ).scalars()
    )
    if ids:
        _delete_where(session, Offer.__table__, Offer.id.in_(ids))
    return len(ids)


def purge_idempotency(*, session: Session, now: datetime, older_than: datetime) -> int:
    result = session.execute(
        delete(IdempotencyRecord).where(
            or_(IdempotencyRecord.expires_at <= now, IdempotencyRecord.created_at <= older_than)
        )
    )
    return result.rowcount or 0


def purge(*, session: Session, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Apply the retention rule once; returns how many rows went, by kind. The caller commits."""
    now = now or utcnow()
    return {
        "offers": purge_offers(
            session=session, older_than=now - timedelta(days=settings.offer_retention_days)
        ),
        "idempotency_records": purge_idempotency(
            session=session,
            now=now,
            older_than=now - timedelta(hours=settings.idempotency_retention_hours),
        ),
        "sign_in_nonces": prune_nonces(session),
        "web_sessions": prune_sessions(session),
    }
