"""offer list indexes: a brand's outbox and a creator's inbox, newest first, without a sort

`GET /v1/offers` reads one account's offers in id order (the cursor); with an index on the
account alone the database sorts all of that account's offers on every page. Indexes only: no
row changes.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_offer_brand_id_id", "offer", ["brand_id", "id"])
    op.create_index("ix_offer_creator_id_id", "offer", ["creator_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_offer_creator_id_id", table_name="offer")
    op.drop_index("ix_offer_brand_id_id", table_name="offer")
