"""The charity registry: registration, the operator's verification, picks in splits, and what
each charity received from chain events."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from api.charities.models import (
    Charity,
    CharityCreate,
    CharityDetail,
    CharityPublic,
    CharityTotal,
    CharityVerification,
    CharityWallet,
)
from api.core.auth import Principal
from api.core.deployment import Deployment
from api.core.errors import Conflict, InvalidInput, NotFound
from api.kit.pagination import Page, PageParams, page_of, paginate
from api.kit.time import utcnow
from api.kit.types import new_id
from api.payouts.models import Payout

# What counts as received: pushed, or credited by a contract that holds it for the wallet.
RECEIVED_KINDS = ("paid", "credited")


def _wallets(session: Session, charity_ids: Iterable[str]) -> dict[str, list[str]]:
    ids = list(charity_ids)
    found: dict[str, list[str]] = {charity_id: [] for charity_id in ids}
    rows = session.exec(
        select(CharityWallet)
        .where(CharityWallet.charity_id.in_(ids))
        .order_by(CharityWallet.created_at, CharityWallet.address)
    )
    for row in rows:
        found[row.charity_id].append(row.address)
    return found


def to_public(charity: Charity, wallets: list[str]) -> CharityPublic:
    return CharityPublic(
        **charity.model_dump(exclude={"registered_by"}),
        verified=charity.status == "verified",
        wallets=wallets,
    )


def get_charity(*, session: Session, charity_id: str) -> Charity:
    charity = session.get(Charity, charity_id)
    if charity is None:
        raise NotFound(f"no charity {charity_id!r} in the registry")
    return charity


def register_charity(
    *, session: Session, deployment: Deployment, principal: Principal, data: CharityCreate
) -> CharityPublic:
    """A new registry entry, unverified until the operator checks it. A registration number
    already registered in that country, or a wallet another charity holds, is a 409."""
    deployment.check(payees=[(f"wallets.{i}", w) for i, w in enumerate(data.wallets)])
    taken = session.exec(
        select(Charity.id).where(
            Charity.country == data.country,
            Charity.registration_number == data.registration_number,
        )
    ).first()
    if taken:
        raise Conflict(
            f"charity {taken} already has registration number {data.registration_number} "
            f"in {data.country}"
        )
    held = session.exec(
        select(CharityWallet).where(CharityWallet.address.in_(data.wallets))
    ).first()
    if held:
        raise Conflict(f"wallet {held.address} belongs to charity {held.charity_id}")
    charity = Charity(
        id=new_id("cha"),
        name=data.name,
        country=data.country,
        registration_number=data.registration_number,
        website=data.website,
        registered_by=principal.ref,
    )
    session.add(charity)
    session.flush()  # the wallets refer to it
    for wallet in data.wallets:
        session.add(CharityWallet(address=wallet, charity_id=charity.id))
    session.flush()
    return to_public(charity, list(data.wallets))


def set_verification(
    *, session: Session, charity_id: str, data: CharityVerification
) -> CharityPublic:
    charity = get_charity(session=session, charity_id=charity_id)
    charity.status = data.status
    charity.status_note = data.note
    charity.verified_at = utcnow() if data.status == "verified" else None
    charity.updated_at = utcnow()
    session.add(charity)
    session.flush()
    return to_public(charity, _wallets(session, [charity.id])[charity.id])


def list_charities(
    *, session: Session, params: PageParams, status: str | None, country: str | None
) -> Page[CharityPublic]:
    statement = select(Charity)
    if status:
        statement = statement.where(Charity.status == status)
    if country:
        statement = statement.where(Charity.country == country)
    rows = list(session.exec(paginate(statement, Charity.id, params)))
    wallets = _wallets(session, [row.id for row in rows])
    return page_of(rows, params, lambda row: to_public(row, wallets[row.id]))


def charity_detail(*, session: Session, deployment: Deployment, charity_id: str) -> CharityDetail:
    """The charity, and everything its wallets received (paid or credited) from the escrow and
    from revenue splitters, summed exactly from the payouts the indexer read off the chain."""
    charity = get_charity(session=session, charity_id=charity_id)
    wallets = _wallets(session, [charity.id])[charity.id]
    sums: dict[str, dict[str, int]] = {}
    count = 0
    rows = session.exec(
        select(Payout.token, Payout.amount, Payout.source).where(
            Payout.wallet.in_(wallets), Payout.kind.in_(RECEIVED_KINDS)
        )
    )
    for token, amount, source in rows:
        if not deployment.known(token):  # a token of anyone's making is worth nothing here
            continue
        count += 1
        per_source = sums.setdefault(token, {"escrow": 0, "splitter": 0})
        per_source[source] += int(amount)
    totals = []
    for token, known in deployment.tokens.items():
        if token not in sums:
            continue
        amount = sums[token]["escrow"] + sums[token]["splitter"]
        totals.append(
            CharityTotal(
                token=token,
                symbol=known.symbol,
                decimals=known.decimals,
                from_deals=str(sums[token]["escrow"]),
                from_splits=str(sums[token]["splitter"]),
                amount=str(amount),
                amount_human=known.human(amount),
            )
        )
    return CharityDetail(**to_public(charity, wallets).model_dump(), totals=totals, payouts=count)


def verified_wallets(*, session: Session, wallets: Iterable[str]) -> dict[str, str]:
    """Of these addresses, those of a charity in the registry: address -> its status."""
    wallets = list(wallets)
    if not wallets:
        return {}
    rows = session.exec(
        select(CharityWallet.address, Charity.status)
        .join(Charity, Charity.id == CharityWallet.charity_id)
        .where(CharityWallet.address.in_(wallets))
    )
    return {address: status for address, status in rows}


def resolve_pick(
    *, session: Session, pick: dict, field: str, accepter: str = "the creator"
) -> dict:
    """A charity chosen for a split, as stored: {charity_id, name, wallet, share_bps,
    accept_unverified}. A registry charity names one of its wallets; a plain wallet that is a
    registry wallet becomes that charity. Anything the operator has not verified needs
    `accept_unverified`; a charity the operator rejected cannot be paid at all."""
    charity: Charity | None = None
    if pick.get("charity_id"):
        charity = session.get(Charity, pick["charity_id"])
        if charity is None:
            raise InvalidInput(
                f"{field}.charity_id: no charity {pick['charity_id']!r} in the registry",
                errors=[{"field": f"{field}.charity_id", "message": "not in the registry"}],
            )
        wallets = _wallets(session, [charity.id])[charity.id]
        wallet = pick.get("wallet") or wallets[0]
        if wallet not in wallets:
            raise InvalidInput(
                f"{field}.wallet: {wallet} is not a wallet of charity {charity.id}",
                errors=[{"field": f"{field}.wallet", "message": "not one of the charity's"}],
            )
    else:
        wallet = pick["wallet"]
        row = session.get(CharityWallet, wallet)
        if row is not None:
            charity = session.get(Charity, row.charity_id)
    if charity is not None and charity.status == "rejected":
        raise InvalidInput(
            f"{field}: the operator rejected charity {charity.id} "
            f"({charity.status_note or 'no note'})",
            errors=[{"field": field, "message": "a rejected charity cannot be paid"}],
        )
    verified = charity is not None and charity.status == "verified"
    if not verified and not pick.get("accept_unverified"):
        what = f"charity {charity.id}" if charity else f"{wallet} (not in the registry)"
        raise InvalidInput(
            f"{field}: {what} is not verified by the operator; pick a verified charity from "
            f"/v1/charities, or set accept_unverified: true if {accepter} accepts it as it is",
            errors=[{"field": f"{field}.accept_unverified", "message": "required: unverified"}],
        )
    return {
        "charity_id": charity.id if charity else None,
        "name": pick.get("name") or charity.name,
        "wallet": wallet,
        "share_bps": pick["share_bps"],
        "accept_unverified": bool(pick.get("accept_unverified")),
    }
