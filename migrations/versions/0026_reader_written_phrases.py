"""reader: a phrase whose small words carry its meaning is read only as written; "free" of
charge; common phrases that name nothing; taxonomy: coffee and tea, toy weapons, lab-grown
diamonds, homeopathy, slaughter without stunning, and other synonyms

Once its small words are dropped, "machines à sous" was the one word "machines", "well-being"
was "well", "plus size" was "size", "fait main" was "main" and "savoir-faire" was "savoir": a
coffee chain's "machines à café" read as gambling, "a well known brand" as wellbeing, "la main
verte" as local production. Such a phrase is now read only when the text holds it as written,
and may share its one word with another concept's term ("De Beers" names nothing, "beers" is
alcohol). "Free" after "be", "for" or "entrée" says free of charge, not "-free" ("museums
should be free" was a refusal of museums). Common phrases name nothing: "chasse au
gaspillage", "assurance qualité", "refuge de montagne", "de bonne foi", "puff pastry",
"chasse-neige", "stylo plume", "fishing nets", "dégustations à l'aveugle" were hunting,
insurance, animal rescue, faith, tobacco, hunting, down, fish and disability; "the local
food bank" was a bank. A refusal said politely and last ("les steaks végétaux ? non merci")
refuses what stands before it.

Taxonomy: coffee and tea is a cause; toy weapons (a refusal of "toy guns" is tripped by foam
dart blasters, one of weapons is not), lab-grown diamonds ("diamants de synthèse" was
generative AI), homeopathy and slaughter without stunning are practices; game meat is meat.
PET, rPET and polyethylene are single-use plastic; crosswords and puzzles are games;
weightlifting and run clubs are sport; "study" is productivity; hog and boar bristles are
animal-derived ingredients; blood diamonds are mining;
"marques de paris" is gambling; Philip Morris, Marlboro, HSBC, BNP Paribas and other
well-known groups are tobacco or banks by name.

Every phrase a creator, brand or request holds is read again and the engine's slugs derived
again (api.values.reread); meaning vectors stay.

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

from alembic import op

from api.values.reread import reread_all

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    reread_all(op.get_bind(), meanings=False)


def downgrade() -> None:
    """Nothing to undo: the new readings are readings of the same phrases."""
