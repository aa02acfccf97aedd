"""What wallets received from deals, and what they can still withdraw."""

from __future__ import annotations

from sqlmodel import Session, select

from api.chain.client import ChainClient
from api.collaborations.service import require_chain, unsigned_transaction
from api.core.deployment import Deployment
from api.kit.types import ETH
from api.payouts.models import Payout, PayoutPublic
from contracts import bindings

RECEIVED = ("paid", "credited", "fee", "refund")


def received_totals(*, session: Session, deployment: Deployment, wallet: str) -> list[dict]:
    """What a wallet received, per token the deployment knows: the exact amount in the token's
    smallest unit and the same in whole tokens with its symbol. Anyone can emit "payouts" of a
    token of their own making; those stay in the list of items but are never counted."""
    totals: dict[str, int] = {}
    received = select(Payout.token, Payout.amount).where(
        Payout.wallet == wallet, Payout.kind.in_(RECEIVED)
    )
    # Summed in Python: amounts are exact decimal strings (uint256 exceeds SQL integer types).
    for token, amount in session.exec(received):
        if deployment.known(token):
            totals[token] = totals.get(token, 0) + int(amount)
    return [
        {
            "token": token,
            "symbol": known.symbol,
            "decimals": known.decimals,
            "amount": str(amount),
            "amount_human": known.human(amount),
        }
        for token, known in deployment.tokens.items()  # ETH first, then as configured
        if (amount := totals.get(token)) is not None
    ]


def wallet_payouts(
    *, session: Session, deployment: Deployment, wallet: str, limit: int, cursor: int | None
) -> dict:
    statement = select(Payout).where(Payout.wallet == wallet)
    if cursor is not None:
        statement = statement.where(Payout.id < cursor)
    rows = list(session.exec(statement.order_by(Payout.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    received = received_totals(session=session, deployment=deployment, wallet=wallet)
    return {
        "wallet": wallet,
        "items": [PayoutPublic.of(row) for row in rows],
        "next_cursor": str(rows[-1].id) if more else None,
        # token -> exact amount, for the tokens the deployment knows (details in `received`)
        "totals": {total["token"]: total["amount"] for total in received},
        "received": received,
    }


def wallet_credits(
    *, session: Session, chain: ChainClient | None, wallet: str, to: str | None = None
) -> dict:
    """Amounts the escrow holds for a wallet that could not take a push (a reverting contract,
    a blocklisted address), read from the chain, each with the unsigned withdraw transaction.

    With `to`, each also gets a `withdrawTo(token, to)` transaction: a wallet that refuses ETH
    cannot take it through `withdraw` either, but can send it elsewhere.
    """
    chain = require_chain(chain)
    escrow = bindings.EscrowContract(chain.w3, chain.escrow_address)
    tokens = {ETH} | ({chain.stablecoin_address} if chain.stablecoin_address else set())
    tokens |= set(session.exec(select(Payout.token).where(Payout.wallet == wallet)).all())
    credits: dict[str, int] = {}
    withdrawals: list[dict] = []
    for token in sorted(tokens):
        erc20 = None if token == ETH else token
        amount = chain.ask(escrow.credit_of, wallet, erc20)
        credits[token] = amount
        if amount:
            withdrawal = {
                "token": token,
                "amount": str(amount),
                "transaction": _unsigned(escrow.build_withdraw(erc20), wallet),
            }
            if to is not None:
                withdrawal["withdraw_to"] = {
                    "to": to,
                    "transaction": _unsigned(escrow.build_withdraw_to(erc20, to), wallet),
                }
            withdrawals.append(withdrawal)
    return {
        "wallet": wallet,
        "credits": {token: str(amount) for token, amount in credits.items()},
        "withdrawals": withdrawals,
    }


def _unsigned(tx: dict, sender: str) -> dict:
    return unsigned_transaction(tx, sender).model_dump(by_alias=True)
