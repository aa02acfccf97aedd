"""reader: "ai" is a word, divesting is a stance, a preference refuses, a blocker names nothing;
taxonomy: banks and insurers, religion, pharma, and topics people write (anime, productivity...)

"ai" was a French stopword, so "ethical AI" reduced to "ethical" and "ethical hunting" read as
AI ethics; it is now a word, the verb of "j'ai" aside. "désinvestir des énergies fossiles",
"divest from", "phase out" read as embracing the practice; they are stances against it now. A
preference refuses what follows it ("train > avion", "le train plutôt que l'avion"). A phrase
that is, as a whole, a blocker ("deal hunting", "team spirit") names no value: it is no longer
read by meaning (as hunting, as spirits). A cue that negates words no concept names leaves the
rest as stated ("vin nature sans prise de tête" was read as sobriety). "smoked" is no longer
"smoking". The taxonomy grew (banks and insurers, religious content, faith, the pharmaceutical
industry, gig work, peat, pork (narrower than meat), trophy hunting (narrower than hunting),
halal, kosher, productivity, innovation, transparency, honest reviews, low prices, anime and
manga, personal development, craftsmanship; self-defence weapons, paid random chests,
woodworking, bushcraft, vanlife, stress management, AI tools and well-known brands such as
McDonald's, Coca-Cola or Heineken as aliases): refusals such as "banques & assurances" or "Big
Pharma", kept as names before, are now read as concepts. Every phrase a creator, brand or
request holds is read again and the engine's slugs derived again (api.values.reread). The
meaning basis did not change (it no longer follows the taxonomy): meaning vectors stay. (Which
dealbreakers the values spare is derived when profiles are loaded.)

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

from alembic import op

from api.values.reread import reread_all

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    reread_all(op.get_bind(), meanings=False)


def downgrade() -> None:
    """Nothing to undo: the new readings are readings of the same phrases."""
