"""The web app's pages and forms. Each route reads the session, calls the same service function
as the matching API route, and renders a template; the wallet's part (signatures, transactions)
runs in the browser (static/app.js) against the API itself, with the session cookie and its CSRF
token instead of an API key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import ValidationError

from api.brands import service as brands
from api.brands.models import BrandCreate
from api.chain.client import ChainDep
from api.collaborations import service as collaborations
from api.core.auth import Principal
from api.core.db import SessionDep
from api.core.deployment import ETHER, Deployment, DeploymentDep
from api.core.errors import InvalidInput, NotFound, ProblemError
from api.core.settings import SettingsDep
from api.creators import service as creators
from api.creators.models import CreatorCreate
from api.keys.router import chain_id, public_url
from api.kit.pagination import PageParams
from api.legal.labels import content_labels, jurisdiction_labels
from api.legal.service import target_countries
from api.match_index import IndexDep
from api.offers import service as offers
from api.offers.models import CounterCreate, OfferCreate
from api.payouts import service as payouts
from api.requests import service as requests
from api.requests.models import CollabRequest, RequestCreate
from api.web import service as web
from api.web.i18n import LANG_COOKIE, LANGS, language, translator, word_translator
from api.web.models import AccountChoice, SignInBody, WebNonceRequest, WebSession

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
# The wallet module's endpoints answer problems as JSON, like the API.
JSON_PATHS = frozenset({"/web/nonce", "/web/sign-in"})


class PageRoute(APIRoute):
    """A page that meets a problem (an offer that is not yours, a chain that is down) shows the
    problem's title and detail as a page, with its status; JSON endpoints answer JSON."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def page_or_problem(request: Request) -> Response:
            try:
                return await handler(request)
            except ProblemError as exc:
                if request.url.path in JSON_PATHS:
                    raise
                who = Visitor(lang=language(request))
                problem = problem_of(exc)
                return render(request, who, "problem.html", status_code=exc.status, problem=problem)

        return page_or_problem


router = APIRouter(include_in_schema=False, route_class=PageRoute)
# Pages load only their own script and stylesheet; the wallet talks to the page, not the network.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'"
)
FIRST_PAGE = PageParams(limit=50, cursor=None)
ETH_DECIMALS = 18


@dataclass
class Visitor:
    lang: str
    web_session: WebSession | None = None
    principal: Principal | None = None
    accounts: list[AccountChoice] = field(default_factory=list)

    @property
    def account(self) -> AccountChoice | None:
        if self.principal is None:
            return None
        return next((a for a in self.accounts if a.id == self.principal.id), None)


def visitor(request: Request, session: SessionDep) -> Visitor:
    found = Visitor(lang=language(request))
    row = web.find_session(session=session, token=request.cookies.get(web.COOKIE))
    if row is not None:
        found.web_session = row
        found.principal = web.principal_of(session=session, web_session=row)
        found.accounts = web.accounts_of(session=session, wallet=row.wallet)
    return found


VisitorDep = Annotated[Visitor, Depends(visitor)]


class SignInNeeded(Exception):
    """A page for a signed-in account, asked by someone who is not: back to the home page."""


def signed_in(who: Visitor, role: str | None = None) -> Principal:
    if who.principal is None or (role is not None and who.principal.role != role):
        raise SignInNeeded
    return who.principal


# ---- rendering helpers, given to every template ---------------------------------------------


def money_markup(deployment: Deployment, amount: str | int, token: str) -> Markup:
    """The amount in the token's units, the exact smallest-unit value on hover."""
    known = deployment.known(token)
    exact = str(amount)
    if known is None or known.human(int(exact)) is None:
        return Markup('<span class="money">{} <code>{}</code></span>').format(exact, token)
    return Markup('<span class="money" title="{} ({} decimals)">{} {}</span>').format(
        exact, known.decimals, known.human(int(exact)), known.symbol
    )


def address_markup(address: str | None, copy_label: str) -> Markup:
    if not address:
        return Markup("")
    short = f"{address[:6]}…{address[-4:]}" if len(address) > 12 else address
    return Markup(
        '<span class="address"><code title="{0}">{1}</code>'
        '<button type="button" class="copy" data-copy="{0}" aria-label="{2} {0}">{2}</button>'
        "</span>"
    ).format(address, short, copy_label)


