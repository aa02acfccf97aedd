"""value phrases: profiles and briefs keep what people wrote, with its interpretation

Values, dealbreakers, practices and brief targets become free phrases, each stored as written
with how it was read; the slug columns stay as what the matching engine reads. Rows written
before this revision only have slugs: each slug becomes a phrase that says exactly that
concept (its label in the row's language, or the slug when the taxonomy no longer knows it).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from matching import detect_language, load_taxonomy

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY_LIST = sa.text("'[]'")
# table -> (slug column, phrase column) pairs
COLUMNS = {
    "creator": (("values", "value_phrases"), ("dealbreakers", "dealbreaker_phrases")),
    "brand": (("values", "value_phrases"), ("practices", "practice_phrases")),
    "collab_request": (("target_values", "target_phrases"),),
}


def _phrase(slug: str, lang: str, taxonomy) -> dict:
    known = slug in taxonomy
    return {
        "text": taxonomy.label(slug, lang) if known else slug,
        "lang": lang,
        "concepts": [{"slug": slug, "confidence": 1.0}],
        "negated": False,
        "understood": True,
        "reason": f"taxonomy term of {slug}" if known else f"stored as {slug}",
    }


def _row_language(table: str, row) -> str:
    """The language the API gives such a row's phrases by default."""
    if table == "creator":
        return next((lang for lang in row.languages or [] if lang in ("fr", "en")), "en")
    if table == "brand":
        return detect_language(f"{row.name}\n{row.description}")
    return row.lang if row.lang in ("fr", "en") else "en"


def _carry_over(connection: sa.Connection, table_name: str) -> None:
    taxonomy = load_taxonomy()
    pairs = COLUMNS[table_name]
    extra = {
        "creator": ("languages",),
        "brand": ("name", "description"),
        "collab_request": ("lang", "values_source"),
    }[table_name]
    table = sa.table(
        table_name,
        sa.column("id", sa.String),
        *(sa.column(name, sa.JSON) for pair in pairs for name in pair),
        *(sa.column(name, sa.JSON if name == "languages" else sa.String) for name in extra),
    )
    for row in connection.execute(sa.select(table)).all():
        lang = _row_language(table_name, row)
        changes = {}
        for slug_column, phrase_column in pairs:
            if table_name == "collab_request" and row.values_source != "brand":
                continue  # tagged from the text: the brand wrote no target phrase
            slugs = getattr(row, slug_column) or []
            changes[phrase_column] = [_phrase(slug, lang, taxonomy) for slug in slugs]
        if changes:
            connection.execute(sa.update(table).where(table.c.id == row.id).values(changes))


def upgrade() -> None:
    connection = op.get_bind()
    for table_name, pairs in COLUMNS.items():
        for _, phrase_column in pairs:
            # NOT NULL with a default: SQLite adds it in place (no table copy).
            op.add_column(
                table_name,
                sa.Column(phrase_column, sa.JSON(), server_default=EMPTY_LIST, nullable=False),
            )
        _carry_over(connection, table_name)


def downgrade() -> None:
    for table_name, pairs in COLUMNS.items():
        for _, phrase_column in reversed(pairs):
            op.drop_column(table_name, phrase_column)
