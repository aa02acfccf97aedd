"""embraced practices: a value phrase that names a practice reads as that practice

A value such as "natural wine" or "fromages au lait cru" used to read as no concept at all
("names a practice, not a cause"); it now reads as the practice the creator (or brand)
embraces, which matching counts as shared with a brand that has it and which overrides the
implicit refusal the creator's causes would give it. Value phrases stored before this revision
are read again, except those that are exact taxonomy terms or carried-over slugs (their reading
cannot change), and the slugs the engine reads are derived again from the new readings.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from matching import interpret

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (phrase column, slug column); the request's slug column is a weight map
COLUMNS = {
    "creator": ("value_phrases", "values"),
    "brand": ("value_phrases", "values"),
    "collab_request": ("target_phrases", "target_values"),
}
KEPT = ("taxonomy term", "stored as")  # readings no reader change can alter


def _reread(phrase: dict) -> dict:
    if phrase.get("reason", "").startswith(KEPT):
        return phrase
    reading = interpret(phrase["text"], lang=phrase["lang"], role="value")
    return {
        "text": phrase["text"],
        "lang": reading.lang,
        "concepts": [{"slug": s, "confidence": float(c)} for s, c in reading.concepts],
        "negated": reading.negated,
        "understood": reading.understood,
        "reason": reading.reason,
    }


def _weights(phrases: list[dict]) -> dict[str, float]:
    """As api.values.service.concept_weights: best confidence per asserted concept."""
    weights: dict[str, float] = {}
    for phrase in phrases:
        if not phrase["negated"]:
            for concept in phrase["concepts"]:
                slug, confidence = concept["slug"], float(concept["confidence"])
                weights[slug] = max(weights.get(slug, 0.0), confidence)
    return weights


def upgrade() -> None:
    connection = op.get_bind()
    for name, (phrase_column, slug_column) in COLUMNS.items():
        extra = (sa.column("values_source", sa.String),) if name == "collab_request" else ()
        table = sa.table(
            name,
            sa.column("id", sa.String),
            sa.column(phrase_column, sa.JSON),
            sa.column(slug_column, sa.JSON),
            *extra,
        )
        for row in connection.execute(sa.select(table)).all():
            old = getattr(row, phrase_column) or []
            new = [_reread(phrase) for phrase in old]
            if new == old:
                continue
            changes = {phrase_column: new}
            weights = _weights(new)
            if name != "collab_request":
                changes[slug_column] = list(weights)
            elif weights:  # else the brief keeps the targets it had (tagged from its text)
                changes[slug_column] = weights
                changes["values_source"] = "brand"
            connection.execute(sa.update(table).where(table.c.id == row.id).values(changes))


def downgrade() -> None:
    """Nothing to undo: the new readings are readings of the same phrases."""
