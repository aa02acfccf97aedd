"""Helpers for tests and demos on a dev chain: actors, a deployed environment, time travel.

Not used by the application. Times are always read from the chain (never assumed), so code built
on these helpers stays correct on a shared chain whose clock other tests have moved forward.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from web3 import Web3

from contracts import bindings
from contracts.bindings import DealTerms, Erc20, EscrowContract, send

DAY = 24 * 60 * 60
HOUR = 60 * 60
ONE_ETH = 10**18
ONE_USD = 10**6  # the test stablecoin has 6 decimals


class BlocklistToken(Erc20):
    """Test token that refuses transfers to or from blocked addresses."""

    contract_name = "BlocklistToken"

    def build_set_blocked(self, account: str, blocked: bool):
        return self._tx("setBlocked", Web3.to_checksum_address(account), blocked)


@dataclass
class Actor:
    key: str
    address: str


@dataclass
class Env:
    w3: Web3
    escrow: EscrowContract
    stablecoin: Erc20
    fee_token: Erc20
    blocklist_token: BlocklistToken
    factory: bindings.SplitterFactoryContract
    owner: Actor
    brand: Actor
    creator: Actor
    designer1: Actor
    designer2: Actor
    charity: Actor
    arbiter: Actor
    treasury: Actor
    stranger: Actor
    other: Actor
    chain_id: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def payees(self) -> tuple[str, ...]:
        return (
            self.creator.address,
            self.designer1.address,
            self.designer2.address,
            self.charity.address,
        )

    def now(self) -> int:
        """Mine an empty block and return its timestamp: the chain's 'now' for the next tx."""
        mine(self.w3)
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def terms(self, **overrides: Any) -> DealTerms:
        """Default deal: 1 ETH in one milestone due in 7 days, creator 70% + two designers 10%
        each + a charity 10%, 2.5% fee; a dispute left 30 days ends by an even split.
        ``deliver_by`` (one milestone of the whole amount) is accepted in place of
        ``milestones``."""
        now = self.now()
        amount = overrides.get("amount", ONE_ETH)
        deliver_by = overrides.pop("deliver_by", now + 7 * DAY)
        values: dict[str, Any] = {
            "salt": bindings.new_salt(),
            "brand": self.brand.address,
            "creator": self.creator.address,
            "token": "ETH",
            "amount": ONE_ETH,
            "payees": self.payees,
            "shares_bps": (7000, 1000, 1000, 1000),
            "milestones": ((amount, deliver_by),),
            "platform_fee_bps": 250,
            "review_period": 3 * DAY,
            "dispute_timeout": 30 * DAY,
            "dispute_rule_payee_bps": 5_000,
            "terms_hash": b"\x42" * 32,
            "is_virtual": True,
            "signature_expiry": now + DAY,
        }
        values.update(overrides)
        return DealTerms(**values)

    def sign(self, terms: DealTerms, key: str | None = None) -> bytes:
        return terms.sign(key or self.creator.key, self.chain_id, self.escrow.address)

    def fund_tokens(self, token: Erc20, actor: Actor, amount: int) -> None:
        send(self.w3, token.build_mint(actor.address, amount), actor.key)
        send(self.w3, token.build_approve(self.escrow.address, amount), actor.key)

    def create(self, terms: DealTerms, signature: bytes | None = None, sender: Actor | None = None):
        """Fund a deal as the brand (minting + approving first for ERC-20 deals)."""
        sender = sender or self.brand
        if not terms.is_eth:
            self.fund_tokens(Erc20(self.w3, terms.token), sender, terms.amount)
        signature = self.sign(terms) if signature is None else signature
        return send(self.w3, self.escrow.build_create_deal(terms, signature), sender.key)

    def deliver(self, terms: DealTerms, sender: Actor | None = None, milestone: int = 0):
        tx = self.escrow.build_mark_delivered(terms.deal_id, b"\x07" * 32, milestone)
        return send(self.w3, tx, (sender or self.creator).key)

    def eth_balance(self, address: str) -> int:
        return int(self.w3.eth.get_balance(address))

    def deploy_test(self, name: str, *args: Any) -> Any:
        address = bindings.deploy(self.w3, name, *args, private_key=self.owner.key)
        return self.w3.eth.contract(address=address, abi=bindings.abi_of(name))


def resized(
    terms: DealTerms, amount: int | None = None, deliver_by: int | None = None
) -> DealTerms:
    """The one-milestone terms with another amount and/or deadline (the milestone follows)."""
    amount = terms.amount if amount is None else amount
    deliver_by = terms.deliver_by if deliver_by is None else deliver_by
    return terms.with_changes(amount=amount, milestones=((amount, deliver_by),))


def mine(w3: Web3) -> None:
    w3.provider.make_request("evm_mine", [])


def advance(w3: Web3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [int(seconds)])
    mine(w3)


def set_eth_balance(w3: Web3, address: str, wei: int) -> None:
    """Give an account any ETH balance (anvil), e.g. for amounts beyond the dev accounts' 10,000."""
    w3.provider.make_request("anvil_setBalance", [Web3.to_checksum_address(address), hex(wei)])


def gas_cost(receipt: Any) -> int:
    return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])


def event_names(receipt: Any, contract_name: str = "CollabEscrow") -> list[str]:
    return [event.name for event in bindings.events_in_receipt(receipt, contract_name)]


def deploy_env(w3: Web3, keys: Sequence[str]) -> Env:
    """Deploy escrow (fee cap 500 bps), splitter factory, stablecoin and the test tokens.

    Actors by key index: 0 owner, 1 brand, 2 creator, 3-4 designers, 5 charity, 6 arbiter,
    7 treasury, 8 stranger, 9 other.
    """
    actors = [Actor(key, Account.from_key(key).address) for key in keys]
    owner, brand, creator, designer1, designer2, charity, arbiter, treasury, stranger, other = (
        actors
    )
    deployment = bindings.deploy_local(
        w3, owner.key, arbiter=arbiter.address, treasury=treasury.address, fee_cap_bps=500
    )
    fee_token = bindings.deploy(w3, "FeeOnTransferToken", private_key=owner.key)
    blocklist_token = bindings.deploy(w3, "BlocklistToken", private_key=owner.key)
    return Env(
        w3=w3,
        escrow=EscrowContract(w3, deployment.escrow_address),
        stablecoin=Erc20(w3, deployment.stablecoin_address),
        fee_token=Erc20(w3, fee_token),
        blocklist_token=BlocklistToken(w3, blocklist_token),
        factory=bindings.SplitterFactoryContract(w3, deployment.splitter_factory_address),
        owner=owner,
        brand=brand,
        creator=creator,
        designer1=designer1,
        designer2=designer2,
        charity=charity,
        arbiter=arbiter,
        treasury=treasury,
        stranger=stranger,
        other=other,
        chain_id=int(w3.eth.chain_id),
        extra={"deployment": deployment},
    )


def snapshot(w3: Web3) -> str:
    return w3.provider.make_request("evm_snapshot", [])["result"]


def revert(w3: Web3, snapshot_id: str) -> None:
    w3.provider.make_request("evm_revert", [snapshot_id])
    mine(w3)  # so 'latest' carries any time offset left behind


def reorg_to(w3: Web3, fork: str) -> None:
    """Replace every block since the snapshot ``fork`` by a longer chain of empty blocks: what
    those blocks held is orphaned, as in a reorg."""
    orphaned_head = w3.eth.block_number
    w3.provider.make_request("evm_revert", [fork])
    while w3.eth.block_number <= orphaned_head:
        mine(w3)
