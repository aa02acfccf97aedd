"""reader: a cue that ends a phrase negates what stands before it; every stored phrase read again

"ultra-fast-fashion labels not accepted", "alcool non servi" and "fur? never" were read as the
practice stated; a cue followed by nothing but a word of admitting now negates what stands
before it. A dealbreaker no concept covers says in its reading's reason which names it is kept
as. Every phrase a creator, brand or request holds is read again and the engine's slugs derived
again (api.values.reread). The taxonomy and the meaning basis did not change: meaning vectors
stay. (The names themselves, and which practices are read too loosely to be held, are derived
when profiles and briefs are loaded.)

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

from alembic import op

from api.values.reread import reread_all

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    reread_all(op.get_bind(), meanings=False)


def downgrade() -> None:
    """Nothing to undo: the new readings are readings of the same phrases."""
