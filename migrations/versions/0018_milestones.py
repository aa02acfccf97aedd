"""milestones: offers, counters and collaborations of 1 to 16 milestones

Offers and their versions get `milestones` ([{label, amount, deliver_by}], NULL for an offer
made without: one milestone of the whole amount). Collaborations get one entry per milestone
with its own status; existing collaborations become one-milestone deals holding what their
columns hold. Payouts name their milestone; a relayed delivery is unique per milestone.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFUNDED = ("drafted", "expired", "cancelled")


def upgrade() -> None:
    op.add_column("offer", sa.Column("milestones", sa.JSON(), nullable=True))
    op.add_column("offer_version", sa.Column("milestones", sa.JSON(), nullable=True))
    op.add_column("payout", sa.Column("milestone", sa.Integer(), nullable=True))
    op.add_column("collaboration", sa.Column("milestones", sa.JSON(), nullable=True))
    _collaborations_to_one_milestone(op.get_bind())
    with op.batch_alter_table("collaboration", schema=None) as batch_op:
        batch_op.alter_column("milestones", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("relayed_action", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("milestone", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint(op.f("uq_relayed_action_collaboration_id_action"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_relayed_action_collaboration_id_action_milestone"),
            ["collaboration_id", "action", "milestone"],
        )


def _collaborations_to_one_milestone(connection) -> None:
    collaboration = sa.table(
        "collaboration",
        sa.column("id", sa.String),
        sa.column("amount", sa.String),
        sa.column("deliver_by", sa.BigInteger),
        sa.column("status", sa.String),
        sa.column("deliverable_hash", sa.String),
        sa.column("delivered_at", sa.BigInteger),
        sa.column("transactions", sa.JSON),
        sa.column("resolution", sa.JSON),
        sa.column("milestones", sa.JSON),
    )
    rows = connection.execute(sa.select(collaboration).order_by(collaboration.c.id)).all()
    for row in rows:
        milestone = {
            "label": None,
            "amount": row.amount,
            "deliver_by": row.deliver_by,
            "status": "drafted" if row.status in UNFUNDED else row.status,
            "deliverable_hash": row.deliverable_hash,
            "delivered_at": row.delivered_at,
            "transactions": row.transactions or {},
            "resolution": row.resolution,
        }
        connection.execute(
            collaboration.update()
            .where(collaboration.c.id == row.id)
            .values(milestones=[milestone])
        )


def downgrade() -> None:
    with op.batch_alter_table("relayed_action", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("uq_relayed_action_collaboration_id_action_milestone"), type_="unique"
        )
        batch_op.create_unique_constraint(
            op.f("uq_relayed_action_collaboration_id_action"), ["collaboration_id", "action"]
        )
        batch_op.drop_column("milestone")
    op.drop_column("collaboration", "milestones")
    op.drop_column("payout", "milestone")
    op.drop_column("offer_version", "milestones")
    op.drop_column("offer", "milestones")
