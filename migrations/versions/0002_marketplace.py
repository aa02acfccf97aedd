"""marketplace: brands, creators, requests, offers

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "brand",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("wallet", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("practices", sa.JSON(), nullable=False),
        sa.Column("api_key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_brand_api_key_hash")),
    )
    with op.batch_alter_table("brand", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_brand_wallet"), ["wallet"], unique=False)

    op.create_table(
        "creator",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("handle", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("bio", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("is_virtual", sa.Boolean(), nullable=False),
        sa.Column("operator", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("wallet", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("dealbreakers", sa.JSON(), nullable=False),
        sa.Column("min_fees", sa.JSON(), nullable=False),
        sa.Column("split", sa.JSON(), nullable=False),
        sa.Column("screening", sa.JSON(), nullable=False),
        sa.Column("completed_deals", sa.Integer(), nullable=False),
        sa.Column("api_key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_creator_api_key_hash")),
        sa.UniqueConstraint("handle", name=op.f("uq_creator_handle")),
    )
    with op.batch_alter_table("creator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_creator_wallet"), ["wallet"], unique=False)

    op.create_table(
        "collab_request",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("brand_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
        sa.Column("lang", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("target_values", sa.JSON(), nullable=False),
        sa.Column("values_source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("budget_amount", sqlmodel.sql.sqltypes.AutoString(length=78), nullable=False),
        sa.Column("budget_token", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("deliverables", sa.JSON(), nullable=False),
        sa.Column("deadline", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brand.id"], name=op.f("fk_collab_request_brand_id_brand")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collab_request")),
    )
    with op.batch_alter_table("collab_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collab_request_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "offer",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("brand_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("creator_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("amount", sqlmodel.sql.sqltypes.AutoString(length=78), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("deliver_by", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("review_period_seconds", sa.Integer(), nullable=False),
        sa.Column("platform_fee_bps", sa.Integer(), nullable=False),
        sa.Column("deal_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("brand_terms", sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
        sa.Column("terms_text", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("screening", sa.JSON(), nullable=False),
        sa.Column("decline_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brand.id"], name=op.f("fk_offer_brand_id_brand")),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["creator.id"], name=op.f("fk_offer_creator_id_creator")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["collab_request.id"], name=op.f("fk_offer_request_id_collab_request")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer")),
        sa.UniqueConstraint("deal_id", name=op.f("uq_offer_deal_id")),
    )
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_brand_id"), ["brand_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_creator_id"), ["creator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_status"))
        batch_op.drop_index(batch_op.f("ix_offer_request_id"))
        batch_op.drop_index(batch_op.f("ix_offer_creator_id"))
        batch_op.drop_index(batch_op.f("ix_offer_brand_id"))

    op.drop_table("offer")
    with op.batch_alter_table("collab_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collab_request_brand_id"))

    op.drop_table("collab_request")
    with op.batch_alter_table("creator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_creator_wallet"))

    op.drop_table("creator")
    with op.batch_alter_table("brand", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_brand_wallet"))

    op.drop_table("brand")
