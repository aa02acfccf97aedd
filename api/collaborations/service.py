"""Deals: typed data to sign, signed acceptance, unsigned transactions, reads.

The server never signs for a user and never moves a status on a client's word: it hands out
what to sign and send, and the indexer moves statuses when the chain says so.
"""

from __future__ import annotations

from datetime import UTC, datetime

from eth_utils import keccak
from sqlalchemy import update
from sqlmodel import Session, select
from web3.exceptions import Web3Exception

from api.brands.models import Brand
from api.chain.client import ChainClient
from api.charities.service import verified_wallets
from api.collaborations.models import (
    UNFUNDED,
    AcceptResult,
    Action,
    Collaboration,
    CollaborationPublic,
    MilestoneStatePublic,
    PayeePublic,
    TransactionPublic,
    UnsignedTransaction,
    effective_status,
    effective_status_sql,
    new_milestone,
)
from api.core.auth import Principal
from api.core.errors import ChainUnavailable, Conflict, Forbidden, InvalidInput, NotFound
from api.creators.models import Creator
from api.kit.pagination import Page, PageParams, page_of, paginate
from api.kit.time import utcnow
from api.kit.types import ETH, new_id
from api.offers import milestones as schedules
from api.offers.models import Offer, OfferPublic, OfferVersion
from api.offers.service import current_status as offer_status
from api.offers.service import current_version, emit_offer_event, transition
from api.offers.service import to_public as offer_public
from api.payouts.models import Payout, PayoutPublic
from contracts import bindings
from contracts.errors import ContractRevert

# The dispute rule every collaboration's terms carry: a dispute the arbiter leaves open this long
# ends by an even split, so no deal stays locked by an absent arbiter.
DISPUTE_TIMEOUT_SECONDS = 30 * 24 * 60 * 60
DISPUTE_RULE_PAYEE_BPS = 5_000


def require_chain(chain: ChainClient | None) -> ChainClient:
    if chain is None or not chain.escrow_address:
        raise ChainUnavailable("no chain or escrow contract is configured")
    return chain


def payee_snapshot(creator: Creator) -> list[dict]:
    split = creator.split
    payees = [
        {
            "role": "creator",
            "name": creator.display_name,
            "wallet": creator.wallet,
            "share_bps": split["creator_share_bps"],
        }
    ]
    payees += [
        {"role": "designer", "name": p["name"], "wallet": p["wallet"], "share_bps": p["share_bps"]}
        for p in split.get("designers", [])
    ]
    payees += [
        {
            "role": "charity",
            "name": p["name"],
            "wallet": p["wallet"],
            "share_bps": p["share_bps"],
            "charity_id": p.get("charity_id"),
        }
        for p in split.get("charities", [])
    ]
    return payees


def payees_public(session: Session, payees: list[dict]) -> list[PayeePublic]:
    """Payees as signed, each charity with whether the operator has verified it (now)."""
    statuses = verified_wallets(
        session=session, wallets=[p["wallet"] for p in payees if p["role"] == "charity"]
    )
    return [
        PayeePublic(
            **p,
            verified=statuses.get(p["wallet"]) == "verified" if p["role"] == "charity" else None,
        )
        for p in payees
    ]


def _terms(
    *,
    offer: Offer,
    brand_wallet: str,
    creator_wallet: str,
    payees: list[dict],
    is_virtual: bool,
) -> bindings.DealTerms:
    return bindings.DealTerms(
        salt=offer.deal_id,
        brand=brand_wallet,
        creator=creator_wallet,
        token=offer.token,
        amount=int(offer.amount),
        payees=tuple(p["wallet"] for p in payees),
        shares_bps=tuple(p["share_bps"] for p in payees),
        milestones=tuple(
            (m["amount"], m["deliver_by"])
            for m in schedules.parts(
                amount=offer.amount, deliver_by=offer.deliver_by, milestones=offer.milestones
            )
        ),
        platform_fee_bps=offer.platform_fee_bps,
        review_period=offer.review_period_seconds,
        dispute_timeout=DISPUTE_TIMEOUT_SECONDS,
        dispute_rule_payee_bps=DISPUTE_RULE_PAYEE_BPS,
        terms_hash=keccak(text=offer.terms_text),
        is_virtual=is_virtual,
        signature_expiry=int(offer.expires_at.timestamp()),
    )


