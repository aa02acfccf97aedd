"""revenue splits and the charity registry

Splits declared through the API (`revenue_split`), the charity registry (`charity`,
`charity_wallet`), payouts marked by source (the escrow, or a revenue splitter and its address),
and an offer version's revenue share (a clause of the signed contract).

Until this revision a creator's charities were plain addresses with a name. Each distinct
address becomes an unverified registry charity with that name, and each creator's split refers
to it, accepted unverified (the creator chose that address knowingly, before there was a
registry). Existing payouts all came from the escrow.

Revision ID: 0013
Revises: 0012
"""

import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
DateTime = sqlmodel.sql.sqltypes.UTCDateTime


def _new_id(prefix: str) -> str:
    """As api.kit.types.new_id (time-ordered), without importing the application."""
    return f"{prefix}_{int(time.time() * 1000):012x}{os.urandom(10).hex()}"


def _create_tables() -> None:
    op.create_table(
        "charity",
        sa.Column("id", String(length=40), nullable=False),
        sa.Column("name", String(length=200), nullable=False),
        sa.Column("country", String(length=2), nullable=True),
        sa.Column("registration_number", String(length=64), nullable=True),
        sa.Column("website", String(length=300), nullable=True),
        sa.Column("status", String(length=20), nullable=False),
        sa.Column("status_note", String(length=1000), nullable=True),
        sa.Column("verified_at", DateTime(), nullable=True),
        sa.Column("registered_by", String(length=60), nullable=False),
        sa.Column("created_at", DateTime(), nullable=False),
        sa.Column("updated_at", DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charity")),
        sa.UniqueConstraint(
            "country", "registration_number", name=op.f("uq_charity_country_registration_number")
        ),
    )
    op.create_index(op.f("ix_charity_status"), "charity", ["status"])
    op.create_table(
        "charity_wallet",
        sa.Column("address", String(length=42), nullable=False),
        sa.Column("charity_id", String(length=40), nullable=False),
        sa.Column("created_at", DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["charity_id"], ["charity.id"], name=op.f("fk_charity_wallet_charity_id_charity")
        ),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_charity_wallet")),
    )
    op.create_index(op.f("ix_charity_wallet_charity_id"), "charity_wallet", ["charity_id"])
    op.create_table(
        "revenue_split",
        sa.Column("id", String(length=40), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("factory_address", String(length=42), nullable=False),
        sa.Column("address", String(length=42), nullable=False),
        sa.Column("label", String(length=120), nullable=True),
        sa.Column("payees", sa.JSON(), nullable=False),
        sa.Column("declared_by", String(length=60), nullable=True),
        sa.Column("consents", sa.JSON(), nullable=False),
        sa.Column("created_block", sa.BigInteger(), nullable=True),
        sa.Column("created_tx", String(length=66), nullable=True),
        sa.Column("created_at", DateTime(), nullable=False),
        sa.Column("updated_at", DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revenue_split")),
        sa.UniqueConstraint("chain_id", "address", name=op.f("uq_revenue_split_chain_id_address")),
    )
    op.create_index(op.f("ix_revenue_split_address"), "revenue_split", ["address"])
    op.create_index(op.f("ix_revenue_split_declared_by"), "revenue_split", ["declared_by"])


def _charities_to_registry(connection) -> None:
    creator = sa.table("creator", sa.column("id", sa.String), sa.column("split", sa.JSON))
    charity = sa.table(
        "charity",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("status", sa.String),
        sa.column("registered_by", sa.String),
        sa.column("created_at", DateTime()),
        sa.column("updated_at", DateTime()),
    )
    wallet_table = sa.table(
        "charity_wallet",
        sa.column("address", sa.String),
        sa.column("charity_id", sa.String),
        sa.column("created_at", DateTime()),
    )
    now = datetime.now(UTC)
    by_wallet: dict[str, str] = {}
    rows = connection.execute(sa.select(creator.c.id, creator.c.split).order_by(creator.c.id))
    for row in rows.all():
        split = row.split or {}
        if not split.get("charities"):
            continue
        picks = []
        for payee in split["charities"]:
            wallet = payee["wallet"]
            if wallet not in by_wallet:
                by_wallet[wallet] = _new_id("cha")
                connection.execute(
                    charity.insert().values(
                        id=by_wallet[wallet],
                        name=payee["name"],
                        status="unverified",
                        registered_by="migration",
                        created_at=now,
                        updated_at=now,
                    )
                )
                connection.execute(
                    wallet_table.insert().values(
                        address=wallet, charity_id=by_wallet[wallet], created_at=now
                    )
                )
            picks.append(
                {
                    "charity_id": by_wallet[wallet],
                    "name": payee["name"],
                    "wallet": wallet,
                    "share_bps": payee["share_bps"],
                    "accept_unverified": True,
                }
            )
        connection.execute(
            sa.update(creator)
            .where(creator.c.id == row.id)
            .values(split={**split, "charities": picks})
        )


def upgrade() -> None:
    _create_tables()
    op.add_column(
        "payout",
        sa.Column("source", String(length=20), server_default=sa.text("'escrow'"), nullable=False),
    )
    op.add_column("payout", sa.Column("splitter", String(length=42), nullable=True))
    op.create_index(op.f("ix_payout_splitter"), "payout", ["splitter"])
    op.add_column("offer_version", sa.Column("revenue_share", sa.JSON(), nullable=True))
    _charities_to_registry(op.get_bind())


def downgrade() -> None:
    creator = sa.table("creator", sa.column("id", sa.String), sa.column("split", sa.JSON))
    connection = op.get_bind()
    for row in connection.execute(sa.select(creator.c.id, creator.c.split)).all():
        split = row.split or {}
        if split.get("charities"):
            plain = [
                {"name": p["name"], "wallet": p["wallet"], "share_bps": p["share_bps"]}
                for p in split["charities"]
            ]
            connection.execute(
                sa.update(creator)
                .where(creator.c.id == row.id)
                .values(split={**split, "charities": plain})
            )
    # Plain DROP COLUMN (SQLite >= 3.35), as 0010 does.
    op.drop_column("offer_version", "revenue_share")
    op.drop_index(op.f("ix_payout_splitter"), table_name="payout")
    op.drop_column("payout", "splitter")
    op.drop_column("payout", "source")
    op.drop_index(op.f("ix_revenue_split_declared_by"), table_name="revenue_split")
    op.drop_index(op.f("ix_revenue_split_address"), table_name="revenue_split")
    op.drop_table("revenue_split")
    op.drop_index(op.f("ix_charity_wallet_charity_id"), table_name="charity_wallet")
    op.drop_table("charity_wallet")
    op.drop_index(op.f("ix_charity_status"), table_name="charity")
    op.drop_table("charity")
