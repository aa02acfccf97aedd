"""legal identity: the parties' contract details, and a request's product categories

Loi n° 2023-451 Art. 8 wants each party's identity, postal and e-mail address and country of tax
residence in the written contract; Art. 5 wants « Images retouchées » when the creator retouches.
A virtual creator's fields describe its operator. A request declares its product categories so
that Art. 4 prohibited categories can be refused for French audiences.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY_LIST = sa.text("'[]'")


def _identity_columns() -> list[sa.Column]:
    return [
        sa.Column("legal_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("postal_address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("tax_country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    ]


def upgrade() -> None:
    # Nullable columns, or NOT NULL with a default: SQLite adds them in place (no table copy).
    for table_name in ("creator", "brand"):
        for column in _identity_columns():
            op.add_column(table_name, column)
    op.add_column(
        "creator",
        sa.Column("retouched_images", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "collab_request",
        sa.Column("categories", sa.JSON(), server_default=EMPTY_LIST, nullable=False),
    )


def downgrade() -> None:
    op.drop_column("collab_request", "categories")
    op.drop_column("creator", "retouched_images")
    for table_name in ("brand", "creator"):
        for column in reversed(_identity_columns()):
            op.drop_column(table_name, column.name)