def render(
    request: Request,
    who: Visitor,
    name: str,
    *,
    deployment: Deployment | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    t = translator(who.lang)
    deployment = deployment or request.app.state.deployment
    settings = request.app.state.settings
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": t,
            "w": word_translator(who.lang),
            "lang": who.lang,
            "langs": LANGS,
            "who": who,
            "csrf": who.web_session.csrf_token if who.web_session else "",
            "chain_id": settings.chain_id or getattr(request.app.state.chain, "chain_id", ""),
            "money": lambda amount, token: money_markup(deployment, amount, token),
            "price": lambda p: money_markup(deployment, p.amount, p.token),
            "addr": lambda address: address_markup(address, t("copy")),
            "explorer": (settings.explorer_url or "").rstrip("/"),
            "tokens": [
                (token, known.symbol or token) for token, known in deployment.tokens.items()
            ],
            "symbol": lambda token: (deployment.known(token) or ETHER).symbol or token,
            "day": lambda moment: moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "",
            **context,
        },
        status_code=status_code,
    )
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def problem_of(exc: Exception) -> dict:
    """What to show for a refused form: the problem's title and detail, as the API says it."""
    if isinstance(exc, ProblemError):
        return {"title": exc.title, "detail": exc.detail, "status": exc.status}
    assert isinstance(exc, ValidationError)
    detail = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()[:5]
    )
    return {"title": InvalidInput.title, "detail": detail, "status": 422}


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def token_units(deployment: Deployment, token: str, text: str, field_name: str) -> str:
    """An amount typed in whole tokens, in the token's smallest unit (its own decimals)."""
    known = deployment.known(token)
    if known is None or known.decimals is None:
        problem = deployment.token_error(token) or f"{token}: its decimals are unknown"
        raise InvalidInput(f"token: {problem}", errors=[{"field": "token", "message": problem}])
    return to_units(text, field_name, known.decimals)


def to_units(text: str, field_name: str, decimals: int = ETH_DECIMALS) -> str:
    """A decimal amount typed by a person ("1.5") as the exact integer of the smallest unit."""
    try:
        value = Decimal(text.strip()).scaleb(decimals)
    except InvalidOperation:
        value = None
    if value is None or value != value.to_integral_value() or value <= 0:
        raise InvalidInput(
            f"{field_name}: {text!r} is not a positive amount with at most {decimals} decimals",
            errors=[{"field": field_name, "message": "not a positive amount"}],
        )
    return str(int(value))


def date_at_midnight(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)") from None


def require_csrf(who: Visitor, token: str) -> WebSession:
    if who.web_session is None:
        raise SignInNeeded
    web.check_csrf(who.web_session, "POST", token)
    return who.web_session


CsrfField = Annotated[str, Form()]


# ---- home, sign-in, account, language -------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: VisitorDep):
    if who.principal is not None:
        return redirect("/offers" if who.principal.role == "creator" else "/requests")
    return render(request, who, "home.html")


@router.post("/web/nonce")
def sign_in_nonce(
    body: WebNonceRequest, settings: SettingsDep, chain: ChainDep, session: SessionDep
) -> JSONResponse:
    issued = web.issue_nonce(
        session=session,
        public_url=public_url(settings),
        chain_id=chain_id(settings, chain),
        ttl_seconds=settings.siwe_nonce_ttl_seconds,
        wallet=body.wallet,
    )
    return JSONResponse(issued.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


@router.post("/web/sign-in")
def sign_in(
    body: SignInBody, settings: SettingsDep, chain: ChainDep, session: SessionDep
) -> JSONResponse:
    token, row = web.sign_in(
        session=session,
        message=body.message,
        signature=body.signature,
        public_url=public_url(settings),
        chain_id=chain_id(settings, chain),
        ttl_seconds=settings.web_session_ttl_seconds,
    )
    response = JSONResponse(
        {"wallet": row.wallet, "role": row.role, "account_id": row.account_id, "next": "/"},
        headers={"Cache-Control": "no-store"},
    )
    response.set_cookie(
        web.COOKIE,
        token,
        max_age=settings.web_session_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=web.secure_cookie(public_url(settings)),
        path="/",
    )
    return response


@router.post("/web/sign-out")
def sign_out(who: VisitorDep, session: SessionDep, csrf_token: CsrfField):
    row = require_csrf(who, csrf_token)
    web.sign_out(session=session, web_session=row)
    response = redirect("/")
    response.delete_cookie(web.COOKIE, path="/")
    return response


@router.post("/web/account")
def choose_account(
    who: VisitorDep, session: SessionDep, csrf_token: CsrfField, account_id: Annotated[str, Form()]
):
    row = require_csrf(who, csrf_token)
    web.choose_account(session=session, web_session=row, account_id=account_id)
    return redirect("/")


@router.get("/web/lang/{lang}")
def choose_language(lang: str, next: str = "/"):  # noqa: A002 - the usual name of the target
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = redirect(target)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


# ---- registration ---------------------------------------------------------------------------


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request, who: VisitorDep):
    if who.web_session is None:
        raise SignInNeeded
    return render(request, who, "register.html", form={})


