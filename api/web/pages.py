"""What every page of the web app shares: the visitor (its session and account), rendering with
the helpers templates use (amounts, addresses, translations), problems shown as pages, and the
CSRF check of the forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import ValidationError

from api.chain.client import ChainError
from api.core.auth import Principal
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.deployment import ETHER, Deployment
from api.core.errors import InvalidInput, ProblemError
from api.kit.pagination import PageParams
from api.web import service as web
from api.web.i18n import LANGS, language, translator, word_translator
from api.web.models import AccountChoice, WebSession

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
# The wallet module's endpoints answer problems as JSON, like the API.
JSON_PATHS = frozenset({"/web/nonce", "/web/sign-in"})


class PageRoute(UnitOfWorkRoute):
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


# Pages load only their own script and stylesheet; the wallet talks to the page, not the network.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'"
)
FIRST_PAGE = PageParams(limit=50, cursor=None)


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


def page_chain_id(request: Request) -> int | str:
    """The chain the wallet must be on, asked of the node once (a page still renders while the
    node is away; the wallet check then waits for the next page)."""
    state = request.app.state
    if getattr(state, "web_chain_id", None) is None:
        chain = state.chain
        try:
            state.web_chain_id = state.settings.chain_id or (chain.chain_id if chain else None)
        except ChainError:
            return ""
    return state.web_chain_id or ""


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
            "chain_id": page_chain_id(request),
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


def require_csrf(who: Visitor, token: str) -> WebSession:
    if who.web_session is None:
        raise SignInNeeded
    web.check_csrf(who.web_session, "POST", token)
    return who.web_session


CsrfField = Annotated[str, Form()]
