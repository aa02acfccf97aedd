"""indexer: block hashes for reorg detection, events recorded but not applied

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indexer_block",
        sa.Column("cursor", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.PrimaryKeyConstraint("cursor", "number", name=op.f("pk_indexer_block")),
    )
    with op.batch_alter_table("chain_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=True)
        )
        # Events stored before this revision were all applied.
        batch_op.add_column(
            sa.Column("applied", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True)
        )
        batch_op.add_column(
            sa.Column("status_before", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("chain_event", schema=None) as batch_op:
        batch_op.drop_column("status_before")
        batch_op.drop_column("note")
        batch_op.drop_column("applied")
        batch_op.drop_column("address")
    op.drop_table("indexer_block")
