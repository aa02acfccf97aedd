"""deals

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chain_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("deal_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("applied_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_event")),
        sa.UniqueConstraint(
            "chain_id",
            "tx_hash",
            "log_index",
            name=op.f("uq_chain_event_chain_id_tx_hash_log_index"),
        ),
    )
    with op.batch_alter_table("chain_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_event_block_number"), ["block_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_chain_event_deal_id"), ["deal_id"], unique=False)

    op.create_table(
        "indexer_cursor",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("next_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_indexer_cursor")),
    )
    op.create_table(
        "payout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("deal_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("wallet", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("amount", sqlmodel.sql.sqltypes.AutoString(length=78), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_payout_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payout_wallet"), ["wallet"], unique=False)

    op.create_table(
        "collaboration",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("offer_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("brand_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("creator_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("escrow_address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("deal_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("brand_wallet", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("creator_wallet", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("amount", sqlmodel.sql.sqltypes.AutoString(length=78), nullable=False),
        sa.Column("platform_fee_bps", sa.Integer(), nullable=False),
        sa.Column("deliver_by", sa.BigInteger(), nullable=False),
        sa.Column("review_period_seconds", sa.BigInteger(), nullable=False),
        sa.Column("terms_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("is_virtual", sa.Boolean(), nullable=False),
        sa.Column("signature_expiry", sa.BigInteger(), nullable=False),
        sa.Column(
            "creator_signature", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False
        ),
        sa.Column("payees", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("deliverable_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("delivered_at", sa.BigInteger(), nullable=True),
        sa.Column("transactions", sa.JSON(), nullable=False),
        sa.Column("resolution", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brand.id"], name=op.f("fk_collaboration_brand_id_brand")
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["creator.id"], name=op.f("fk_collaboration_creator_id_creator")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offer.id"], name=op.f("fk_collaboration_offer_id_offer")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["collab_request.id"],
            name=op.f("fk_collaboration_request_id_collab_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collaboration")),
        sa.UniqueConstraint("deal_id", name=op.f("uq_collaboration_deal_id")),
        sa.UniqueConstraint("offer_id", name=op.f("uq_collaboration_offer_id")),
    )
    with op.batch_alter_table("collaboration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collaboration_brand_id"), ["brand_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_collaboration_creator_id"), ["creator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_collaboration_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_collaboration_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("collaboration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collaboration_status"))
        batch_op.drop_index(batch_op.f("ix_collaboration_request_id"))
        batch_op.drop_index(batch_op.f("ix_collaboration_creator_id"))
        batch_op.drop_index(batch_op.f("ix_collaboration_brand_id"))

    op.drop_table("collaboration")
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_wallet"))
        batch_op.drop_index(batch_op.f("ix_payout_deal_id"))

    op.drop_table("payout")
    op.drop_table("indexer_cursor")
    with op.batch_alter_table("chain_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_event_deal_id"))
        batch_op.drop_index(batch_op.f("ix_chain_event_block_number"))

    op.drop_table("chain_event")