def offer_terms(*, session: Session, offer: Offer) -> tuple[bindings.DealTerms, list[dict]]:
    """The deal terms as they stand now (the brand's wallet and the creator's current split),
    with the payee snapshot they were built from."""
    brand = session.get(Brand, offer.brand_id)
    creator = session.get(Creator, offer.creator_id)
    payees = payee_snapshot(creator)
    terms = _terms(
        offer=offer,
        brand_wallet=brand.wallet,
        creator_wallet=creator.wallet,
        payees=payees,
        is_virtual=creator.is_virtual,
    )
    return terms, payees


def _require_sent(session: Session, offer: Offer, verb: str) -> None:
    """The early answer before any chain call; the transition itself is compare-and-set."""
    status = offer_status(session=session, offer=offer)
    if status != "sent":
        raise Conflict(f"offer {offer.id} is {status}; only a sent offer can be {verb}")


def collaboration_terms(*, session: Session, collaboration: Collaboration) -> bindings.DealTerms:
    """The terms exactly as signed (snapshotted at acceptance)."""
    offer = session.get(Offer, collaboration.offer_id)
    return _terms(
        offer=offer,
        brand_wallet=collaboration.brand_wallet,
        creator_wallet=collaboration.creator_wallet,
        payees=collaboration.payees,
        is_virtual=collaboration.is_virtual,
    )


def typed_data(
    *, session: Session, chain: ChainClient | None, offer: Offer, principal: Principal
) -> dict:
    """The terms of the offer's current version to sign: for the creator, a sent offer (to
    accept it) or its own counter not signed yet; for the brand, a creator's signed counter
    (to accept it), exactly as the creator signed it."""
    chain = require_chain(chain)
    status = offer_status(session=session, offer=offer)
    version = current_version(session=session, offer=offer)
    if principal.role == "brand":
        terms = _countersigned_terms(status=status, offer=offer, version=version)
        note = "sign with the brand wallet (eth_signTypedData_v4), POST it to /counter/accept"
    elif status == "sent":
        terms, _ = offer_terms(session=session, offer=offer)
        note = "sign with eth_signTypedData_v4, then POST the signature to /accept"
    elif status == "countered" and version.creator_signature is None:
        terms, _ = offer_terms(session=session, offer=offer)
        note = "sign with eth_signTypedData_v4, then POST the signature to /counter/signature"
    else:
        raise Conflict(
            f"offer {offer.id} is {status}; nothing for the creator to sign", state=status
        )
    data = terms.typed_data(chain.chain_id, chain.escrow_address)
    return {
        "offer_id": offer.id,
        "version": version.number,
        # Wallets take uint256 as decimal strings: a JavaScript number loses precision above 2^53.
        "typed_data": {
            **data,
            "message": bindings.json_safe(data["message"], ints_as_strings=True),
        },
        "terms_text": offer.terms_text,
        "note": note,
    }


def _countersigned_terms(*, status: str, offer: Offer, version: OfferVersion) -> bindings.DealTerms:
    """The terms of a creator's counter as the creator signed them, for the brand to sign."""
    if status != "countered":
        raise Conflict(
            f"offer {offer.id} is {status}; the brand signs a countered offer only", state=status
        )
    if version.signed_message is None:
        raise Conflict(
            f"counter {version.number} of offer {offer.id} awaits the creator's signature",
            state=status,
        )
    if "milestones" not in version.signed_message:
        raise Conflict(
            f"counter {version.number} of offer {offer.id} was signed for the previous escrow "
            "(no milestones); the creator must counter again",
            state=status,
        )
    return _terms_of_message(version.signed_message)


def _terms_of_message(message: dict) -> bindings.DealTerms:
    return bindings.DealTerms(
        salt=message["salt"],
        brand=message["brand"],
        creator=message["creator"],
        token=message["token"],
        amount=int(message["amount"]),
        payees=tuple(message["payees"]),
        shares_bps=tuple(int(share) for share in message["shares"]),
        milestones=tuple((int(m["amount"]), int(m["deliverBy"])) for m in message["milestones"]),
        platform_fee_bps=int(message["platformFeeBps"]),
        review_period=int(message["reviewPeriod"]),
        dispute_timeout=int(message["disputeTimeout"]),
        dispute_rule_payee_bps=int(message["disputeRulePayeeBps"]),
        terms_hash=message["termsHash"],
        is_virtual=message["isVirtual"],
        signature_expiry=int(message["signatureExpiry"]),
    )


