"""reader: an exception brings back part of a denied practice; taxonomy: dating apps,
artificial snow, surveillance cameras, dioceses, uranium and small reactors, student loans,
gig apps, proof-of-stake, betting operators, arms makers and oil majors by name

"Bracelets sans cuir animal, sauf la ligne Héritage en alligator" was a watchmaker denying
leather: a creator refusing exotic leather met nothing. A practice whose denial is followed by
an exception ("sauf", "except", "other than", "à part les"...) now states what it denies.

Taxonomy: dating apps and artificial snow are practices ("applis de rencontre" was political
campaigns, "canons à neige" named nothing). Facial recognition and surveillance takes
surveillance, security and doorbell cameras and selfie verification; religious content takes
dioceses and parishes; nuclear power takes uranium and (small modular) reactors, mining takes
uranium mining; high-cost consumer credit takes student and personal loans; instalment plans
take "paiement en 10 fois" (so "sans frais" negates only the fees); gig work takes gig apps;
crypto takes proof-of-stake and self-custody. Companies whose whole trade is a practice are
that practice by name: betting operators (Winamax, Betclic, FDJ, Bet365...) gambling, arms
makers (BAE Systems, Lockheed Martin, Rheinmetall...) weapons, oil majors (BP, ExxonMobil,
Chevron, Aramco...) fossil fuels, not Shell, whose name is a common word ("shells sewn in
Winnipeg"). Mystery chests bought with real money are loot boxes; live animals for sale are
pet shops; reptile breeders are wildlife trade. Footage or data shared with the police is
data sharing; palatability trials on a kennel of dogs are animal testing. Neobanks and current
accounts are banking; "paiement en 3x" is an instalment plan; sharing health data is data
sharing. A cue inside a phrase negates the whole list it opens ("never alcohol, gambling or
weight-loss products" advertised gambling). Everyday topics: triathlon and HIIT are sport,
freeride winter sports, scouting youth empowerment, comics reading, watchmaking
craftsmanship, sourdough cooking, heat pumps energy saving, cooperatives the social economy,
legal aid and prison reform human rights.

Every phrase a creator, brand or request holds is read again and the engine's slugs derived
again (api.values.reread); meaning vectors stay.

Revision ID: 0027
Revises: 0026
"""

from collections.abc import Sequence

from alembic import op

from api.values.reread import reread_all

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    reread_all(op.get_bind(), meanings=False)


def downgrade() -> None:
    """Nothing to undo: the new readings are readings of the same phrases."""
