"""creator phrases: each value phrase's and the bio's fingerprint, for matching's rerank

Matching reranks its best candidates by how close the brief's phrases come to the closest of
the creator's own (matching.closeness): each creator keeps the sign bits of its phrases'
sentence embeddings, 64 bytes a phrase. Rows written before this revision get theirs computed
here, from the phrases and bio they already hold.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from matching.closeness import creator_phrases, to_stored

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("creator", sa.Column("phrases", sa.LargeBinary(), nullable=True))
    creator = sa.table(
        "creator",
        sa.column("id", sa.String),
        sa.column("bio", sa.String),
        sa.column("value_phrases", sa.JSON),
        sa.column("phrases", sa.LargeBinary),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(creator.c.id, creator.c.bio, creator.c.value_phrases))
    for row in rows.all():
        texts = [phrase["text"] for phrase in row.value_phrases or []]
        phrases = to_stored(creator_phrases(texts, row.bio or ""))
        connection.execute(sa.update(creator).where(creator.c.id == row.id).values(phrases=phrases))


def downgrade() -> None:
    op.drop_column("creator", "phrases")
