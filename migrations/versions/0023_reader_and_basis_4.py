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

from alembic import op

from api.values.reread import reread_all

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    reread_all(op.get_bind(), meanings=True)


def downgrade() -> None:
    """Nothing to undo: older code reads a version-4 vector as missing and computes its own,
    and the new readings are readings of the same phrases."""
