"""relayed actions: creator actions a relayer sent, one per collaboration and action

The ledger of `POST /v1/collaborations/{id}/relay` (escrow v2: creators need no ETH), which is
also each creator's relaying budget. A new table: no existing row changes.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relayed_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collaboration_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("creator_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("relayer", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("tx_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collaboration_id"],
            ["collaboration.id"],
            name=op.f("fk_relayed_action_collaboration_id_collaboration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relayed_action")),
        sa.UniqueConstraint(
            "collaboration_id", "action", name=op.f("uq_relayed_action_collaboration_id_action")
        ),
    )
    op.create_index(op.f("ix_relayed_action_creator_id"), "relayed_action", ["creator_id"])
    op.create_index(op.f("ix_relayed_action_created_at"), "relayed_action", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_relayed_action_created_at"), table_name="relayed_action")
    op.drop_index(op.f("ix_relayed_action_creator_id"), table_name="relayed_action")
    op.drop_table("relayed_action")
