"""settlements: how a disputed milestone ends through the platform

Each party's signed split (a mutual settlement) and the one relayed transaction that ends the
dispute (`settle` once both signed the same split, or `applyDisputeRule` after its deadline).
A new table: no existing row changes.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    moment = sqlmodel.sql.sqltypes.UTCDateTime
    op.create_table(
        "settlement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collaboration_id", text(length=40), nullable=False),
        sa.Column("milestone", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=True),
        sa.Column("brand_share_bps", sa.Integer(), nullable=True),
        sa.Column("brand_signature", text(length=132), nullable=True),
        sa.Column("brand_signed_at", moment(), nullable=True),
        sa.Column("creator_share_bps", sa.Integer(), nullable=True),
        sa.Column("creator_signature", text(length=132), nullable=True),
        sa.Column("creator_signed_at", moment(), nullable=True),
        sa.Column("ended_by", text(length=20), nullable=True),
        sa.Column("payee_share_bps", sa.Integer(), nullable=True),
        sa.Column("relayer", text(length=42), nullable=True),
        sa.Column("tx_hash", text(length=66), nullable=True),
        sa.Column("created_at", moment(), nullable=False),
        sa.Column("updated_at", moment(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collaboration_id"],
            ["collaboration.id"],
            name=op.f("fk_settlement_collaboration_id_collaboration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement")),
        sa.UniqueConstraint(
            "collaboration_id", "milestone", name=op.f("uq_settlement_collaboration_id_milestone")
        ),
    )


def downgrade() -> None:
    op.drop_table("settlement")
