"""case-insensitive handle index

Handles are unique regardless of case, and registration looks them up by lower(handle); without
this index that lookup scans every creator. Alembic cannot autogenerate expression indexes.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_creator_handle_lower", "creator", [sa.func.lower(sa.text("handle"))], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_creator_handle_lower", table_name="creator")
