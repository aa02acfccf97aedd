from __future__ import annotations

import os
from datetime import datetime, timedelta

from eth_utils import keccak
from pydantic import TypeAdapter
from sqlalchemy import and_, bindparam, case, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from api.collaborations.models import (
    NOW,
    UNFUNDED,
    Collaboration,
    deal_expired,
    deal_expired_sql,
    now_params,
)
from api.core.auth import Principal
from api.core.db import insert_row, new_row
from api.core.deployment import Deployment
from api.core.errors import Conflict, InvalidInput, NotFound
from api.core.settings import Settings
from api.creators.models import Creator
from api.events.service import emit
from api.kit.pagination import Page, PageParams, PreparedPages, page_of_all, paginate
from api.kit.time import utcnow
from api.kit.types import new_id
from api.match_index import SharedIndex
from api.me.personal import require_not_erased
from api.offers import milestones as schedules
from api.offers.models import (
    NEGOTIATING,
    OPEN_OFFER_STATUSES,
    CounterCreate,
    Offer,
    OfferCreate,
    OfferPublic,
    OfferVersion,
    Screening,
)
from api.offers.terms import build_terms_text
from api.requests.models import CollabRequest
from api.requests.service import brief_for
from api.splits.service import revenue_share_terms
from matching import FilterReason

# Hard filters that screen an offer out on the creator's behalf. Audience constraints are the
# brand's own wishes: a brand may still choose to make an offer outside them.
SCREENING_CODES = {"dealbreaker", "value_conflict"}
ALIGNMENT_COMPONENT = "alignment"


# ------------------------------------------------------------------------------------ status
#
# An offer's stored status changes on writes only; reads show its effective status, so time
# never needs a background job: a sent or countered offer past `expires_at` (its current
# version's expiry) is expired, and so is an accepted
# offer whose deal is still unfunded after the signature's expiry (the escrow would refuse it).
# A deal the chain funded all the same (after a cancel, say) makes its offer accepted again:
# the chain is the truth about money.


def effective_status(
    offer: Offer, collaboration: Collaboration | None = None, now: datetime | None = None
) -> str:
    now = now or utcnow()
    if collaboration is not None and collaboration.status not in UNFUNDED:
        return "accepted"
    if offer.status in NEGOTIATING and offer.expires_at <= now:
        return "expired"
    if offer.status == "accepted" and collaboration and deal_expired(collaboration, now):
        return "expired"
    return offer.status


def effective_status_sql(now: datetime | None):
    """`effective_status` in SQL, for a query that outer-joins the offer's collaboration (now
    None: at the `NOW` parameters, for a statement built once)."""
    return case(
        (
            and_(Collaboration.status.is_not(None), Collaboration.status.not_in(UNFUNDED)),
            "accepted",
        ),
        (
            and_(Offer.status.in_(NEGOTIATING), Offer.expires_at <= (NOW if now is None else now)),
            "expired",
        ),
        (and_(Offer.status == "accepted", deal_expired_sql(now)), "expired"),
        else_=Offer.status,
    )


def _with_collaboration(statement):
    return statement.outerjoin(Collaboration, Collaboration.offer_id == Offer.id)


# Statuses of an offer that was never accepted, so has no deal to look up.
NEVER_ACCEPTED = ("sent", "countered", "screened_out", "declined")


def collaboration_of(*, session: Session, offer: Offer) -> Collaboration | None:
    if offer.status in NEVER_ACCEPTED:
        return None
    return session.exec(select(Collaboration).where(Collaboration.offer_id == offer.id)).first()


def current_status(*, session: Session, offer: Offer) -> str:
    return effective_status(offer, collaboration_of(session=session, offer=offer))


