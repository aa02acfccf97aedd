"""reader and basis 4: every stored phrase read again, every meaning vector made again

The phrase reader changed: "0,0%" negates what it qualifies, "cocktails sans alcool" is the
negated product, a value with a stance against a practice ("crypto-sceptique", "fast fashion
detox") fights it instead of embracing it, a practice named outright outweighs one a cause
beside it suggests ("in-game loot boxes"), a dealbreaker that names a cause is read by meaning
among practices. The taxonomy gained concepts (mulesing, animal products, spirits, big alcohol,
BNPL, payday loans, anti-LGBTQ causes, plant-based eating, fashion, tech, comedy,
self-confidence, photography) and aliases, so the meaning basis was fitted again (version 4).
Cues inside parentheses qualify them only; a cue inside a phrase negates what follows it, not
what stands before ("laine mérinos garantie sans mulesing" has wool).

Every phrase a creator, brand or request holds is read again (except slugs carried over from
before phrases existed, "stored as ..."), the slugs the engine reads are derived again from the
new readings exactly as the API derives them, and every creator's meaning vector is made again
with the new basis.

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence
from functools import partial

import sqlalchemy as sa
from alembic import op

from api.requests.service import brief_targets
from api.values.service import concept_slugs, concept_weights, stored
from matching import interpret
from matching.semantic import creator_meaning, to_stored

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> phrase column -> (role, slug column)
PHRASES = {
    "brand": {"value_phrases": ("value", "values"), "practice_phrases": ("practice", "practices")},
    "creator": {
        "value_phrases": ("value", "values"),
        "dealbreaker_phrases": ("dealbreaker", "dealbreakers"),
    },
    "collab_request": {"target_phrases": ("value", "target_values")},
}
EXTRA = {
    "brand": (),
    "creator": ("bio",),
    "collab_request": ("brand_id", "title", "description", "lang", "values_source"),
}


def _reread(phrase: dict, role: str) -> dict:
    if phrase.get("reason", "").startswith("stored as"):  # a slug carried over: kept as it is
        return phrase
    return stored(interpret(phrase["text"], lang=phrase["lang"], role=role))


def _table(name: str) -> sa.TableClause:
    columns = [
        sa.column(c, sa.JSON) for pair in PHRASES[name].items() for c in (pair[0], pair[1][1])
    ]
    extra = [sa.column(c, sa.String) for c in EXTRA[name]]
    meaning = [sa.column("meaning", sa.LargeBinary)] if name == "creator" else []
    return sa.table(name, sa.column("id", sa.String), *columns, *extra, *meaning)


def upgrade() -> None:
    connection = op.get_bind()
    brand_values: dict[str, list[str]] = {}
    for name in ("brand", "creator", "collab_request"):
        table = _table(name)
        for row in connection.execute(sa.select(table)).all():
            changes: dict = {}
            for column, (role, slug_column) in PHRASES[name].items():
                phrases = [_reread(p, role) for p in getattr(row, column) or []]
                changes[column] = phrases
                if name != "collab_request":
                    changes[slug_column] = concept_slugs(phrases)
                    continue
                changes[slug_column], changes["values_source"] = brief_targets(
                    concept_weights(phrases),
                    text=f"{row.title}\n{row.description}",
                    lang=row.lang,
                    brand_values=partial(brand_values.get, row.brand_id, []),
                )
            if name == "brand":
                brand_values[row.id] = changes["values"]
            if name == "creator":
                texts = [phrase["text"] for phrase in changes["value_phrases"]]
                changes["meaning"] = to_stored(creator_meaning(texts, row.bio or ""))
            connection.execute(sa.update(table).where(table.c.id == row.id).values(changes))


def downgrade() -> None:
    """Nothing to undo: older code reads a version-4 vector as missing and computes its own,
    and the new readings are readings of the same phrases."""
