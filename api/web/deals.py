"""The web app's marketplace pages: a brand's requests, matches and offers; a creator's inbox;
offers, collaborations, payouts and profiles. Each calls the service the API route calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.brands import service as brands
from api.chain.client import ChainDep
from api.collaborations import service as collaborations
from api.core.db import SessionDep
from api.core.deployment import DeploymentDep
from api.core.errors import NotFound, ProblemError
from api.core.settings import SettingsDep
from api.creators import service as creators
from api.legal.labels import content_labels, jurisdiction_labels
from api.legal.service import target_countries
from api.match_index import IndexDep
from api.offers import service as offers
from api.offers.models import CounterCreate, OfferCreate
from api.payouts import service as payouts
from api.requests import service as requests
from api.requests.models import CollabRequest, RequestCreate
from api.web.forms import date_at_midnight, lines, token_units
from api.web.pages import (
    FIRST_PAGE,
    CsrfField,
    PageRoute,
    VisitorDep,
    problem_of,
    redirect,
    render,
    require_csrf,
    signed_in,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/offers", response_class=HTMLResponse)
def offers_page(request: Request, who: VisitorDep, session: SessionDep):
    principal = signed_in(who)
    listed = offers.list_offers(
        session=session, principal=principal, status=None, params=FIRST_PAGE
    )
    screened = []
    if principal.role == "creator":
        screened = offers.list_offers(
            session=session, principal=principal, status="screened_out", params=FIRST_PAGE
        ).items
    return render(request, who, "offers.html", offers=listed.items, screened=screened)


def _offer_context(session, index, offer_row) -> dict:
    collab_request = session.get(CollabRequest, offer_row.request_id)
    creator = creators.get_creator(session=session, creator_id=offer_row.creator_id)
    brand = brands.get_brand(session=session, brand_id=offer_row.brand_id)
    countries = target_countries(collab_request=collab_request, creator=creator)
    collaboration = offers.collaboration_of(session=session, offer=offer_row)
    return {
        "brief": collab_request,
        "brand": brand,
        "creator": creator,
        "payees": collaborations.payee_snapshot(creator),
        "labels": content_labels(
            french="FR" in countries,
            retouched=creator.retouched_images,
            virtual=creator.is_virtual,
        ),
        "jurisdictions": jurisdiction_labels(countries),
        "collaboration": collaboration,
        # The engine's reading of this pair now, in the brief's language: why it matches, or
        # what keeps them apart (the same check as the brand's "why not this creator").
        "fit": requests.check_match(
            session=session, index=index, collab_request=collab_request, creator_id=creator.id
        ),
    }


@router.get("/offers/{offer_id}", response_class=HTMLResponse)
def offer_page(
    request: Request, offer_id: str, who: VisitorDep, session: SessionDep, index: IndexDep
):
    principal = signed_in(who)
    row = offers.get_visible_offer(session=session, principal=principal, offer_id=offer_id)
    public = offers.to_public(row, session=session)
    return render(request, who, "offer.html", offer=public, **_offer_context(session, index, row))


@router.post("/offers/{offer_id}/decline")
def decline_offer(
    request: Request,
    offer_id: str,
    who: VisitorDep,
    session: SessionDep,
    index: IndexDep,
    csrf_token: CsrfField,
    reason: Annotated[str, Form()] = "",
):
    require_csrf(who, csrf_token)
    principal = signed_in(who)
    try:
        if principal.role == "creator":
            row = offers.get_inbox_offer(session=session, creator=principal, offer_id=offer_id)
            offers.decline_offer(session=session, offer=row, reason=reason.strip() or None)
        else:
            row = offers.get_own_offer(session=session, brand=principal, offer_id=offer_id)
            offers.decline_counter(session=session, offer=row, reason=reason.strip() or None)
    except ProblemError as exc:
        return _offer_refused(request, who, session, index, offer_id, exc)
    return redirect(f"/offers/{offer_id}")


@router.post("/offers/{offer_id}/counter")
def counter_offer(
    request: Request,
    offer_id: str,
    who: VisitorDep,
    session: SessionDep,
    index: IndexDep,
    settings: SettingsDep,
    csrf_token: CsrfField,
    deployment: DeploymentDep,
    amount: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
):
    require_csrf(who, csrf_token)
    principal = signed_in(who)
    try:
        row = offers.get_visible_offer(session=session, principal=principal, offer_id=offer_id)
        units = token_units(deployment, row.token, amount, "amount")
        data = CounterCreate(amount=units, note=note.strip() or None)
        offers.counter_offer(
            session=session, settings=settings, principal=principal, offer=row, data=data
        )
    except (ProblemError, ValidationError) as exc:
        return _offer_refused(request, who, session, index, offer_id, exc)
    return redirect(f"/offers/{offer_id}")


def _offer_refused(request, who, session, index, offer_id, exc) -> HTMLResponse:
    principal = signed_in(who)
    session.rollback()
    row = offers.get_visible_offer(session=session, principal=principal, offer_id=offer_id)
    public = offers.to_public(row, session=session)
    problem = problem_of(exc)
    return render(
        request,
        who,
        "offer.html",
        status_code=problem["status"],
        problem=problem,
        offer=public,
        **_offer_context(session, index, row),
    )


@router.get("/collaborations", response_class=HTMLResponse)
def collaborations_page(request: Request, who: VisitorDep, session: SessionDep):
    principal = signed_in(who)
    listed = collaborations.list_collaborations(
        session=session, principal=principal, status=None, params=FIRST_PAGE
    )
    return render(request, who, "collaborations.html", collaborations=listed.items)


@router.get("/collaborations/{collaboration_id}", response_class=HTMLResponse)
def collaboration_page(
    request: Request, collaboration_id: str, who: VisitorDep, session: SessionDep
):
    principal = signed_in(who)
    row = collaborations.get_collaboration(
        session=session, principal=principal, collaboration_id=collaboration_id
    )
    public = collaborations.to_public(session=session, collaboration=row)
    now = datetime.now(UTC)
    review_over = bool(
        public.delivered_at
        and now > public.delivered_at + timedelta(seconds=public.review_period_seconds)
    )
    return render(
        request,
        who,
        "collaboration.html",
        c=public,
        is_brand=principal.role == "brand",
        deadline_passed=now > public.deliver_by,
        review_over=review_over,
    )


@router.get("/payouts", response_class=HTMLResponse)
def payouts_page(
    request: Request,
    who: VisitorDep,
    session: SessionDep,
    deployment: DeploymentDep,
    chain: ChainDep,
):
    principal = signed_in(who)
    received = payouts.wallet_payouts(
        session=session, deployment=deployment, wallet=principal.wallet, limit=50, cursor=None
    )
    credits = payouts.wallet_credits(session=session, chain=chain, wallet=principal.wallet)
    return render(request, who, "payouts.html", received=received, credits=credits)


@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, who: VisitorDep, session: SessionDep):
    principal = signed_in(who)
    if principal.role == "creator":
        profile = creators.to_public(creators.get_creator(session=session, creator_id=principal.id))
    else:
        profile = brands.to_public(brands.get_brand(session=session, brand_id=principal.id))
    return render(request, who, "profile.html", profile=profile)


@router.get("/requests", response_class=HTMLResponse)
def requests_page(request: Request, who: VisitorDep, session: SessionDep):
    principal = signed_in(who, "brand")
    listed = requests.list_requests(session=session, brand=principal, params=FIRST_PAGE)
    return render(request, who, "requests.html", requests=listed.items)


@router.post("/requests")
def create_request(
    request: Request,
    who: VisitorDep,
    session: SessionDep,
    deployment: DeploymentDep,
    csrf_token: CsrfField,
    title: Annotated[str, Form()],
    description: Annotated[str, Form()],
    budget: Annotated[str, Form()],
    deadline: Annotated[str, Form()],
    platform: Annotated[str, Form()],
    format: Annotated[str, Form()],  # noqa: A002 - the field's name in the API
    count: Annotated[int, Form()] = 1,
    token: Annotated[str, Form()] = "ETH",
    languages: Annotated[str, Form()] = "",
    countries: Annotated[str, Form()] = "",
):
    require_csrf(who, csrf_token)
    principal = signed_in(who, "brand")
    try:
        data = RequestCreate(
            title=title,
            description=description,
            budget={"amount": token_units(deployment, token, budget, "budget"), "token": token},
            deliverables=[{"platform": platform, "format": format, "count": count}],
            deadline=date_at_midnight(deadline),
            audience={
                "languages": lines(languages),
                "countries": lines(countries),
                "platforms": [platform],
            },
        )
        created = requests.create_request(
            session=session, deployment=deployment, brand=principal, data=data
        )
    except (ProblemError, ValidationError) as exc:
        listed = requests.list_requests(session=session, brand=principal, params=FIRST_PAGE)
        problem = problem_of(exc)
        return render(
            request,
            who,
            "requests.html",
            status_code=problem["status"],
            problem=problem,
            requests=listed.items,
        )
    return redirect(f"/requests/{created.id}")


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(
    request: Request,
    request_id: str,
    who: VisitorDep,
    session: SessionDep,
    index: IndexDep,
    why: str | None = None,
):
    principal = signed_in(who, "brand")
    row = requests.get_own_request(session=session, brand=principal, request_id=request_id)
    checked, problem = None, None
    if why:
        try:
            wanted = why.strip()
            creator_id = creators.creator_id_of_handle(session=session, handle=wanted) or wanted
            checked = requests.check_match(
                session=session, index=index, collab_request=row, creator_id=creator_id
            )
        except NotFound as exc:
            problem = problem_of(exc)
    return _request_view(request, who, session, index, row, checked=checked, problem=problem)


def _request_view(request, who, session, index, row, *, checked=None, problem=None):
    matches = requests.find_matches(
        session=session,
        index=index,
        brand=who.principal,
        request_id=row.id,
        limit=10,
        diversify=False,
    )
    return render(
        request,
        who,
        "request.html",
        status_code=problem["status"] if problem else 200,
        req=requests.to_public(row),
        matches=matches.items,
        checked=checked,
        problem=problem,
        default_deliver_by=(datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
    )


@router.post("/requests/{request_id}/offers")
def send_offer(
    request: Request,
    request_id: str,
    who: VisitorDep,
    session: SessionDep,
    settings: SettingsDep,
    deployment: DeploymentDep,
    index: IndexDep,
    csrf_token: CsrfField,
    creator_id: Annotated[str, Form()],
    amount: Annotated[str, Form()],
    deliver_by: Annotated[str, Form()],
    terms: Annotated[str, Form()] = "",
):
    require_csrf(who, csrf_token)
    principal = signed_in(who, "brand")
    row = requests.get_own_request(session=session, brand=principal, request_id=request_id)
    try:
        data = OfferCreate(
            creator_id=creator_id,
            amount=token_units(deployment, row.budget_token, amount, "amount"),
            deliver_by=date_at_midnight(deliver_by),
            terms=terms,
        )
        offer = offers.create_offer(
            session=session,
            index=index,
            settings=settings,
            deployment=deployment,
            brand=principal,
            collab_request=row,
            data=data,
        )
    except (ProblemError, ValidationError) as exc:
        session.rollback()
        return _request_view(request, who, session, index, row, problem=problem_of(exc))
    return redirect(f"/offers/{offer.id}")
