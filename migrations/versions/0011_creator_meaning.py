"""creator meaning: what a creator's value phrases and bio are about, for matching

Matching blends the concepts two profiles share with the affinity of their own words (see
matching.semantic): each creator keeps a small vector of its value phrases and bio. Rows written
before this revision get theirs computed here, from the phrases and bio they already hold.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from matching.semantic import creator_meaning, to_stored

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("creator", sa.Column("meaning", sa.LargeBinary(), nullable=True))
    creator = sa.table(
        "creator",
        sa.column("id", sa.String),
        sa.column("bio", sa.String),
        sa.column("value_phrases", sa.JSON),
        sa.column("meaning", sa.LargeBinary),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(creator.c.id, creator.c.bio, creator.c.value_phrases)):
        texts = [phrase["text"] for phrase in row.value_phrases or []]
        meaning = to_stored(creator_meaning(texts, row.bio or ""))
        connection.execute(sa.update(creator).where(creator.c.id == row.id).values(meaning=meaning))


def downgrade() -> None:
    op.drop_column("creator", "meaning")
