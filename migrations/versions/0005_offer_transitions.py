"""offer and collaboration transitions enforced by the schema

At most one open (sent or accepted) offer per creator and request: a partial unique index.
Rows written before it may break that rule (parallel offers raced past the check in Python), so
the upgrade first settles them: offers and unfunded deals past their expiry become `expired`,
and of several open offers of one pair the accepted one (else the newest) stays open, the
others are expired. Two accepted offers of one pair cannot be settled by a rule: the upgrade
stops and names them.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_offer_open_request_creator"
OPEN_WHERE = sa.text("status IN ('sent', 'accepted')")


def _settle_open_offers(connection: sa.Connection) -> None:
    now = datetime.now(UTC)
    connection.execute(
        sa.text(
            "UPDATE offer SET status = 'expired' WHERE status = 'sent' AND expires_at <= :now"
        ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True))),
        {"now": now},
    )
    connection.execute(
        sa.text(
            "UPDATE collaboration SET status = 'expired' "
            "WHERE status = 'drafted' AND signature_expiry < :now"
        ),
        {"now": int(now.timestamp())},
    )
    connection.execute(
        sa.text(
            "UPDATE offer SET status = 'expired' WHERE status = 'accepted' AND id IN "
            "(SELECT offer_id FROM collaboration WHERE status = 'expired')"
        )
    )
    rows = connection.execute(
        sa.text(
            "SELECT id, request_id, creator_id, status FROM offer "
            "WHERE status IN ('sent', 'accepted') ORDER BY created_at DESC, id DESC"
        )
    ).all()
    by_pair: dict[tuple[str, str], list] = {}
    for row in rows:
        by_pair.setdefault((row.request_id, row.creator_id), []).append(row)
    surplus = []
    for pair, offers in by_pair.items():
        accepted = [offer.id for offer in offers if offer.status == "accepted"]
        if len(accepted) > 1:
            raise RuntimeError(
                f"offers {', '.join(accepted)} are all accepted for request {pair[0]} and "
                f"creator {pair[1]}: settle them by hand before this upgrade"
            )
        keep = accepted[0] if accepted else offers[0].id  # newest first
        surplus += [offer.id for offer in offers if offer.id != keep]
    for offer_id in surplus:
        connection.execute(
            sa.text("UPDATE offer SET status = 'expired' WHERE id = :id"), {"id": offer_id}
        )


def upgrade() -> None:
    _settle_open_offers(op.get_bind())
    op.create_index(
        INDEX,
        "offer",
        ["request_id", "creator_id"],
        unique=True,
        sqlite_where=OPEN_WHERE,
        postgresql_where=OPEN_WHERE,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="offer")
