"""api keys rotated by wallet signature; idempotency records scoped and expiring

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "siwe_nonce",
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_siwe_nonce")),
    )
    op.create_index(op.f("ix_siwe_nonce_expires_at"), "siwe_nonce", ["expires_at"])
    with op.batch_alter_table("idempotency_key") as batch:
        batch.add_column(sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime()))
    # Records written before were scoped by the raw Authorization header: no request maps to
    # them any more, so they expire at once and the first prune removes them.
    op.execute("UPDATE idempotency_key SET expires_at = created_at")
    with op.batch_alter_table("idempotency_key") as batch:
        batch.alter_column(
            "expires_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False
        )
        batch.create_index(batch.f("ix_idempotency_key_expires_at"), ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("idempotency_key") as batch:
        batch.drop_index(batch.f("ix_idempotency_key_expires_at"))
        batch.drop_column("expires_at")
    op.drop_index(op.f("ix_siwe_nonce_expires_at"), table_name="siwe_nonce")
    op.drop_table("siwe_nonce")
