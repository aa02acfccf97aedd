"""Schemas of the legal side of a deal: a party's identity in a contract, usage rights."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from api.kit.types import Country, Platform, StrictInt
from api.legal.countries import ISO_3166_ALPHA2

MAX_USAGE_DAYS = 10 * 366
# One @, no spaces, a dot in the domain: what a contract's notice address needs, no more.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("must be an e-mail address such as legal@example.com")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _iso_country(value: str) -> str:
    if value not in ISO_3166_ALPHA2:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. FR")
    return value


Email = Annotated[
    str, AfterValidator(_email), Field(max_length=254, examples=["legal@example.com"])
]
TaxCountry = Annotated[Country, AfterValidator(_iso_country)]
LegalName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
PostalAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=5, max_length=500)
]

# The identity fields a written contract names (loi 2023-451 art. 8), in the order it names them.
IDENTITY_FIELDS = ("legal_name", "postal_address", "email", "tax_country")


class LegalIdentity(BaseModel):
    """A party as a contract names it. For a virtual creator: its operator, the legal person
    responsible. Optional on the profile; required before an offer whose contract the law
    wants in writing (see `api.legal.service.require_identities`)."""

    model_config = ConfigDict(extra="forbid")

    legal_name: LegalName | None = Field(
        default=None,
        description="full name of the person, or registered name of the company, who contracts",
    )
    postal_address: PostalAddress | None = Field(
        default=None, description="postal address for the contract (street, postcode, city)"
    )
    email: Email | None = Field(default=None, description="e-mail address for the contract")
    tax_country: TaxCountry | None = Field(
        default=None, description="country of tax residence, ISO 3166-1 alpha-2 (e.g. FR)"
    )


class LegalIdentityPublic(BaseModel):
    legal_name: str | None = None
    postal_address: str | None = None
    email: str | None = None
    tax_country: str | None = None


class UsageRights(BaseModel):
    """What the brand may do with the content besides its publication by the creator."""

    model_config = ConfigDict(extra="forbid")

    paid_ads: StrictBool = Field(
        default=False, description="the brand may use the content in paid advertising"
    )
    duration_days: StrictInt = Field(
        default=0,
        ge=0,
        le=MAX_USAGE_DAYS,
        description="how long the brand may use the content after publication (0 = no reuse)",
    )
    territories: list[Country] = Field(
        default_factory=list,
        max_length=250,
        description="ISO 3166-1 alpha-2 countries where the brand may use the content",
    )
    platforms: list[Platform] | None = Field(
        default=None, max_length=10, description="platforms of that use; omitted = any"
    )
