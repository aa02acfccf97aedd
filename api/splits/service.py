"""Revenue splits: declare a payee set, predict its splitter, show what it holds and paid.

The server never sends a transaction: it returns the unsigned `createSplitter` (anyone may send
it, the factory makes the same clone for the same set) and `distribute` (anyone may send it).
What the splitter paid comes from its events, read by the indexer.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from api.brands.models import Brand
from api.chain.client import ChainClient
from api.charities import service as charities
from api.collaborations.models import UnsignedTransaction
from api.core.auth import Principal
from api.core.deployment import Deployment
from api.core.errors import ChainUnavailable, Conflict, Forbidden, InvalidInput, NotFound
from api.creators.models import Creator
from api.kit.pagination import Page, PageParams, page_of, paginate
from api.kit.time import utcnow
from api.kit.types import ETH, new_id
from api.payouts.models import Payout
from api.splits.models import (
    TOTAL_BPS,
    RevenueSplit,
    SplitBalance,
    SplitConsentData,
    SplitCreate,
    SplitDeclaration,
    SplitPayeePublic,
    SplitPublic,
    TokenReceived,
)
from contracts import bindings

CONSENT_DOMAIN_NAME = "Collab revenue split"
CONSENT_FIELDS = (
    ("splitter", "address"),
    ("payees", "address[]"),
    ("shares", "uint16[]"),
    ("unverifiedCharities", "address[]"),
)


def factory_of(chain: ChainClient | None) -> bindings.SplitterFactoryContract:
    if chain is None or not chain.splitter_factory_address:
        raise ChainUnavailable("no chain or splitter factory is configured")
    return bindings.SplitterFactoryContract(chain.w3, chain.splitter_factory_address)


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", errors=[{"field": field, "message": message}])


def _payee(session: Session, principal: Principal, payee, field: str) -> dict[str, Any]:
    """One declared payee as stored: its wallet and name, and whose it is."""
    if payee.role == "creator":
        creator = session.get(Creator, payee.creator_id)
        if creator is None:
            raise _invalid(f"{field}.creator_id", f"no creator {payee.creator_id!r}")
        return {
            "role": "creator",
            "name": creator.display_name,
            "wallet": creator.wallet,
            "creator_id": creator.id,
            "share_bps": payee.share_bps,
        }
    if payee.role == "designer":
        return payee.model_dump()
    if payee.role == "charity":
        pick = charities.resolve_pick(
            session=session, pick=payee.model_dump(), field=field, accepter="the creators"
        )
        return {"role": "charity", **pick}
    if principal.role != "brand":
        raise _invalid(f"{field}.role", "only a brand declares a share for itself")
    brand = session.get(Brand, principal.id)
    return {
        "role": "brand",
        "name": brand.name,
        "wallet": brand.wallet,
        "brand_id": brand.id,
        "share_bps": payee.share_bps,
    }


def resolve_payees(
    *, session: Session, deployment: Deployment, principal: Principal, data: SplitDeclaration
) -> list[dict[str, Any]]:
    """The payees as stored and sent to the factory: each with its wallet, name and the
    account it belongs to, ordered by address (so one set has one splitter)."""
    payees = [
        _payee(session, principal, payee, f"payees.{index}")
        for index, payee in enumerate(data.payees)
    ]
    total = sum(p["share_bps"] for p in payees)
    if total != TOTAL_BPS:
        raise _invalid("payees", f"shares must sum to exactly {TOTAL_BPS} bps, not {total}")
    wallets = [p["wallet"] for p in payees]
    if len(set(wallets)) != len(wallets):
        twice = next(w for w in wallets if wallets.count(w) > 1)
        raise _invalid("payees", f"{twice} appears twice: each payee needs its own wallet")
    creators = [p["creator_id"] for p in payees if p["role"] == "creator"]
    if not creators:
        raise _invalid("payees", "a split pays at least one creator")
    if principal.role == "creator" and principal.id not in creators:
        raise Forbidden("a creator declares only a split that pays itself")
    deployment.check(payees=[(f"payees.{i}.wallet", w) for i, w in enumerate(wallets)])
    return sorted(payees, key=lambda p: int(p["wallet"], 16))


def consent_typed_data(
    *, chain_id: int, factory: str, address: str, payees: list[dict]
) -> dict[str, Any]:
    """What each creator of the split signs: the splitter, its payees and shares, and the
    charities it accepts unverified."""
    return {
        "types": bindings.eip712_types(SplitConsent=CONSENT_FIELDS),
        "primaryType": "SplitConsent",
        "domain": {
            "name": CONSENT_DOMAIN_NAME,
            "version": "1",
            "chainId": chain_id,
            "verifyingContract": factory,
        },
        "message": {
            "splitter": address,
            "payees": [p["wallet"] for p in payees],
            "shares": [p["share_bps"] for p in payees],
            "unverifiedCharities": [
                p["wallet"] for p in payees if p["role"] == "charity" and p["accept_unverified"]
            ],
        },
    }


def _prepare(
    *,
    session: Session,
    chain: ChainClient | None,
    deployment: Deployment,
    principal: Principal,
    data: SplitDeclaration,
) -> tuple[list[dict], bindings.SplitterFactoryContract, str, dict[str, Any]]:
    """The payees as stored, the factory, the splitter's address (the factory's own
    prediction) and the consent its creators sign."""
    payees = resolve_payees(session=session, deployment=deployment, principal=principal, data=data)
    factory = factory_of(chain)
    address = chain.ask(
        factory.predict, [p["wallet"] for p in payees], [p["share_bps"] for p in payees]
    )
    typed_data = consent_typed_data(
        chain_id=factory.chain_id, factory=factory.address, address=address, payees=payees
    )
    return payees, factory, address, typed_data


def consent_data(
    *,
    session: Session,
    chain: ChainClient | None,
    deployment: Deployment,
    principal: Principal,
    data: SplitDeclaration,
) -> SplitConsentData:
    payees, factory, address, typed_data = _prepare(
        session=session, chain=chain, deployment=deployment, principal=principal, data=data
    )
    statuses = _charity_statuses(session, payees)
    return SplitConsentData(
        address=address,
        payees=[_payee_public(p, statuses, {}) for p in payees],
        consent_typed_data=typed_data,
    )


def _check_consents(
    *, principal: Principal, payees: list[dict], data: SplitCreate, typed_data: dict
) -> list[dict]:
    """Every creator paid by the split, other than a creator declaring it, signed its consent."""
    wallets = {p["creator_id"]: p["wallet"] for p in payees if p["role"] == "creator"}
    needed = {c for c in wallets if not (principal.role == "creator" and principal.id == c)}
    consents = []
    for index, consent in enumerate(data.consents):
        field = f"consents.{index}"
        if consent.creator_id not in needed:
            raise _invalid(f"{field}.creator_id", "not a creator payee whose consent is needed")
        try:
            signer = bindings.recover_signer(typed_data, consent.signature)
        except Exception:  # noqa: BLE001 - any malformed signature is the client's mistake
            signer = None
        if signer != wallets[consent.creator_id]:
            raise _invalid(
                f"{field}.signature",
                f"not the signature of creator {consent.creator_id}'s wallet over this split's "
                "consent_typed_data",
            )
        consents.append(
            {
                "creator_id": consent.creator_id,
                "wallet": signer,
                "signature": consent.signature,
            }
        )
    missing = needed - {c["creator_id"] for c in consents}
    if missing:
        raise _invalid(
            "consents",
            "missing the signed consent of creator(s) " + ", ".join(sorted(missing)),
        )
    return consents


def declare_split(
    *,
    session: Session,
    chain: ChainClient | None,
    deployment: Deployment,
    principal: Principal,
    data: SplitCreate,
) -> SplitPublic:
    payees, factory, address, typed_data = _prepare(
        session=session, chain=chain, deployment=deployment, principal=principal, data=data
    )
    consents = _check_consents(principal=principal, payees=payees, data=data, typed_data=typed_data)
    split = session.exec(
        select(RevenueSplit).where(
            RevenueSplit.chain_id == factory.chain_id, RevenueSplit.address == address
        )
    ).first()
    if split is not None and split.declared_by is not None:
        raise Conflict(f"split {split.id} already has this payee set (splitter {address})")
    if split is None:  # else the indexer saw it created on chain: declaring names its payees
        split = RevenueSplit(
            id=new_id("spl"),
            chain_id=factory.chain_id,
            factory_address=factory.address,
            address=address,
            payees=[],
        )
    split.label = data.label
    split.payees = payees
    split.declared_by = principal.ref
    split.consents = consents
    split.updated_at = utcnow()
    session.add(split)
    session.flush()
    return to_public(session=session, chain=chain, deployment=deployment, split=split)


def get_split(*, session: Session, split_id: str) -> RevenueSplit:
    split = session.get(RevenueSplit, split_id)
    if split is None:
        raise NotFound(f"no split {split_id!r}")
    return split


def list_splits(
    *,
    session: Session,
    chain: ChainClient | None,
    deployment: Deployment,
    principal: Principal,
    params: PageParams,
) -> Page[SplitPublic]:
    """The splits the caller declared, without balances (read one split for those)."""
    statement = select(RevenueSplit).where(RevenueSplit.declared_by == principal.ref)
    rows = list(session.exec(paginate(statement, RevenueSplit.id, params)))
    return page_of(
        rows,
        params,
        lambda split: to_public(
            session=session, chain=chain, deployment=deployment, split=split, balances=False
        ),
    )


def _charity_statuses(session: Session, payees: list[dict]) -> dict[str, str]:
    wallets = [p["wallet"] for p in payees if p["role"] == "charity"]
    return charities.verified_wallets(session=session, wallets=wallets)


def _payee_public(payee: dict, statuses: dict[str, str], received: dict) -> SplitPayeePublic:
    verified = statuses.get(payee["wallet"]) == "verified" if payee["role"] == "charity" else None
    return SplitPayeePublic(
        role=payee["role"],
        name=payee.get("name") or "",
        wallet=payee["wallet"],
        share_bps=payee["share_bps"],
        creator_id=payee.get("creator_id"),
        charity_id=payee.get("charity_id"),
        brand_id=payee.get("brand_id"),
        verified=verified,
        received=[
            TokenReceived(token=token, **{kind: str(amount) for kind, amount in kinds.items()})
            for token, kinds in sorted(received.get(payee["wallet"], {}).items())
        ],
    )


def _received(session: Session, split: RevenueSplit) -> dict[str, dict[str, dict[str, int]]]:
    """wallet -> token -> kind (paid, credited, withdrawn) -> amount, from the indexed events."""
    received: dict[str, dict[str, dict[str, int]]] = {}
    rows = session.exec(
        select(Payout.wallet, Payout.token, Payout.kind, Payout.amount).where(
            Payout.chain_id == split.chain_id, Payout.splitter == split.address
        )
    )
    for wallet, token, kind, amount in rows:
        kinds = received.setdefault(wallet, {}).setdefault(
            token, {"paid": 0, "credited": 0, "withdrawn": 0}
        )
        kinds[kind] += int(amount)
    return received


def _balances(
    chain: ChainClient, deployment: Deployment, split: RevenueSplit, received: dict
) -> list[SplitBalance]:
    splitter = bindings.SplitterContract(chain.w3, split.address)
    exists = chain.has_code(split.address)
    balances = []
    for token, known in deployment.tokens.items():
        erc20 = None if token == ETH else token
        if erc20 is None:
            balance = int(chain.ask(chain.w3.eth.get_balance, split.address))
        else:
            balance = int(chain.ask(bindings.Erc20(chain.w3, erc20).balance_of, split.address))
        credited = int(chain.ask(splitter.total_credited, erc20)) if exists else 0
        paid_out = sum(
            kinds[token]["paid"] + kinds[token]["withdrawn"]
            for kinds in received.values()
            if token in kinds
        )
        distributable = balance - credited
        tx = splitter.build_distribute(erc20) if exists and distributable > 0 else None
        balances.append(
            SplitBalance(
                token=token,
                symbol=known.symbol,
                decimals=known.decimals,
                balance=str(balance),
                credited=str(credited),
                distributable=str(distributable),
                total_in=str(balance + paid_out),
                distribute_transaction=UnsignedTransaction.of(tx) if tx else None,
            )
        )
    return balances


def to_public(
    *,
    session: Session,
    chain: ChainClient | None,
    deployment: Deployment,
    split: RevenueSplit,
    balances: bool = True,
) -> SplitPublic:
    received = _received(session, split)
    statuses = _charity_statuses(session, split.payees)
    creation = None
    if chain is not None:
        factory = bindings.SplitterFactoryContract(chain.w3, split.factory_address)
        wallets = [p["wallet"] for p in split.payees]
        shares = [p["share_bps"] for p in split.payees]
        creation = UnsignedTransaction.of(chain.ask(factory.build_create_splitter, wallets, shares))
    return SplitPublic(
        id=split.id,
        label=split.label,
        chain_id=split.chain_id,
        factory_address=split.factory_address,
        address=split.address,
        declared_by=split.declared_by,
        payees=[_payee_public(p, statuses, received) for p in split.payees],
        created=split.created_block is not None,
        created_tx=split.created_tx,
        creation_transaction=creation,
        balances=_balances(chain, deployment, split, received) if balances and chain else None,
        created_at=split.created_at,
    )


def revenue_share_terms(*, session: Session, share: dict, creator: Creator) -> dict:
    """An offer's revenue share as the contract records it: a declared split that pays the
    offer's creator, and its address."""
    split = session.get(RevenueSplit, share["split_id"])
    if split is None or split.declared_by is None:
        raise _invalid("revenue_share.split_id", f"no declared split {share['split_id']!r}")
    if creator.id not in {p.get("creator_id") for p in split.payees}:
        raise _invalid("revenue_share.split_id", f"split {split.id} does not pay this creator")
    return {**share, "splitter": split.address}