@router.post("/register/brand")
def register_brand(
    request: Request,
    who: VisitorDep,
    session: SessionDep,
    deployment: DeploymentDep,
    csrf_token: CsrfField,
    name: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    values: Annotated[str, Form()] = "",
    practices: Annotated[str, Form()] = "",
    legal_name: Annotated[str, Form()] = "",
    postal_address: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    tax_country: Annotated[str, Form()] = "",
):
    row = require_csrf(who, csrf_token)
    try:
        data = BrandCreate(
            name=name,
            wallet=row.wallet,
            description=description,
            values=lines(values),
            practices=lines(practices),
            **_legal(legal_name, postal_address, email, tax_country),
        )
        brand = brands.register_brand(session=session, deployment=deployment, data=data)
    except (ProblemError, ValidationError) as exc:
        return render(
            request, who, "register.html", status_code=422, problem=problem_of(exc), form={}
        )
    web.choose_account(session=session, web_session=row, account_id=brand.id)
    return redirect("/")


def _legal(legal_name: str, postal_address: str, email: str, tax_country: str) -> dict:
    given = {
        "legal_name": legal_name,
        "postal_address": postal_address,
        "email": email,
        "tax_country": tax_country,
    }
    return {name: value.strip() for name, value in given.items() if value.strip()}


@router.post("/register/creator")
def register_creator(
    request: Request,
    who: VisitorDep,
    session: SessionDep,
    index: IndexDep,
    deployment: DeploymentDep,
    csrf_token: CsrfField,
    handle: Annotated[str, Form()],
    display_name: Annotated[str, Form()],
    languages: Annotated[str, Form()],
    platform: Annotated[str, Form()],
    followers: Annotated[int, Form()],
    values: Annotated[str, Form()],
    min_fee_eth: Annotated[str, Form()],
    bio: Annotated[str, Form()] = "",
    countries: Annotated[str, Form()] = "",
    dealbreakers: Annotated[str, Form()] = "",
    is_virtual: Annotated[bool, Form()] = False,
    operator: Annotated[str, Form()] = "",
    legal_name: Annotated[str, Form()] = "",
    postal_address: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    tax_country: Annotated[str, Form()] = "",
):
    row = require_csrf(who, csrf_token)
    try:
        data = CreatorCreate(
            handle=handle.strip(),
            display_name=display_name,
            bio=bio,
            is_virtual=is_virtual,
            operator=operator.strip() or None,
            languages=lines(languages),
            audience={platform: {"followers": followers, "countries": lines(countries)}},
            values=lines(values),
            dealbreakers=lines(dealbreakers),
            min_fees=[{"amount": to_units(min_fee_eth, "min_fee_eth"), "token": "ETH"}],
            wallet=row.wallet,
            split={"creator_share_bps": 10_000},
            **_legal(legal_name, postal_address, email, tax_country),
        )
        creator = creators.register_creator(
            session=session, index=index, deployment=deployment, data=data
        )
    except (ProblemError, ValidationError) as exc:
        return render(
            request, who, "register.html", status_code=422, problem=problem_of(exc), form={}
        )
    web.choose_account(session=session, web_session=row, account_id=creator.id)
    return redirect("/")


# ---- offers (a creator's inbox, a brand's sent offers) ---------------------------------------


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


# ---- collaborations and payouts -------------------------------------------------------------


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


# ---- a brand's requests, matches and offers -------------------------------------------------


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
    problem: dict | None = None,
):
    principal = signed_in(who, "brand")
    row = requests.get_own_request(session=session, brand=principal, request_id=request_id)
    matches = requests.find_matches(
        session=session, index=index, collab_request=row, limit=10, diversify=False
    )
    checked = None
    if why:
        try:
            wanted = why.strip()
            creator_id = creators.creator_id_of_handle(session=session, handle=wanted) or wanted
            checked = requests.check_match(
                session=session, index=index, collab_request=row, creator_id=creator_id
            )
        except NotFound as exc:
            problem = problem_of(exc)
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
        return request_page(
            request, request_id, who, session, index, why=None, problem=problem_of(exc)
        )
    return redirect(f"/offers/{offer.id}")


def install(app) -> None:
    """The pages, their static files, and the way back home for a visitor not signed in."""
    from fastapi.staticfiles import StaticFiles

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(SignInNeeded)
    async def _sign_in_needed(_request: Request, _exc: SignInNeeded) -> Response:
        return redirect("/")
