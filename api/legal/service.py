"""The law's checks on a request and an offer: the audience they target, the categories they
may promote there, and whether the written contract must name both parties."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, localcontext

from sqlmodel import Session, select

from api.brands.models import Brand
from api.collaborations.models import Collaboration
from api.core.auth import Principal
from api.core.errors import Forbidden
from api.core.settings import Settings
from api.creators.models import Creator
from api.kit.time import utcnow
from api.kit.types import ETH, WEI_PER_ETH
from api.legal.categories import prohibited
from api.legal.countries import FRANCE
from api.legal.errors import ContractIdentityMissing, ProhibitedCategory
from api.legal.models import IDENTITY_FIELDS
from api.offers.models import Offer
from api.requests.models import CollabRequest

# Décret 2025-1137: the threshold is per advertiser over a year.
THRESHOLD_PERIOD = timedelta(days=365)


def target_countries(*, collab_request: CollabRequest, creator: Creator) -> list[str]:
    """The audience a deal targets: the request's countries, or else the creator's audience."""
    countries = collab_request.audience.get("countries") or []
    if countries:
        return list(countries)
    reached = {c for platform in creator.audience.values() for c in platform.get("countries", [])}
    return sorted(reached)


def check_categories(*, categories: list[str], countries: list[str], field: str) -> None:
    """Art. 4: a prohibited category is refused for an audience in France, allowed elsewhere."""
    if not set(countries) & FRANCE:
        return
    rules = prohibited(categories)
    if rules:
        raise ProhibitedCategory(
            "; ".join(rule.refusal for rule in rules),
            rules=[{"id": rule.id, "reference": rule.reference} for rule in rules],
            errors=[{"field": field, "message": f"{rule.id}: {rule.refusal}"} for rule in rules],
        )


def written_contract_required(
    *, session: Session, settings: Settings, brand_id: str, creator_id: str, amount: int, token: str
) -> bool:
    """Whether this offer, with the brand's accepted offers to this creator over the last year,
    reaches the threshold. An amount whose euro value is unknown (an ERC-20, or ETH without
    EUR_PER_ETH) counts as reaching it: the law is met by default, never missed."""
    since = utcnow() - THRESHOLD_PERIOD
    earlier = session.exec(
        select(Offer.amount, Offer.token).where(
            Offer.brand_id == brand_id,
            Offer.creator_id == creator_id,
            Offer.status == "accepted",
            Offer.created_at >= since,
        )
    ).all()
    payments = [(amount, token), *((int(a), t) for a, t in earlier)]
    if settings.eur_per_eth is None or any(t != ETH for _, t in payments):
        return True
    with localcontext(prec=80):
        euros = sum(Decimal(a) for a, _ in payments) * settings.eur_per_eth / WEI_PER_ETH
    return euros >= settings.legal_contract_threshold_eur


def require_identities(*, brand: Brand, creator: Creator) -> None:
    """Art. 8: the written contract names each party; a 422 lists every missing field."""
    missing = [
        (role, name)
        for role, party in (("brand", brand), ("creator", creator))
        for name in IDENTITY_FIELDS
        if not getattr(party, name)
    ]
    if not missing:
        return
    who = {
        "brand": "the brand",
        "creator": "the creator's operator" if creator.is_virtual else "the creator",
    }
    parts = [
        f"{who[role]} must fill in {', '.join(name for r, name in missing if r == role)}"
        for role in who
        if any(r == role for r, _ in missing)
    ]
    raise ContractIdentityMissing(
        "loi 2023-451 art. 8 wants a written contract naming both parties for this offer "
        "(French audience, remuneration from the yearly threshold or of unknown euro value): "
        + "; ".join(parts),
        errors=[
            {"field": f"{role}.{name}", "message": "required for the written contract"}
            for role, name in missing
        ],
    )


def check_offer(
    *,
    session: Session,
    settings: Settings,
    collab_request: CollabRequest,
    brand: Brand,
    creator: Creator,
    amount: int,
    token: str,
) -> None:
    """What the law asks before an offer is made: no prohibited category for a French
    audience (art. 4), and both parties' identities when the contract must be written (art. 8)."""
    countries = target_countries(collab_request=collab_request, creator=creator)
    check_categories(
        categories=collab_request.categories, countries=countries, field="request.categories"
    )
    if not set(countries) & FRANCE:
        return
    if written_contract_required(
        session=session,
        settings=settings,
        brand_id=brand.id,
        creator_id=creator.id,
        amount=amount,
        token=token,
    ):
        require_identities(brand=brand, creator=creator)


def collaboration_contract(
    *, session: Session, principal: Principal, collaboration: Collaboration
) -> str:
    """The contract of a deal: the stored terms text of its offer, whose keccak-256 hash is the
    `termsHash` the creator signed (and the escrow holds). It names the parties' addresses, so
    only they read it: the arbiter sees the deal, not the contract."""
    if principal.role not in ("brand", "creator"):
        raise Forbidden("only the deal's brand and creator may read its contract")
    offer = session.get(Offer, collaboration.offer_id)
    return offer.terms_text
