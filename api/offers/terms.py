"""The full off-chain terms of a deal: the written contract (api.legal.contract), built from the
parties' profiles and one version of the offer. Their keccak hash goes on chain as `termsHash`."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from api.brands.models import Brand
from api.core.db import get_kept
from api.core.errors import InvalidInput
from api.core.settings import Settings
from api.creators.models import Creator
from api.legal.contract import ContractInputs, Party, render_contract
from api.legal.models import UsageRights
from api.legal.service import check_offer, target_countries
from api.requests.models import CollabRequest

# Offer.terms_text holds at most this much.
MAX_TERMS_TEXT = 20_000


def _party(name: str, row: Brand | Creator) -> Party:
    return Party(
        name=name,
        wallet=row.wallet,
        legal_name=row.legal_name,
        postal_address=row.postal_address,
        email=row.email,
        tax_country=row.tax_country,
    )


def build_terms_text(
    *,
    session: Session,
    settings: Settings,
    collab_request: CollabRequest,
    creator: Creator,
    amount: int,
    token: str,
    deliver_by: datetime,
    review_period_seconds: int,
    platform_fee_bps: int,
    brand_terms: str,
    deliverables: list[dict],
    usage_rights: UsageRights | dict | None = None,
    benefits_in_kind: str | None = None,
    revenue_share: dict | None = None,
    milestones: list[dict] | None = None,
) -> str:
    """The contract of one terms version (an offer or a counter), FR and EN in one text: the
    French mentions are required by law whatever the brief's language. The law is checked
    first: no prohibited category for a French audience (422), and no contract without both
    parties' identities when it must be written (422). The same inputs give the same bytes."""
    brand = get_kept(session, Brand, collab_request.brand_id)
    check_offer(
        session=session,
        settings=settings,
        collab_request=collab_request,
        brand=brand,
        creator=creator,
        amount=amount,
        token=token,
    )
    if isinstance(usage_rights, dict):
        usage_rights = UsageRights.model_validate(usage_rights)
    text = render_contract(
        ContractInputs(
            brand=_party(brand.name, brand),
            creator=_party(f"{creator.display_name} (@{creator.handle})", creator),
            is_virtual=creator.is_virtual,
            operator=creator.operator,
            retouched_images=creator.retouched_images,
            countries=target_countries(collab_request=collab_request, creator=creator),
            deliverables=deliverables,
            amount=amount,
            token=token,
            deliver_by=deliver_by,
            review_period_seconds=review_period_seconds,
            platform_fee_bps=platform_fee_bps,
            brand_terms=brand_terms,
            usage_rights=usage_rights,
            categories=list(collab_request.categories),
            benefits_in_kind=benefits_in_kind,
            revenue_share=revenue_share,
            eur_per_eth=settings.eur_per_eth,
            milestones=tuple(milestones) if milestones else None,
        )
    )
    if len(text) > MAX_TERMS_TEXT:
        raise InvalidInput(
            f"the contract would be {len(text)} characters, over {MAX_TERMS_TEXT}: "
            "shorten the brand's terms",
            errors=[{"field": "terms", "message": "too long for the contract"}],
        )
    return text
