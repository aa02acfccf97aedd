"""The web app's account pages: home, Sign-In with Ethereum, the account to act as, language,
registration. Each route calls the same service as the API route that does the same; the
wallet's part (signatures, transactions) runs in the browser (static/app.js) against the API
itself, with the session cookie and its CSRF token instead of an API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from api.brands import service as brands
from api.brands.models import BrandCreate
from api.chain.client import ChainDep
from api.core.db import SessionDep
from api.core.deployment import DeploymentDep
from api.core.errors import ProblemError
from api.core.settings import SettingsDep
from api.creators import service as creators
from api.creators.models import CreatorCreate
from api.keys.router import chain_id, public_url
from api.match_index import IndexDep
from api.web import service as web
from api.web.deals import router as deals_router
from api.web.forms import legal_identity, lines, to_units
from api.web.i18n import LANG_COOKIE, LANGS
from api.web.models import SignInBody, WebNonceRequest
from api.web.pages import (
    HERE,
    CsrfField,
    PageRoute,
    SignInNeeded,
    VisitorDep,
    problem_of,
    redirect,
    render,
    require_csrf,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)


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
            **legal_identity(legal_name, postal_address, email, tax_country),
        )
        brand = brands.register_brand(session=session, deployment=deployment, data=data)
    except (ProblemError, ValidationError) as exc:
        return render(
            request, who, "register.html", status_code=422, problem=problem_of(exc), form={}
        )
    web.choose_account(session=session, web_session=row, account_id=brand.id)
    return redirect("/")


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
            **legal_identity(legal_name, postal_address, email, tax_country),
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


def install(app) -> None:
    """The pages, their static files, and the way back home for a visitor not signed in."""
    from fastapi.staticfiles import StaticFiles

    app.include_router(router)
    app.include_router(deals_router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(SignInNeeded)
    async def _sign_in_needed(_request: Request, _exc: SignInNeeded) -> Response:
        return redirect("/")
