"""What wallets received from deals, and what they can still withdraw."""

from __future__ import annotations

from sqlmodel import Session, select

from api.chain import ChainClient
from api.collaborations.models import Payout, UnsignedTransaction
from api.collaborations.service import payout_public, require_chain, unsigned_transaction
from contracts import bindings

RECEIVED = ("paid", "credited", "fee", "refund")


def wallet_payouts(*, session: Session, wallet: str, limit: int, cursor: int | None) -> dict:
    statement = select(Payout).where(Payout.wallet == wallet)
    if cursor is not None:
        statement = statement.where(Payout.id < cursor)
    rows = list(session.exec(statement.order_by(Payout.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    # Summed in Python: amounts are exact decimal strings (uint256 exceeds SQL integer types).
    totals: dict[str, int] = {}
    received = select(Payout.token, Payout.amount).where(
        Payout.wallet == wallet, Payout.kind.in_(RECEIVED)
    )
    for token, amount in session.exec(received):
        totals[token] = totals.get(token, 0) + int(amount)
    return {
        "wallet": wallet,
        "items": [payout_public(row) for row in rows],
        "next_cursor": str(rows[-1].id) if more else None,
        "totals": {token: str(amount) for token, amount in sorted(totals.items())},
    }


def wallet_credits(*, session: Session, chain: ChainClient | None, wallet: str) -> dict:
    """Amounts the escrow holds for a wallet that could not take a push (a reverting contract,
    a blocklisted address), read from the chain, each with the unsigned withdraw transaction."""
    chain = require_chain(chain)
    escrow = bindings.EscrowContract(chain.w3, chain.escrow_address)
    tokens = {"ETH"} | ({chain.stablecoin_address} if chain.stablecoin_address else set())
    tokens |= set(session.exec(select(Payout.token).where(Payout.wallet == wallet)).all())
    credits: dict[str, int] = {}
    withdrawals: list[dict] = []
    for token in sorted(tokens):
        amount = chain.call(escrow.credit_of, wallet, None if token == "ETH" else token)
        credits[token] = amount
        if amount:
            tx = escrow.build_withdraw(None if token == "ETH" else token)
            unsigned: UnsignedTransaction = unsigned_transaction(tx, wallet)
            withdrawals.append(
                {
                    "token": token,
                    "amount": str(amount),
                    "transaction": unsigned.model_dump(by_alias=True),
                }
            )
    return {
        "wallet": wallet,
        "credits": {token: str(amount) for token, amount in credits.items()},
        "withdrawals": withdrawals,
    }
