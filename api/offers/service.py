from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from api.auth import Principal
from api.creators.models import Creator
from api.errors import Conflict, InvalidInput, NotFound
from api.idempotency import utcnow
from api.match_index import SharedIndex, creator_profile
from api.offers.models import Offer, OfferCreate, OfferPublic, Screening
from api.offers.terms import build_terms_text
from api.pagination import Page, PageParams, page_of, paginate
from api.requests.models import CollabRequest
from api.requests.service import brief_for
from api.settings import Settings
from api.types import new_id
from matching import FilterReason

# Hard filters that screen an offer out on the creator's behalf. Audience constraints are the
# brand's own wishes: a brand may still choose to make an offer outside them.
SCREENING_CODES = {"dealbreaker", "value_conflict"}
ALIGNMENT_COMPONENT = "alignment"
ACTIVE = ("sent", "accepted")


def effective_status(offer: Offer, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    if offer.status == "sent" and offer.expires_at <= now:
        return "expired"
    return offer.status


def to_public(offer: Offer) -> OfferPublic:
    return OfferPublic(
        id=offer.id,
        request_id=offer.request_id,
        brand_id=offer.brand_id,
        creator_id=offer.creator_id,
        price={"amount": offer.amount, "token": offer.token},
        deliver_by=offer.deliver_by,
        review_period_seconds=offer.review_period_seconds,
        platform_fee_bps=offer.platform_fee_bps,
        deal_id=offer.deal_id,
        terms_text=offer.terms_text,
        status=effective_status(offer),
        screening=Screening(**offer.screening),
        decline_reason=offer.decline_reason,
        expires_at=offer.expires_at,
        created_at=offer.created_at,
        updated_at=offer.updated_at,
    )


def _reason(reason: FilterReason) -> dict:
    return {"code": reason.code, "message": reason.message, "detail": dict(reason.detail or {})}


def screen(
    *,
    session: Session,
    index: SharedIndex,
    row: CollabRequest,
    creator: Creator,
    amount: int,
    token: str,
) -> tuple[str, Screening]:
    """Apply the creator's screening policy: dealbreakers always, then the alignment bar."""
    brief = brief_for(session=session, row=row, budget=amount, token=token)
    result = index.score_one(brief, creator_profile(creator))
    threshold = float(creator.screening.get("min_alignment", 0.2))
    if isinstance(result, list):
        blocking = [_reason(r) for r in result if r.code in SCREENING_CODES]
        if blocking:
            return "screened_out", Screening(threshold=threshold, reasons=blocking)
        brief.languages, brief.platforms, brief.countries, brief.min_followers = [], [], [], 0
        result = index.score_one(brief, creator_profile(creator))
        if isinstance(result, list):
            return "screened_out", Screening(
                threshold=threshold, reasons=[_reason(r) for r in result]
            )
    alignment = float(result.components.get(ALIGNMENT_COMPONENT, result.score))
    if alignment < threshold:
        reason = {
            "code": "low_alignment",
            "message": (
                f"value alignment {alignment:.2f} is below this creator's threshold {threshold:.2f}"
            ),
            "detail": {"alignment": round(alignment, 4), "threshold": threshold},
        }
        return "screened_out", Screening(
            alignment=round(alignment, 4), threshold=threshold, reasons=[reason]
        )
    return "sent", Screening(alignment=round(alignment, 4), threshold=threshold)


def create_offer(
    *,
    session: Session,
    index: SharedIndex,
    settings: Settings,
    brand: Principal,
    row: CollabRequest,
    data: OfferCreate,
) -> OfferPublic:
    if row.status != "open":
        raise Conflict(f"request {row.id} is {row.status}; it takes no new offers")
    creator = session.get(Creator, data.creator_id)
    if creator is None:
        raise NotFound(f"creator {data.creator_id} not found")
    token = data.token or row.budget_token
    fees = {fee["token"]: int(fee["amount"]) for fee in creator.min_fees}
    if token not in fees:
        raise InvalidInput(
            f"this creator is not paid in {token}; accepted: {', '.join(sorted(fees))}",
            errors=[{"field": "token", "message": "not accepted by the creator"}],
        )
    if data.amount < fees[token]:
        raise InvalidInput(
            f"amount {data.amount} is below this creator's minimum fee {fees[token]} in {token}",
            errors=[{"field": "amount", "message": "below the creator's minimum fee"}],
        )
    if data.deliver_by > datetime.now(UTC) + timedelta(days=366):
        raise InvalidInput(
            "deliver_by must be within a year",
            errors=[{"field": "deliver_by", "message": "more than a year away"}],
        )
    pending = session.exec(
        select(Offer.id).where(
            Offer.request_id == row.id,
            Offer.creator_id == creator.id,
            Offer.status.in_(ACTIVE),
            or_(Offer.status == "accepted", Offer.expires_at > utcnow()),
        )
    ).first()
    if pending:
        raise Conflict(f"offer {pending} to this creator for this request is still open")
    status, screening = screen(
        session=session, index=index, row=row, creator=creator, amount=data.amount, token=token
    )
    now = utcnow()
    offer = Offer(
        id=new_id("off"),
        request_id=row.id,
        brand_id=brand.id,
        creator_id=creator.id,
        amount=str(data.amount),
        token=token,
        deliver_by=data.deliver_by,
        review_period_seconds=data.review_period_seconds,
        platform_fee_bps=settings.platform_fee_bps,
        deal_id="0x" + os.urandom(32).hex(),
        brand_terms=data.terms,
        terms_text=build_terms_text(
            brand_terms=data.terms,
            is_virtual=creator.is_virtual,
            operator=creator.operator,
            deliverables=row.deliverables,
            lang=row.lang,
        ),
        status=status,
        screening=screening.model_dump(),
        expires_at=min(now + timedelta(seconds=settings.offer_ttl_seconds), data.deliver_by),
    )
    session.add(offer)
    session.flush()
    return to_public(offer)


def _visible(principal: Principal):
    if principal.role == "brand":
        return Offer.brand_id == principal.id
    if principal.role == "creator":
        # A screened-out offer never reaches the creator's inbox.
        return and_(Offer.creator_id == principal.id, Offer.status != "screened_out")
    return Offer.id.is_(None)


def list_offers(
    *, session: Session, principal: Principal, status: str | None, params: PageParams
) -> Page:
    statement = select(Offer).where(_visible(principal))
    now = utcnow()
    if status == "expired":
        statement = statement.where(
            or_(Offer.status == "expired", and_(Offer.status == "sent", Offer.expires_at <= now))
        )
    elif status == "sent":
        statement = statement.where(Offer.status == "sent", Offer.expires_at > now)
    elif status:
        statement = statement.where(Offer.status == status)
    rows = list(session.exec(paginate(statement, Offer.id, params)))
    return page_of(rows, params, to_public)


def get_visible_offer(*, session: Session, principal: Principal, offer_id: str) -> Offer:
    offer = session.exec(select(Offer).where(Offer.id == offer_id, _visible(principal))).first()
    if offer is None:
        raise NotFound(f"offer {offer_id} not found")
    return offer


def get_inbox_offer(*, session: Session, creator: Principal, offer_id: str) -> Offer:
    """An offer addressed to this creator, or 404 (a brand's view is not enough to act)."""
    offer = get_visible_offer(session=session, principal=creator, offer_id=offer_id)
    if offer.creator_id != creator.id:
        raise NotFound(f"offer {offer_id} not found")
    return offer


def decline_offer(*, session: Session, offer: Offer, reason: str | None) -> OfferPublic:
    status = effective_status(offer)
    if status != "sent":
        raise Conflict(f"offer {offer.id} is {status}; only a sent offer can be declined")
    offer.status = "declined"
    offer.decline_reason = reason
    offer.updated_at = utcnow()
    session.add(offer)
    session.flush()
    return to_public(offer)
