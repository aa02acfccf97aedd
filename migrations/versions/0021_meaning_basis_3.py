"""meaning basis 3: the taxonomy gained photo retouching and synthetic fibres

The meaning vectors are projected on the main directions of the taxonomy's own vocabulary
(matching.semantic); new concepts and aliases move those directions, so every stored vector is
computed again here with the new basis (version 3), from the phrases and bio each creator holds.
A vector of another version would otherwise be computed again each time the index loads.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from matching.semantic import creator_meaning, to_stored

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    creator = sa.table(
        "creator",
        sa.column("id", sa.String),
        sa.column("bio", sa.String),
        sa.column("value_phrases", sa.JSON),
        sa.column("meaning", sa.LargeBinary),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(creator.c.id, creator.c.bio, creator.c.value_phrases))
    for row in rows.all():
        texts = [phrase["text"] for phrase in row.value_phrases or []]
        meaning = to_stored(creator_meaning(texts, row.bio or ""))
        connection.execute(sa.update(creator).where(creator.c.id == row.id).values(meaning=meaning))


def downgrade() -> None:
    """Nothing to undo: older code reads a version-3 vector as missing and computes its own."""