def expire_stale_offers(
    *, session: Session, request_id: str | None = None, creator_id: str | None = None
) -> int:
    """Write down what time already decided (for one (request, creator) pair, or for every
    offer when called by the worker's sweep): sent or countered offers past their expiry, and
    accepted offers whose deal was never funded in time, become `expired` (with their
    collaboration), so the pair's open-offer slot is free for a new offer. Each offer that
    moves gets its `offer.expired` event; the UPDATE decides which, so two sweeps at once
    never announce one offer twice. Returns how many offers expired."""
    now = utcnow()
    stale_deals = [deal_expired_sql(now)]
    pair = []
    if request_id is not None:
        stale_deals.append(Collaboration.request_id == request_id)
        pair.append(Offer.request_id == request_id)
    if creator_id is not None:
        stale_deals.append(Collaboration.creator_id == creator_id)
        pair.append(Offer.creator_id == creator_id)
    expired = []
    for statement in (
        update(Offer)
        .where(*pair, Offer.status.in_(NEGOTIATING), Offer.expires_at <= now)
        .values(status="expired", updated_at=now),
        update(Offer)
        .where(
            *pair,
            Offer.status == "accepted",
            Offer.id.in_(select(Collaboration.offer_id).where(*stale_deals)),
        )
        .values(status="expired", updated_at=now),
    ):
        result = session.execute(
            statement.returning(Offer.id).execution_options(synchronize_session=False)
        )
        expired += list(result.scalars())
    session.execute(
        update(Collaboration)
        .where(*stale_deals)
        .values(status="expired", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    for offer_id in expired:
        offer = session.get(Offer, offer_id)
        session.refresh(offer)
        emit_offer_event(session=session, offer=offer, kind="expired")
    return len(expired)


def emit_offer_event(
    *, session: Session, offer: Offer, kind: str, public: OfferPublic | None = None
) -> OfferPublic:
    """`offer.<kind>`, seen by the offer's brand and creator (a creator lists its screened-out
    offers too), with the offer as `GET /v1/offers/{id}` shows it (returned; given as `public`
    when the caller has it already)."""
    public = public or to_public(offer, session=session)
    emit(
        session,
        type=f"offer.{kind}",
        resource_type="offer",
        resource_id=offer.id,
        data=public,
        audience=[offer.brand_id, offer.creator_id],
    )
    return public


def transition(
    *,
    session: Session,
    offer: Offer,
    to: str,
    verb: str,
    source: str = "sent",
    version: int | None = None,
    **values,
) -> None:
    """Move an offer from `source` (sent, or countered) to `to`, compare-and-set in the
    database: the row changes only if it is still in `source`, unexpired and (when `version` is
    given) still at that version when the UPDATE runs, so of two racing transitions one wins
    and the other gets a 409 naming the state the winner left."""
    now = utcnow()
    where = [Offer.id == offer.id, Offer.status == source, Offer.expires_at > now]
    if version is not None:
        where.append(Offer.current_version == version)
    result = session.execute(
        update(Offer)
        .where(*where)
        .values(status=to, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(offer)
    if result.rowcount != 1:
        status = current_status(session=session, offer=offer)
        if status == source:
            raise Conflict(
                f"offer {offer.id} moved on to version {offer.current_version}; read it again",
                state=status,
            )
        raise Conflict(
            f"offer {offer.id} is {status}; only a {source} offer can be {verb}", state=status
        )


def current_version(*, session: Session, offer: Offer) -> OfferVersion:
    return session.exec(
        select(OfferVersion).where(
            OfferVersion.offer_id == offer.id, OfferVersion.number == offer.current_version
        )
    ).one()


def _version_fields(version) -> dict:
    """A version (an object, or a row of VERSION_SHOWN) as OfferVersionPublic's fields."""
    return {
        "number": version.number,
        "proposed_by": version.proposed_by,
        "price": {"amount": version.amount, "token": version.token},
        "deliverables": version.deliverables,
        "deliver_by": version.deliver_by,
        "milestones": schedules.public(
            amount=version.amount, deliver_by=version.deliver_by, milestones=version.milestones
        ),
        "review_period_seconds": version.review_period_seconds,
        "usage_rights": version.usage_rights,
        "revenue_share": version.revenue_share,
        "note": version.note,
        "salt": version.salt,
        "terms_text": version.terms_text,
        "terms_hash": version.terms_hash,
        "expires_at": version.expires_at,
        "created_at": version.created_at,
        "deal_id": version.deal_id,
        "signed_message": version.signed_message,
        "creator_signed_at": version.creator_signed_at,
        "brand_signed_at": version.brand_signed_at,
    }


def to_public(offer: Offer, *, session: Session) -> OfferPublic:
    return to_publics([offer], session=session)[0]


# What the API shows of an offer and of its versions. Lists read these columns as rows, not
# whole ORM objects: that skips building an object per row, and the columns no answer shows
# (the brand's own terms, the signatures and payees).
OFFER_SHOWN = tuple(
    getattr(Offer, name)
    for name in (
        "id", "request_id", "brand_id", "creator_id", "amount", "token", "deliver_by",
        "milestones", "review_period_seconds", "platform_fee_bps", "deal_id", "terms_text",
        "status", "screening", "decline_reason", "expires_at", "current_version", "created_at",
        "updated_at",
    )
)  # fmt: skip
VERSION_SHOWN = tuple(
    getattr(OfferVersion, name)
    for name in (
        "offer_id", "number", "proposed_by", "amount", "token", "deliverables", "deliver_by",
        "milestones", "review_period_seconds", "usage_rights", "revenue_share", "note", "salt",
        "terms_text", "terms_hash", "expires_at", "created_at", "deal_id", "signed_message",
        "creator_signed_at", "brand_signed_at",
    )
)  # fmt: skip


_VERSIONS_OF = (
    select(*VERSION_SHOWN)
    .where(OfferVersion.offer_id.in_(bindparam("offer_ids", expanding=True)))
    .order_by(OfferVersion.offer_id, OfferVersion.number)
)


# A list of offers is checked in one call from plain fields: building each offer's nested
# models one by one (its price, schedule, screening, versions) cost more than the queries.
_OFFER_LIST = TypeAdapter(list[OfferPublic])


def to_publics(offers: list, *, session: Session) -> list[OfferPublic]:
    """Offers (objects, or rows of OFFER_SHOWN) as the API shows them, in two queries however
    many they are: their versions, and the deals of those ever accepted (the status a deal
    shows)."""
    if not offers:
        return []
    versions: dict[str, list] = {offer.id: [] for offer in offers}
    for version in session.exec(_VERSIONS_OF, params={"offer_ids": list(versions)}):
        versions[version.offer_id].append(version)
    accepted = [offer.id for offer in offers if offer.status not in NEVER_ACCEPTED]
    deals = {}
    if accepted:
        statement = select(Collaboration).where(Collaboration.offer_id.in_(accepted))
        deals = {deal.offer_id: deal for deal in session.exec(statement)}
    now = utcnow()
    return _OFFER_LIST.validate_python(
        [
            _fields(offer, versions[offer.id], effective_status(offer, deals.get(offer.id), now))
            for offer in offers
        ]
    )


def _public(offer, versions: list, status: str) -> OfferPublic:
    return OfferPublic.model_validate(_fields(offer, versions, status))


def _fields(offer, versions: list, status: str) -> dict:
    """An offer (an object, or a row of OFFER_SHOWN) and its versions as OfferPublic's fields."""
    current = versions[-1]
    return {
        "id": offer.id,
        "request_id": offer.request_id,
        "brand_id": offer.brand_id,
        "creator_id": offer.creator_id,
        "price": {"amount": offer.amount, "token": offer.token},
        "deliver_by": offer.deliver_by,
        "milestones": schedules.public(
            amount=offer.amount, deliver_by=offer.deliver_by, milestones=offer.milestones
        ),
        "review_period_seconds": offer.review_period_seconds,
        "platform_fee_bps": offer.platform_fee_bps,
        "deal_id": offer.deal_id,
        "terms_text": offer.terms_text,
        "deliverables": current.deliverables,
        "usage_rights": current.usage_rights,
        "revenue_share": current.revenue_share,
        "status": status,
        "screening": offer.screening,
        "decline_reason": offer.decline_reason,
        "expires_at": offer.expires_at,
        "current_version": offer.current_version,
        "versions": [_version_fields(version) for version in versions],
        "created_at": offer.created_at,
        "updated_at": offer.updated_at,
    }


def _reason(reason: FilterReason) -> dict:
    return {"code": reason.code, "message": reason.message, "detail": dict(reason.detail or {})}


def screen(
    *,
    session: Session,
    index: SharedIndex,
    collab_request: CollabRequest,
    creator: Creator,
    amount: int,
    token: str,
) -> tuple[str, Screening]:
    """Apply the creator's screening policy: dealbreakers always, then the alignment bar."""
    brief = brief_for(session=session, collab_request=collab_request, budget=amount, token=token)
    result = index.screen(brief, creator)
    threshold = float(creator.screening.get("min_alignment", 0.2))
    if isinstance(result, list):
        blocking = [_reason(r) for r in result if r.code in SCREENING_CODES]
        if blocking:
            return "screened_out", Screening(threshold=threshold, reasons=blocking)
        brief.languages, brief.platforms, brief.countries, brief.min_followers = [], [], [], 0
        result = index.screen(brief, creator)
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
    deployment: Deployment,
    brand: Principal,
    collab_request: CollabRequest,
    data: OfferCreate,
) -> OfferPublic:
    if collab_request.status != "open":
        raise Conflict(
            f"request {collab_request.id} is {collab_request.status}; it takes no new offers"
        )
    creator = session.get(Creator, data.creator_id)
    if creator is None:
        raise NotFound(f"creator {data.creator_id} not found")
    require_not_erased(creator)
    token = data.token or collab_request.budget_token
    fees = _min_fees(creator)
    if token not in fees:
        raise InvalidInput(
            f"this creator is not paid in {token}; accepted: {', '.join(sorted(fees))}",
            errors=[{"field": "token", "message": "not accepted by the creator"}],
        )
    deployment.check(tokens=[("token", token)])
    _require_min_fee(creator=creator, amount=data.amount, token=token)
    deliver_by, milestones = schedules.schedule(
        amount=data.amount,
        deliver_by=data.deliver_by,
        milestones=schedules.stored(data.milestones) if data.milestones else None,
    )
    stale = _require_no_open_offer(
        session=session, request_id=collab_request.id, creator_id=creator.id
    )
    status, screening = screen(
        session=session,
        index=index,
        collab_request=collab_request,
        creator=creator,
        amount=data.amount,
        token=token,
    )
    if stale:  # else the pair has nothing to expire: three UPDATEs saved on most offers
        expire_stale_offers(session=session, request_id=collab_request.id, creator_id=creator.id)
    now = utcnow()
    deliverables = collab_request.deliverables
    usage_rights = data.usage_rights.model_dump() if data.usage_rights else None
    revenue_share = (
        revenue_share_terms(session=session, share=data.revenue_share.model_dump(), creator=creator)
        if data.revenue_share
        else None
    )
    offer = new_row(
        Offer,
        id=new_id("off"),
        request_id=collab_request.id,
        brand_id=brand.id,
        creator_id=creator.id,
        amount=str(data.amount),
        token=token,
        deliver_by=deliver_by,
        milestones=milestones,
        review_period_seconds=data.review_period_seconds,
        platform_fee_bps=settings.platform_fee_bps,
        deal_id="0x" + os.urandom(32).hex(),
        brand_terms=data.terms,
        terms_text=build_terms_text(
            session=session,
            settings=settings,
            collab_request=collab_request,
            creator=creator,
            amount=data.amount,
            token=token,
            deliver_by=deliver_by,
            review_period_seconds=data.review_period_seconds,
            platform_fee_bps=settings.platform_fee_bps,
            brand_terms=data.terms,
            deliverables=deliverables,
            usage_rights=usage_rights,
            revenue_share=revenue_share,
            milestones=milestones,
        ),
        status=status,
        screening=screening.model_dump(),
        expires_at=min(
            now + timedelta(seconds=settings.offer_ttl_seconds),
            schedules.first_deadline(deliver_by, milestones),
        ),
    )
    version = new_row(
        OfferVersion,
        **_version_values(
            offer=offer,
            number=1,
            proposed_by="brand",
            deliverables=deliverables,
            usage_rights=usage_rights,
            revenue_share=revenue_share,
            note=None,
            created_at=offer.created_at,
        ),
    )
    # What the answer and the event show is known before anything is written: a new offer has
    # one version and no deal. On SQLite the first write takes the one write lock, held to the
    # commit, so the writes come last.
    public = _public(offer, [version], effective_status(offer, None, now))
    emit_offer_event(session=session, offer=offer, kind=status, public=public)
    # The partial unique index decides between racing offers: the loser's insert fails here,
    # and the whole unit of work rolls back. No savepoint: on SQLite, a SAVEPOINT before the
    # transaction's first write opens a transaction of its own, which its RELEASE commits (the
    # offer was then visible, and kept, without its version and event).
    try:
        insert_row(session, Offer, offer)
    except IntegrityError:
        raise Conflict(
            "another offer to this creator for this request is open (sent at the same time)"
        ) from None
    insert_row(session, OfferVersion, version)
    return public


def _version(**fields) -> OfferVersion:
    """A version row holding the offer's terms as they now stand (the offer row mirrors the
    current version); ``fields`` as :func:`_version_values` takes them."""
    return OfferVersion(**_version_values(**fields))


def _version_values(
    *,
    offer,
    number: int,
    proposed_by: str,
    deliverables: list[dict],
    usage_rights: dict | None,
    note: str | None,
    created_at: datetime,
    revenue_share: dict | None = None,
) -> dict:
    """The columns of a version of ``offer`` (a model or a plain row)."""
    return dict(
        id=new_id("ofv"),
        offer_id=offer.id,
        number=number,
        proposed_by=proposed_by,
        amount=offer.amount,
        token=offer.token,
        deliverables=deliverables,
        deliver_by=offer.deliver_by,
        milestones=offer.milestones,
        review_period_seconds=offer.review_period_seconds,
        platform_fee_bps=offer.platform_fee_bps,
        usage_rights=usage_rights,
        revenue_share=revenue_share,
        brand_terms=offer.brand_terms,
        note=note,
        salt=offer.deal_id,
        terms_text=offer.terms_text,
        terms_hash="0x" + keccak(text=offer.terms_text).hex(),
        expires_at=offer.expires_at,
        created_at=created_at,
    )


def _min_fees(creator: Creator) -> dict[str, int]:
    return {fee["token"]: int(fee["amount"]) for fee in creator.min_fees}


def _require_min_fee(*, creator: Creator, amount: int, token: str) -> None:
    minimum = _min_fees(creator).get(token)
    if minimum is not None and amount < minimum:
        raise InvalidInput(
            f"amount {amount} is below this creator's minimum fee {minimum} in {token}",
            errors=[{"field": "amount", "message": "below the creator's minimum fee"}],
        )


_PAIR = _with_collaboration(select(Offer.id, Offer.status, effective_status_sql(None))).where(
    Offer.request_id == bindparam("request_id"), Offer.creator_id == bindparam("creator_id")
)


def _require_no_open_offer(*, session: Session, request_id: str, creator_id: str) -> bool:
    """The early, friendly answer (it names the open offer); the schema has the last word.
    True when a stale offer (open as stored, expired in effect) still holds the pair's slot
    in the unique index: it must be written down as expired before a new offer goes in."""
    values = {"request_id": request_id, "creator_id": creator_id, **now_params()}
    pair = session.exec(_PAIR, params=values).all()
    pending = [offer_id for offer_id, _, status in pair if status in OPEN_OFFER_STATUSES]
    if pending:
        raise Conflict(f"offer {pending[0]} to this creator for this request is still open")
    return any(stored in OPEN_OFFER_STATUSES for _, stored, _ in pair)


def _visible(principal: Principal):
    return _visible_to(principal.role, principal.id)


def _visible_to(role: str, account):
    """The offers an account of this role sees (``account``: its id, or a bind parameter)."""
    if role == "brand":
        return Offer.brand_id == account
    if role == "creator":
        # A screened-out offer never reaches the creator's inbox.
        return and_(Offer.creator_id == account, Offer.status != "screened_out")
    return Offer.id.is_(None)


# The pages every brand and creator reads: their sent offers, their inbox, and what their
# screening declined.
_PAGES = {
    role: PreparedPages(
        select(*OFFER_SHOWN).where(_visible_to(role, bindparam("account"))), Offer.id
    )
    for role in ("brand", "creator")
}
_PAGES["screened_out"] = PreparedPages(
    select(*OFFER_SHOWN).where(
        Offer.creator_id == bindparam("account"), Offer.status == "screened_out"
    ),
    Offer.id,
)


def list_offers(
    *, session: Session, principal: Principal, status: str | None, params: PageParams
) -> Page:
    if principal.role == "creator" and status == "screened_out":
        # Not in the inbox, but a creator may ask what its policy declined, and why (which
        # dealbreaker, which value conflict, what alignment).
        rows = _PAGES["screened_out"].rows(session, params, account=principal.id)
    elif status:
        statement = _with_collaboration(select(*OFFER_SHOWN).where(_visible(principal)))
        statement = statement.where(effective_status_sql(utcnow()) == status)
        rows = list(session.exec(paginate(statement, Offer.id, params)))
    elif principal.role in _PAGES:
        rows = _PAGES[principal.role].rows(session, params, account=principal.id)
    else:
        rows = []
    return page_of_all(rows, params, lambda offers: to_publics(offers, session=session))


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


def get_own_offer(*, session: Session, brand: Principal, offer_id: str) -> Offer:
    """An offer this brand made, or 404."""
    offer = get_visible_offer(session=session, principal=brand, offer_id=offer_id)
    if offer.brand_id != brand.id:
        raise NotFound(f"offer {offer_id} not found")
    return offer


def decline_offer(*, session: Session, offer: Offer, reason: str | None) -> OfferPublic:
    transition(session=session, offer=offer, to="declined", verb="declined", decline_reason=reason)
    emit_offer_event(session=session, offer=offer, kind="declined")
    return to_public(offer, session=session)


# ------------------------------------------------------------------------------ negotiation
#
# A sent offer is the creator's turn: accept, decline or counter. A counter makes the next
# version and the offer `countered`, the brand's turn: accept the counter (once the creator has
# signed it), decline it, or counter again (the offer is `sent` once more). Each move is a
# compare-and-set on the offer's status and current version.

COUNTER_TURN = {"creator": ("sent", "countered"), "brand": ("countered", "sent")}


def counter_offer(
    *, session: Session, settings: Settings, principal: Principal, offer: Offer, data: CounterCreate
) -> OfferPublic:
    """New terms from the party whose turn it is; omitted fields keep the current version's.
    The new version gets a fresh salt and its own expiry, and its terms text is rebuilt."""
    source, to = COUNTER_TURN[principal.role]
    status = current_status(session=session, offer=offer)
    if status != source:
        raise Conflict(
            f"offer {offer.id} is {status}; the {principal.role} can counter a {source} offer only",
            state=status,
        )
    current = current_version(session=session, offer=offer)
    creator = session.get(Creator, offer.creator_id)
    amount = data.amount if data.amount is not None else int(current.amount)
    deliverables = (
        [item.model_dump() for item in data.deliverables]
        if data.deliverables
        else current.deliverables
    )
    usage_rights = (
        (data.usage_rights.model_dump() if data.usage_rights else None)
        if "usage_rights" in data.model_fields_set
        else current.usage_rights
    )
    # New milestones replace the schedule; without, a milestone offer keeps its own, which the
    # new amount or deliver_by must then still fit (the check says so).
    if data.milestones:
        deliver_by, milestones = schedules.schedule(
            amount=amount,
            deliver_by=data.deliver_by,
            milestones=schedules.stored(data.milestones),
        )
    elif current.milestones:
        deliver_by, milestones = schedules.schedule(
            amount=amount, deliver_by=data.deliver_by, milestones=current.milestones
        )
    else:
        deliver_by, milestones = schedules.schedule(
            amount=amount, deliver_by=data.deliver_by or current.deliver_by, milestones=None
        )
    proposed = (str(amount), deliverables, deliver_by, milestones, usage_rights)
    if proposed == (
        current.amount,
        current.deliverables,
        current.deliver_by,
        current.milestones,
        current.usage_rights,
    ):
        raise InvalidInput(
            "a counter-offer must change at least one term "
            "(amount, deliverables, deliver_by, milestones or usage_rights)",
            errors=[{"field": "body", "message": "same terms as the current version"}],
        )
    if principal.role == "brand":
        _require_min_fee(creator=creator, amount=amount, token=offer.token)
    now = utcnow()
    changes = {
        "amount": str(amount),
        "deliver_by": deliver_by,
        "milestones": milestones,
        "deal_id": "0x" + os.urandom(32).hex(),
        "terms_text": build_terms_text(
            session=session,
            settings=settings,
            collab_request=session.get(CollabRequest, offer.request_id),
            creator=creator,
            amount=amount,
            token=offer.token,
            deliver_by=deliver_by,
            review_period_seconds=offer.review_period_seconds,
            platform_fee_bps=offer.platform_fee_bps,
            brand_terms=offer.brand_terms,
            deliverables=deliverables,
            usage_rights=usage_rights,
            revenue_share=current.revenue_share,
            milestones=milestones,
        ),
        "expires_at": min(
            now + timedelta(seconds=settings.offer_ttl_seconds),
            schedules.first_deadline(deliver_by, milestones),
        ),
        "current_version": current.number + 1,
    }
    transition(
        session=session,
        offer=offer,
        to=to,
        verb="countered",
        source=source,
        version=current.number,
        **changes,
    )
    session.add(
        _version(
            offer=offer,
            number=current.number + 1,
            proposed_by=principal.role,
            deliverables=deliverables,
            usage_rights=usage_rights,
            revenue_share=current.revenue_share,
            note=data.note,
            created_at=now,
        )
    )
    session.flush()
    emit_offer_event(session=session, offer=offer, kind="countered")
    return to_public(offer, session=session)


def decline_counter(*, session: Session, offer: Offer, reason: str | None) -> OfferPublic:
    transition(
        session=session,
        offer=offer,
        to="declined",
        verb="declined",
        source="countered",
        decline_reason=reason,
    )
    emit_offer_event(session=session, offer=offer, kind="declined")
    return to_public(offer, session=session)
