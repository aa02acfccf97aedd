"""Product categories a request declares, and the rules of loi 2023-451 art. 4 on them.

A rule is data: its id is the category a request declares. Prohibited categories may not be
promoted by commercial influence to an audience in France; restricted ones may, under the
conditions the contract then states. Ordinary categories carry no rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

ART_4 = "Art. 4 loi 2023-451"


@dataclass(frozen=True)
class CategoryRule:
    id: str
    kind: Literal["prohibited", "restricted"]
    name_fr: str
    name_en: str
    reference: str
    # For a restricted category: what the contract requires of every content.
    condition_fr: str = ""
    condition_en: str = ""

    @property
    def refusal(self) -> str:
        return f"{ART_4}: {self.name_en} may not be promoted to a French audience"


RULES: tuple[CategoryRule, ...] = (
    CategoryRule(
        "cosmetic-procedures",
        "prohibited",
        "actes, procédés, techniques et méthodes à visée esthétique",
        "cosmetic procedures (acts, techniques and methods with an aesthetic aim)",
        f"{ART_4}; code de la santé publique, art. L. 1151-2 et L. 6322-1",
    ),
    CategoryRule(
        "therapeutic-abstention",
        "prohibited",
        "abstention thérapeutique (renoncer à se soigner)",
        "therapeutic abstention (giving up medical care)",
        ART_4,
    ),
    CategoryRule(
        "nicotine-products",
        "prohibited",
        "produits de nicotine",
        "nicotine products",
        ART_4,
    ),
    CategoryRule(
        "non-domestic-animals",
        "prohibited",
        "produits et services impliquant des animaux non domestiques",
        "products and services involving non-domestic animals",
        f"{ART_4}; code de l'environnement, art. L. 413-1",
    ),
    CategoryRule(
        "unregistered-crypto-assets",
        "prohibited",
        "services sur actifs numériques non enregistrés ni agréés auprès de l'AMF",
        "crypto-asset services not registered with or authorised by the French regulator (AMF)",
        f"{ART_4}; code monétaire et financier, art. L. 54-10-3",
    ),
    CategoryRule(
        "unauthorised-financial-services",
        "prohibited",
        "produits et services financiers d'un prestataire non autorisé",
        "financial products and services of a provider not authorised in France",
        f"{ART_4}; code monétaire et financier",
    ),
    CategoryRule(
        "tobacco",
        "prohibited",
        "produits du tabac et du vapotage",
        "tobacco and vaping products",
        "code de la santé publique, art. L. 3512-4 et L. 3513-4",
    ),
    CategoryRule(
        "gambling",
        "restricted",
        "jeux d'argent et de hasard",
        "gambling",
        ART_4,
        condition_fr="le contenu n'est publié que sur une plateforme permettant d'exclure les "
        "mineurs de son audience, avec cette exclusion activée, et porte le message de mise "
        "en garde contre le jeu excessif",
        condition_en="the content is published only on a platform able to exclude minors from "
        "its audience, with that exclusion on, and carries the warning against excessive "
        "gambling",
    ),
    CategoryRule(
        "alcohol",
        "restricted",
        "boissons alcooliques",
        "alcoholic drinks",
        "code de la santé publique, art. L. 3323-2 à L. 3323-4 (loi Évin)",
        condition_fr="le contenu reste objectif et informatif, ne vise pas les mineurs et porte "
        "le message « L'abus d'alcool est dangereux pour la santé, à consommer avec modération »",
        condition_en="the content stays objective and informative, does not target minors and "
        "carries the message \"L'abus d'alcool est dangereux pour la santé, à consommer avec "
        'modération" (alcohol abuse is dangerous for health, drink in moderation)',
    ),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}
ORDINARY = (
    "beauty",
    "cosmetics",
    "education",
    "fashion",
    "food",
    "health",
    "home",
    "pets",
    "sport",
    "tech",
    "travel",
    "video-games",
)
CATEGORIES = tuple(sorted((*ORDINARY, *RULES_BY_ID)))


def _category(value: str) -> str:
    value = value.strip().lower()
    if value not in CATEGORIES:
        raise ValueError(f"unknown category; one of {', '.join(CATEGORIES)}")
    return value


Category = Annotated[str, AfterValidator(_category), Field(examples=["cosmetics"])]


def _rules(categories: list[str], kind: str) -> list[CategoryRule]:
    rules = (RULES_BY_ID.get(category) for category in categories)
    return [rule for rule in rules if rule is not None and rule.kind == kind]


def prohibited(categories: list[str]) -> list[CategoryRule]:
    """The art. 4 prohibitions these categories fall under (for an audience in France)."""
    return _rules(categories, "prohibited")


def restricted(categories: list[str]) -> list[CategoryRule]:
    """The categories allowed under conditions, which the contract then states."""
    return _rules(categories, "restricted")
