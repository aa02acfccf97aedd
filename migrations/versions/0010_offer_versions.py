"""offer versions: negotiation by counter-offers, every version of the terms kept

Each offer gets its versions (the brand's offer is version 1, each counter the next), the offer
row points at the current one, and a `countered` offer is open like a sent one (the partial
unique index of 0005 is rebuilt to say so). Rows written before this revision become version 1
of their offer; an accepted offer's version also records the creator's signature and the terms
it signed, from its collaboration.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from eth_utils import keccak

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_offer_open_request_creator"
OPEN_BEFORE = sa.text("status IN ('sent', 'accepted')")
OPEN_NOW = sa.text("status IN ('sent', 'countered', 'accepted')")
ZERO_ADDRESS = "0x" + "00" * 20


def _create_table() -> None:
    op.create_table(
        "offer_version",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("offer_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("amount", sqlmodel.sql.sqltypes.AutoString(length=78), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("deliverables", sa.JSON(), nullable=False),
        sa.Column("deliver_by", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("review_period_seconds", sa.Integer(), nullable=False),
        sa.Column("platform_fee_bps", sa.Integer(), nullable=False),
        sa.Column("usage_rights", sa.JSON(), nullable=True),
        sa.Column("brand_terms", sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("salt", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("terms_text", sa.Text(), nullable=False),
        sa.Column("terms_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column(
            "creator_signature", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True
        ),
        sa.Column("signed_message", sa.JSON(), nullable=True),
        sa.Column("payees", sa.JSON(), nullable=True),
        sa.Column("deal_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("creator_signed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("brand_signature", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("brand_signed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offer.id"], name=op.f("fk_offer_version_offer_id_offer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_version")),
        sa.UniqueConstraint("offer_id", "number", name=op.f("uq_offer_version_offer_id_number")),
        sa.UniqueConstraint("salt", name=op.f("uq_offer_version_salt")),
    )
    op.create_index(op.f("ix_offer_version_offer_id"), "offer_version", ["offer_id"])


# Escrow v2's dispute rule, as api.collaborations.service writes it into every deal's terms.
DISPUTE_TIMEOUT_SECONDS = 30 * 24 * 60 * 60
DISPUTE_RULE_PAYEE_BPS = 5_000


def _signed_message(row) -> dict:
    """The EIP-712 DealTerms message the creator signed, as the collaboration snapshotted it
    (integers as decimal strings, the token as the escrow names it), in escrow v2's shape: one
    milestone of the whole amount and the platform's dispute rule."""
    payees = row.payees or []
    return {
        "salt": row.salt,
        "brand": row.brand_wallet,
        "creator": row.creator_wallet,
        "token": ZERO_ADDRESS if row.token == "ETH" else row.token,
        "amount": str(row.amount),
        "payees": [payee["wallet"] for payee in payees],
        "shares": [str(payee["share_bps"]) for payee in payees],
        "milestones": [{"amount": str(row.amount), "deliverBy": str(row.c_deliver_by)}],
        "platformFeeBps": str(row.platform_fee_bps),
        "reviewPeriod": str(row.review_period_seconds),
        "disputeTimeout": str(DISPUTE_TIMEOUT_SECONDS),
        "disputeRulePayeeBps": str(DISPUTE_RULE_PAYEE_BPS),
        "termsHash": row.terms_hash,
        "isVirtual": bool(row.is_virtual),
        "signatureExpiry": str(row.signature_expiry),
    }


def _first_versions(connection: sa.Connection) -> None:
    """Version 1 of every offer, from the offer row (and its collaboration, if accepted)."""
    json_columns = ("deliverables", "signed_message", "payees")
    version = sa.table(
        "offer_version",
        *(sa.column(name, sa.JSON) for name in json_columns),
        *(
            sa.column(name)
            for name in (
                "id",
                "offer_id",
                "number",
                "proposed_by",
                "amount",
                "token",
                "review_period_seconds",
                "platform_fee_bps",
                "brand_terms",
                "salt",
                "terms_text",
                "terms_hash",
                "creator_signature",
                "deal_id",
            )
        ),
        *(
            sa.column(name, sqlmodel.sql.sqltypes.UTCDateTime())
            for name in ("deliver_by", "expires_at", "created_at", "creator_signed_at")
        ),
    )
    rows = connection.execute(
        sa.text(
            "SELECT o.id, o.amount, o.token, o.deliver_by, o.review_period_seconds, "
            "o.platform_fee_bps, o.brand_terms, o.deal_id AS salt, o.terms_text, o.expires_at, "
            "o.created_at, r.deliverables, c.creator_signature, c.payees, c.deal_id, "
            "c.created_at AS signed_at, c.brand_wallet, c.creator_wallet, "
            "c.deliver_by AS c_deliver_by, c.terms_hash, c.is_virtual, c.signature_expiry "
            "FROM offer o JOIN collab_request r ON r.id = o.request_id "
            "LEFT JOIN collaboration c ON c.offer_id = o.id"
        ).columns(
            # By name (positional columns would be matched by position).
            deliverables=sa.JSON,
            payees=sa.JSON,
            deliver_by=sqlmodel.sql.sqltypes.UTCDateTime(),
            expires_at=sqlmodel.sql.sqltypes.UTCDateTime(),
            created_at=sqlmodel.sql.sqltypes.UTCDateTime(),
            signed_at=sqlmodel.sql.sqltypes.UTCDateTime(),
        )
    ).all()
    for row in rows:
        signed = row.creator_signature is not None
        connection.execute(
            sa.insert(version).values(
                id="ofv_" + row.id.removeprefix("off_"),
                offer_id=row.id,
                number=1,
                proposed_by="brand",
                amount=row.amount,
                token=row.token,
                deliverables=row.deliverables,
                deliver_by=row.deliver_by,
                review_period_seconds=row.review_period_seconds,
                platform_fee_bps=row.platform_fee_bps,
                brand_terms=row.brand_terms,
                salt=row.salt,
                terms_text=row.terms_text,
                terms_hash="0x" + keccak(text=row.terms_text).hex(),
                expires_at=row.expires_at,
                created_at=row.created_at,
                creator_signature=row.creator_signature,
                signed_message=_signed_message(row) if signed else None,
                payees=row.payees if signed else None,
                deal_id=row.deal_id if signed else None,
                creator_signed_at=row.signed_at if signed else None,
            )
        )


def upgrade() -> None:
    _create_table()
    op.add_column(
        "offer",
        sa.Column("current_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    _first_versions(op.get_bind())
    op.drop_index(INDEX, table_name="offer")
    op.create_index(
        INDEX,
        "offer",
        ["request_id", "creator_id"],
        unique=True,
        sqlite_where=OPEN_NOW,
        postgresql_where=OPEN_NOW,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_offer_version_offer_id"), table_name="offer_version")
    op.drop_table("offer_version")
    # Before this revision nobody can answer a counter: a countered offer is over.
    op.execute("UPDATE offer SET status = 'expired' WHERE status = 'countered'")
    op.drop_index(INDEX, table_name="offer")
    op.create_index(
        INDEX,
        "offer",
        ["request_id", "creator_id"],
        unique=True,
        sqlite_where=OPEN_BEFORE,
        postgresql_where=OPEN_BEFORE,
    )
    # A plain DROP COLUMN (SQLite >= 3.35): a batch copy of `offer` would trip its foreign keys.
    op.drop_column("offer", "current_version")
