"""`GET /v1/me/export` and `DELETE /v1/me`: the caller's personal data, out or gone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials

from api.core.auth import CurrentPrincipal, OptionalPrincipal, Principal, bearer
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.errors import Forbidden, NotFound, Unauthorized
from api.core.openapi import errors
from api.match_index import IndexDep
from api.me import service
from api.me.models import AccountExport, ErasureReport

router = APIRouter(prefix="/v1", tags=["accounts"], route_class=UnitOfWorkRoute)
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/me/export", responses=errors(404), response_model=AccountExport)
def export_me(principal: CurrentPrincipal, session: SessionDep) -> AccountExport:
    """Everything Collab holds about the caller, as JSON: the profile (phrases with their
    interpretations), the API key's metadata (never the key or its digest), and every stored
    row that refers to the account, table by table: requests, offers and their versions,
    collaborations, payouts and chain events of its deals or wallet, idempotency records."""
    if principal.role == "operator":
        raise NotFound("the operator key has no account")
    return service.export_account(session=session, principal=principal)


def _erasable(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    principal: OptionalPrincipal,
) -> tuple[Principal, bool]:
    """The caller, and whether an earlier DELETE already erased it (its key then still names
    it for this route only, so that a repeated DELETE answers the same)."""
    if credentials is None:
        raise Unauthorized("send `Authorization: Bearer <api_key>`")
    if principal is not None:
        if principal.role == "operator":
            raise Forbidden("the operator key has no account to erase")
        return principal, False
    erased = service.find_erased(session=session, api_key=credentials.credentials)
    if erased is None:
        raise Unauthorized("the API key is not valid")
    return erased, True


@router.delete("/me", responses=errors(401, 403, 409), response_model=ErasureReport)
def erase_me(
    caller: Annotated[tuple[Principal, bool], Depends(_erasable)],
    session: SessionDep,
    index: IndexDep,
) -> ErasureReport:
    """Erase the caller's personal data and revoke its API key; idempotent (a repeat with the
    same key answers `already_erased: true`).

    Names, handle, bio, description, e-mail and postal addresses, tax country, value, practice
    and dealbreaker phrases, the operator, the wallet on the profile and payee names go; what
    accounting and the chain require stays (see `kept`): the other party still reads its
    collaborations. Other accounts then get 404 `account-erased` for this one. 409 while a deal
    of the account can still move money (funded, delivered, disputed, or signed and still
    fundable): settle it first."""
    principal, already = caller
    if already:
        return service.erased_report(session=session, principal=principal)
    return service.erase_account(session=session, index=index, principal=principal)