def _creator_signed(terms: bindings.DealTerms, payees: list[dict], signature: str) -> dict:
    """The version's columns that record the creator's signature and what it signed."""
    return {
        "creator_signature": signature,
        "signed_message": bindings.json_safe(terms.message(), ints_as_strings=True),
        "payees": payees,
        "deal_id": "0x" + terms.deal_id.hex(),
        "creator_signed_at": utcnow(),
    }


def accept_offer(
    *, session: Session, chain: ChainClient | None, offer: Offer, signature: str
) -> AcceptResult:
    chain = require_chain(chain)
    _require_sent(session, offer, "accepted")
    terms, payees = offer_terms(session=session, offer=offer)
    signature = _fundable_signature(chain=chain, terms=terms, signature=signature)
    # Only the request whose compare-and-set wins goes on to create the collaboration.
    version = current_version(session=session, offer=offer)
    transition(session=session, offer=offer, to="accepted", verb="accepted", version=version.number)
    _record(session, version, _creator_signed(terms, payees, signature))
    return _draft_collaboration(
        session=session,
        chain=chain,
        offer=offer,
        terms=terms,
        payees=payees,
        creator_signature=signature,
    )


def sign_counter(
    *, session: Session, chain: ChainClient | None, offer: Offer, signature: str
) -> OfferPublic:
    """The creator signs its own counter, checked exactly as for an acceptance: the brand can
    then accept it by signing the same terms. Written once (compare-and-set)."""
    chain = require_chain(chain)
    status = offer_status(session=session, offer=offer)
    if status != "countered":
        raise Conflict(
            f"offer {offer.id} is {status}; only a countered offer's counter can be signed",
            state=status,
        )
    version = current_version(session=session, offer=offer)
    terms, payees = offer_terms(session=session, offer=offer)
    signature = _fundable_signature(chain=chain, terms=terms, signature=signature)
    result = session.execute(
        update(OfferVersion)
        .where(OfferVersion.id == version.id, OfferVersion.creator_signature.is_(None))
        .values(**_creator_signed(terms, payees, signature))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(f"counter {version.number} of offer {offer.id} is signed already")
    session.refresh(version)
    return offer_public(offer, session=session)


def accept_counter(
    *, session: Session, chain: ChainClient | None, offer: Offer, signature: str
) -> AcceptResult:
    """The brand accepts the creator's signed counter by signing the same EIP-712 terms with
    its wallet: the API checks the brand's signature, the escrow will check the creator's (and
    is asked now, by simulation). Of a racing accept, decline or new counter one wins."""
    chain = require_chain(chain)
    status = offer_status(session=session, offer=offer)
    version = current_version(session=session, offer=offer)
    terms = _countersigned_terms(status=status, offer=offer, version=version)
    brand_signature = _brand_signature(chain=chain, terms=terms, signature=signature)
    creator_signature = _fundable_signature(
        chain=chain, terms=terms, signature=version.creator_signature
    )
    transition(
        session=session,
        offer=offer,
        to="accepted",
        verb="accepted",
        source="countered",
        version=version.number,
    )
    _record(session, version, {"brand_signature": brand_signature, "brand_signed_at": utcnow()})
    return _draft_collaboration(
        session=session,
        chain=chain,
        offer=offer,
        terms=terms,
        payees=version.payees,
        creator_signature=creator_signature,
    )


def require_typed_signer(
    typed: dict, signature: str, *, signer: str, field: str, mismatch: str, detail: str
) -> bytes:
    """The signature of this EIP-712 typed data by `signer`, in the form the escrow and tokens
    accept (65 bytes, low s, v in {27, 28}). A malformed signature, or another signer's, is a
    422 on `field` (`mismatch` is its short message, `detail` says what to sign instead)."""
    try:
        normalised = bindings.normalize_signature(signature)
        if len(normalised) != 65:
            raise ValueError(f"expected 65 bytes, got {len(normalised)}")
        recovered = bindings.recover_signer(typed, normalised)
    except ValueError as exc:
        raise InvalidInput(
            f"malformed signature: {exc}",
            errors=[{"field": field, "message": "not an ECDSA signature"}],
        ) from None
    if recovered != signer:
        raise InvalidInput(detail, errors=[{"field": field, "message": mismatch}])
    return normalised


def _brand_signature(*, chain: ChainClient, terms: bindings.DealTerms, signature: str) -> str:
    """The brand wallet's EIP-712 signature of these terms, normalised (low s, v in {27, 28})."""
    normalised = require_typed_signer(
        terms.typed_data(chain.chain_id, chain.escrow_address),
        signature,
        signer=terms.brand,
        field="signature",
        mismatch="does not match the counter's terms",
        detail="the signature is not the brand wallet's signature of this counter's terms; "
        "sign the typed data from GET /v1/offers/{id}/typed-data with the brand wallet",
    )
    return "0x" + normalised.hex()


def _record(session: Session, version: OfferVersion, values: dict) -> None:
    """Write signature columns of a version whose offer this request just moved (the offer's
    compare-and-set made this request the only writer)."""
    for name, value in values.items():
        setattr(version, name, value)
    session.add(version)
    session.flush()


def _draft_collaboration(
    *,
    session: Session,
    chain: ChainClient,
    offer: Offer,
    terms: bindings.DealTerms,
    payees: list[dict],
    creator_signature: str,
) -> AcceptResult:
    labels = [
        m["label"]
        for m in schedules.parts(
            amount=offer.amount, deliver_by=offer.deliver_by, milestones=offer.milestones
        )
    ]
    collaboration = Collaboration(
        id=new_id("col"),
        offer_id=offer.id,
        request_id=offer.request_id,
        brand_id=offer.brand_id,
        creator_id=offer.creator_id,
        chain_id=chain.chain_id,
        escrow_address=chain.escrow_address,
        deal_id="0x" + terms.deal_id.hex(),
        brand_wallet=terms.brand,
        creator_wallet=terms.creator,
        token=offer.token,
        amount=offer.amount,
        platform_fee_bps=offer.platform_fee_bps,
        deliver_by=terms.deliver_by,
        review_period_seconds=terms.review_period,
        terms_hash="0x" + terms.terms_hash.hex(),
        is_virtual=terms.is_virtual,
        signature_expiry=terms.signature_expiry,
        creator_signature=creator_signature,
        payees=payees,
        milestones=[
            new_milestone(label=label, amount=m.amount, deliver_by=m.deliver_by)
            for label, m in zip(labels, terms.milestones, strict=True)
        ],
    )
    session.add(collaboration)
    session.flush()
    emit_offer_event(session=session, offer=offer, kind="accepted")
    return AcceptResult(
        offer=offer_public(offer, session=session),
        collaboration=to_public(session=session, collaboration=collaboration),
    )


def _fundable_signature(*, chain: ChainClient, terms: bindings.DealTerms, signature: str) -> str:
    """The signature in the one form the escrow accepts, checked exactly as `createDeal` will
    check it, so an accepted offer is always fundable: normalised (low s, v in {27, 28}; the
    malleated twin and v in {0, 1} are the same signature to a wallet but not to OpenZeppelin's
    ECDSA), verified against the creator's wallet, then the whole call simulated."""
    try:
        normalised = "0x" + bindings.normalize_signature(signature).hex()
    except ValueError as exc:
        raise InvalidInput(
            f"malformed signature: {exc}",
            errors=[{"field": "signature", "message": "not an ECDSA signature"}],
        ) from None
    valid = chain.ask(
        bindings.verify_creator_signature,
        chain.w3,
        terms,
        normalised,
        escrow_address=chain.escrow_address,
        chain_id=chain.chain_id,
    )
    if not valid:
        raise InvalidInput(
            "the signature is not the creator wallet's signature of these deal terms; "
            "sign the typed data from GET /v1/offers/{id}/typed-data",
            errors=[{"field": "signature", "message": "does not match the deal terms"}],
        )
    try:
        chain.ask(bindings.simulate_create_deal, chain.w3, chain.escrow_address, terms, normalised)
    except ContractRevert as exc:
        raise InvalidInput(
            f"the escrow would refuse to fund this deal: {exc}",
            errors=[{"field": "signature", "message": f"createDeal reverts with {exc.name}"}],
        ) from None
    return normalised


def cancel_collaboration(
    *, session: Session, principal: Principal, collaboration: Collaboration
) -> CollaborationPublic:
    """The brand withdraws a deal it has not funded: the collaboration and its offer become
    `cancelled` (compare-and-set, so a cancel never overwrites a status the indexer just
    wrote), which frees the creator and request for a new offer. Funding the deal on chain
    anyway is still seen: the indexer follows the chain."""
    if principal.role != "brand":
        raise Forbidden(f"a {principal.role} may not cancel this collaboration")
    now = utcnow()
    result = session.execute(
        update(Collaboration)
        .where(
            Collaboration.id == collaboration.id,
            Collaboration.status == "drafted",
            Collaboration.signature_expiry >= int(now.timestamp()),
        )
        .values(status="cancelled", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(collaboration)
    if result.rowcount != 1:
        status = effective_status(collaboration)
        raise Conflict(
            f"collaboration {collaboration.id} is {status}; only a drafted (unfunded) "
            "collaboration can be cancelled",
            state=status,
        )
    session.execute(
        update(Offer)
        .where(Offer.id == collaboration.offer_id, Offer.status == "accepted")
        .values(status="cancelled", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return to_public(session=session, collaboration=collaboration)


# ------------------------------------------------------------------------------------ reads


def _payouts(session: Session, deal_id: str) -> list[PayoutPublic]:
    rows = session.exec(
        select(Payout)
        .where(Payout.deal_id == deal_id)
        .order_by(Payout.block_number, Payout.log_index)
    )
    return [PayoutPublic.of(row) for row in rows]


def _signed_version(session: Session, collaboration: Collaboration) -> OfferVersion | None:
    """The offer version whose terms the collaboration signed."""
    return session.exec(
        select(OfferVersion)
        .where(
            OfferVersion.offer_id == collaboration.offer_id,
            OfferVersion.terms_hash == collaboration.terms_hash,
        )
        # a counter may come back to earlier terms: the same text, the same hash
        .order_by(OfferVersion.number.desc())
    ).first()


def _at(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else None


def milestone_status(collaboration: Collaboration, milestone: dict) -> str:
    """A milestone's status; before funding, the collaboration's (drafted, expired, cancelled)."""
    status = effective_status(collaboration)
    return status if status in UNFUNDED else milestone["status"]


def milestones_public(collaboration: Collaboration) -> list[MilestoneStatePublic]:
    review = collaboration.review_period_seconds
    return [
        MilestoneStatePublic(
            index=index,
            label=m["label"],
            amount=m["amount"],
            deliver_by=_at(m["deliver_by"]),
            status=milestone_status(collaboration, m),
            deliverable_hash=m["deliverable_hash"],
            delivered_at=_at(m["delivered_at"]),
            review_ends_at=_at(m["delivered_at"] + review) if m["delivered_at"] else None,
            transactions=m["transactions"],
            resolution=m["resolution"],
        )
        for index, m in enumerate(collaboration.milestones)
    ]


def to_public(*, session: Session, collaboration: Collaboration) -> CollaborationPublic:
    offer = session.get(Offer, collaboration.offer_id)
    signed = _signed_version(session, collaboration)
    return CollaborationPublic(
        id=collaboration.id,
        offer_id=collaboration.offer_id,
        request_id=collaboration.request_id,
        brand_id=collaboration.brand_id,
        creator_id=collaboration.creator_id,
        status=effective_status(collaboration),
        chain_id=collaboration.chain_id,
        escrow_address=collaboration.escrow_address,
        deal_id=collaboration.deal_id,
        price={"amount": collaboration.amount, "token": collaboration.token},
        platform_fee_bps=collaboration.platform_fee_bps,
        deliver_by=datetime.fromtimestamp(collaboration.deliver_by, UTC),
        milestones=milestones_public(collaboration),
        review_period_seconds=collaboration.review_period_seconds,
        terms_hash=collaboration.terms_hash,
        terms_text=offer.terms_text,
        is_virtual=collaboration.is_virtual,
        payees=payees_public(session, collaboration.payees),
        revenue_share=signed.revenue_share if signed else None,
        deliverable_hash=collaboration.deliverable_hash,
        delivered_at=_at(collaboration.delivered_at),
        transactions=collaboration.transactions,
        resolution=collaboration.resolution,
        payouts=_payouts(session, collaboration.deal_id),
        created_at=collaboration.created_at,
        updated_at=collaboration.updated_at,
    )


def _visible(principal: Principal):
    if principal.role == "brand":
        return Collaboration.brand_id == principal.id
    if principal.role == "creator":
        return Collaboration.creator_id == principal.id
    return Collaboration.id.is_not(None)  # the operator (arbiter) sees every deal


def get_collaboration(*, session: Session, principal: Principal, collaboration_id: str):
    row = session.exec(
        select(Collaboration).where(Collaboration.id == collaboration_id, _visible(principal))
    ).first()
    if row is None:
        raise NotFound(f"collaboration {collaboration_id} not found")
    return row


def list_collaborations(
    *, session: Session, principal: Principal, status: str | None, params: PageParams
) -> Page:
    statement = select(Collaboration).where(_visible(principal))
    if status:
        statement = statement.where(effective_status_sql(utcnow()) == status)
    rows = list(session.exec(paginate(statement, Collaboration.id, params)))
    return page_of(rows, params, lambda row: to_public(session=session, collaboration=row))


# ------------------------------------------------------------------------------ transactions

WHO_MAY = {
    "fund": {"brand"},
    "deliver": {"creator"},
    "approve": {"brand"},
    "refund": {"brand"},
    "dispute": {"brand"},
    "release": {"brand", "creator", "operator"},
    "resolve": {"operator"},
    "apply_rule": {"brand", "creator", "operator"},
}
STATUS_NEEDED = {
    "fund": "drafted",
    "deliver": "funded",
    "approve": "delivered",
    "refund": "funded",
    "dispute": "delivered",
    "release": "delivered",
    "resolve": "disputed",
    "apply_rule": "disputed",
}


def unsigned_transaction(
    tx: dict, sender: str | None, gas: int | None = None
) -> UnsignedTransaction:
    return UnsignedTransaction.of(tx, sender, gas)


def require_milestone(collaboration: Collaboration, milestone: int) -> dict:
    """The collaboration's milestone ``milestone``, or a 422 naming how many it has."""
    count = len(collaboration.milestones)
    if not 0 <= milestone < count:
        raise InvalidInput(
            f"milestone {milestone} does not exist: this collaboration has {count} "
            f"(0 to {count - 1})",
            errors=[{"field": "milestone", "message": f"not in 0..{count - 1}"}],
        )
    return collaboration.milestones[milestone]


def chain_time(chain: ChainClient) -> int:
    return chain.ask(lambda: int(chain.w3.eth.get_block("latest")["timestamp"]))


def _require_timing(
    chain: ChainClient, collaboration: Collaboration, action: Action, milestone: int
) -> None:
    """409 when the chain's clock says the escrow would refuse the action now."""
    now = chain_time(chain)
    part = collaboration.milestones[milestone]
    review_ends = (part["delivered_at"] or 0) + collaboration.review_period_seconds
    due = part["deliver_by"]
    timing = {
        "fund": (now <= collaboration.signature_expiry, "the creator's signature has expired"),
        "deliver": (now <= due, f"milestone {milestone}'s delivery deadline has passed"),
        "refund": (now > due, f"milestone {milestone}'s delivery deadline has not passed yet"),
        "dispute": (now < review_ends, f"milestone {milestone}'s review period is over"),
        "release": (now >= review_ends, f"milestone {milestone}'s review period is not over yet"),
    }
    if action in timing and not timing[action][0]:
        raise Conflict(timing[action][1])
    if action in ("resolve", "apply_rule"):
        escrow = bindings.EscrowContract(chain.w3, chain.escrow_address)
        rule_applies_at = chain.ask(escrow.deal_state, collaboration.deal_id, milestone).deadline
        when = datetime.fromtimestamp(rule_applies_at, UTC).isoformat()
        if action == "resolve" and now >= rule_applies_at:
            raise Conflict(f"the arbiter's time ended at {when}; the dispute rule applies now")
        if action == "apply_rule" and now < rule_applies_at:
            raise Conflict(f"the arbiter has until {when}; the dispute rule applies after")


def _funding_prerequisites(
    chain: ChainClient, collaboration: Collaboration
) -> list[UnsignedTransaction]:
    """The ERC-20 approval the brand must send before funding, if its allowance is short."""
    if collaboration.token == ETH:
        return []
    sender = collaboration.brand_wallet
    token = bindings.Erc20(chain.w3, collaboration.token)
    allowance = chain.ask(token.allowance, sender, chain.escrow_address)
    if allowance >= int(collaboration.amount):
        return []
    approve = token.build_approve(chain.escrow_address, int(collaboration.amount))
    return [unsigned_transaction(approve, sender)]


def permit_typed_data(
    *, chain: ChainClient | None, principal: Principal, collaboration: Collaboration
) -> dict:
    """The EIP-2612 permit the brand signs to fund a stablecoin deal in one transaction: the
    escrow may take exactly the amount, until the creator's signature expires (after that the
    deal cannot be funded anyway). The brand then asks for `fund` with `permit_signature`."""
    chain = require_chain(chain)
    _require_permit_fundable(principal, collaboration)
    token = bindings.Erc20(chain.w3, collaboration.token)
    try:
        typed = chain.ask(
            token.permit_typed_data,
            collaboration.brand_wallet,
            chain.escrow_address,
            int(collaboration.amount),
            collaboration.signature_expiry,
        )
    except ContractRevert:
        raise Conflict(
            f"the token {collaboration.token} has no EIP-2612 permit; fund with the approval "
            "that GET transactions/fund lists first"
        ) from None
    return {
        "collaboration_id": collaboration.id,
        "typed_data": {
            **typed,
            "message": bindings.json_safe(typed["message"], ints_as_strings=True),
        },
        "note": "sign with the brand wallet (eth_signTypedData_v4), then GET "
        "transactions/fund?permit_signature=<signature>: one transaction funds the deal",
    }


def _require_permit_fundable(principal: Principal, collaboration: Collaboration) -> None:
    if principal.role != "brand":
        raise Forbidden(f"a {principal.role} may not fund this collaboration")
    status = effective_status(collaboration)
    if status != "drafted":
        raise Conflict(f"collaboration is {status}; a permit funds a drafted deal", state=status)
    if collaboration.token == ETH:
        raise InvalidInput(
            "an ETH deal is funded with its value; a permit is for stablecoin deals",
            errors=[{"field": "permit_signature", "message": "not a token deal"}],
        )


def _permit_fund_transaction(
    chain: ChainClient,
    escrow: bindings.EscrowContract,
    terms: bindings.DealTerms,
    collaboration: Collaboration,
    permit_signature: str,
) -> dict:
    """createDealWithPermit, once the permit is checked to be the brand wallet's signature of
    exactly what the escrow will submit (amount, deadline, the brand's current nonce)."""
    token = bindings.Erc20(chain.w3, collaboration.token)
    typed = chain.ask(
        token.permit_typed_data,
        terms.brand,
        chain.escrow_address,
        terms.amount,
        collaboration.signature_expiry,
    )
    signature = require_typed_signer(
        typed,
        permit_signature,
        signer=terms.brand,
        field="permit_signature",
        mismatch="does not match the permit",
        detail="the permit signature is not the brand wallet's signature of this deal's "
        "permit; sign the typed data from GET /v1/collaborations/{id}/permit",
    )
    return escrow.build_create_deal_with_permit(
        terms, collaboration.creator_signature, collaboration.signature_expiry, signature
    )


def _action_transaction(
    escrow: bindings.EscrowContract,
    terms: bindings.DealTerms,
    collaboration: Collaboration,
    action: Action,
    deliverable: str | None,
    payee_share_bps: int | None,
    milestone: int,
) -> tuple[dict, str | None]:
    """The escrow call for the action on the milestone, and who sends it (None: the arbiter's
    wallet)."""
    if action == "fund":
        return escrow.build_create_deal(terms, collaboration.creator_signature), terms.brand
    if action == "deliver":
        if not deliverable:
            raise InvalidInput(
                "deliver needs ?deliverable= (a link to or a description of the delivered work)"
            )
        tx = escrow.build_mark_delivered(terms.deal_id, keccak(text=deliverable), milestone)
        return tx, terms.creator
    if action == "resolve":
        if payee_share_bps is None:
            raise InvalidInput("resolve needs ?payee_share_bps= (0..10000) for the payees")
        return escrow.build_resolve(terms, payee_share_bps, milestone), None
    if action == "approve":
        return escrow.build_approve_delivery(terms, milestone), terms.brand
    if action == "apply_rule":
        # Anyone, once the arbiter's deadline (dispute time + the terms' timeout) has passed.
        return escrow.build_apply_dispute_rule(terms, milestone), None
    brand_actions = ("refund", "dispute")
    return getattr(escrow, f"build_{action}")(terms, milestone), (
        terms.brand if action in brand_actions else None
    )


def _estimate(chain: ChainClient, tx: dict, sender: str) -> tuple[int | None, str | None]:
    """(gas, None), or (None, why not): a revert or a sender that cannot pay is a note."""
    try:
        return chain.ask(bindings.estimate_gas, chain.w3, dict(tx), sender), None
    except ContractRevert as exc:
        return None, f"the chain would reject this transaction now: {exc}"
    except Web3Exception as exc:  # e.g. the sender cannot pay for gas yet
        message = (
            exc.rpc_response.get("error", {}).get("message")
            if getattr(exc, "rpc_response", None)
            else str(exc)
        )
        return None, f"no gas estimate: {message}"


def build_transaction(
    *,
    session: Session,
    chain: ChainClient | None,
    principal: Principal,
    collaboration: Collaboration,
    action: Action,
    deliverable: str | None = None,
    payee_share_bps: int | None = None,
    permit_signature: str | None = None,
    milestone: int = 0,
) -> TransactionPublic:
    """The unsigned transaction for ``action``: funding acts on the whole deal, every other
    action on one milestone (0 by default), whose own status and deadlines decide."""
    chain = require_chain(chain)
    if principal.role not in WHO_MAY[action]:
        raise Forbidden(f"a {principal.role} may not {action} this collaboration")
    part = require_milestone(collaboration, milestone)
    needed = STATUS_NEEDED[action]
    if action == "fund":
        status = effective_status(collaboration)
        if status != needed:
            raise Conflict(f"collaboration is {status}; {action} needs it {needed}")
    else:
        status = milestone_status(collaboration, part)
        if status != needed:
            raise Conflict(
                f"milestone {milestone} is {status}; {action} needs it {needed}", state=status
            )
    _require_timing(chain, collaboration, action, milestone)
    escrow = bindings.EscrowContract(chain.w3, chain.escrow_address)
    terms = collaboration_terms(session=session, collaboration=collaboration)
    if permit_signature is not None:
        if action != "fund":
            raise InvalidInput(
                "permit_signature goes with fund only",
                errors=[{"field": "permit_signature", "message": f"not used by {action}"}],
            )
        _require_permit_fundable(principal, collaboration)
        tx = _permit_fund_transaction(chain, escrow, terms, collaboration, permit_signature)
        gas, note = _estimate(chain, tx, terms.brand)
        return TransactionPublic(
            action=action,
            collaboration_id=collaboration.id,
            transaction=unsigned_transaction(tx, terms.brand, gas),
            note=note,
        )
    tx, sender = _action_transaction(
        escrow, terms, collaboration, action, deliverable, payee_share_bps, milestone
    )
    requires = _funding_prerequisites(chain, collaboration) if action == "fund" else []
    gas, note = None, None
    if requires:
        note = (
            "send the ERC-20 approval first, then this transaction; or fund in one transaction "
            "with the token's permit (GET /v1/collaborations/{id}/permit)"
        )
    elif sender:
        gas, note = _estimate(chain, tx, sender)
    return TransactionPublic(
        action=action,
        collaboration_id=collaboration.id,
        transaction=unsigned_transaction(tx, sender, gas),
        requires=requires,
        note=note,
    )
