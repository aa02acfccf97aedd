"""reader: a phrase whose small words carry its meaning is read only as written; taxonomy:
coffee and tea, PET and polyethylene as single-use plastic, crosswords and puzzles as games

Once its small words are dropped, "machines à sous" was the one word "machines", "well-being"
was "well", "plus size" was "size", "fait main" was "main" and "savoir-faire" was "savoir": a
coffee chain's "machines à café" read as gambling, "a well known brand" as wellbeing, "la main
verte" as local production. Such a phrase is now read only when the text holds it as written.
"Coffee and tea" is a cause ("café de spécialité", "latte art", "tea rituals"); "PET bottles",
"rPET" and "polyéthylène" are single-use plastic; crosswords, sudoku and puzzles are games;
weightlifting and run clubs are sport; toy weapons are a practice of their own (a refusal of "toy
guns" is tripped by foam dart blasters, one of weapons is not); hog and boar bristles are
animal-derived ingredients; lab-grown diamonds are a practice ("diamants de synthèse" was
generative AI), blood diamonds are mining, "marques de paris" is gambling, and "De Beers" names
nothing (it was "beers", alcohol); homeopathy is a practice; "study" is productivity; Philip
Morris, Marlboro, HSBC, BNP Paribas and other well-known groups are tobacco or banks by name. "Free" after "be", "for" or "entrée" says free of
charge, not "-free" ("museums should be free" was a refusal of museums), and common phrases
name nothing ("chasse au gaspillage", "assurance qualité", "refuge de montagne", "de bonne
foi", "puff pastry", "chasse-neige", "stylo plume", "fishing nets" were hunting, insurance,
animal rescue, faith, tobacco, down and fish; "the local food bank" was a bank).
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
