"""Demo data for the local chain, and `collab demo`: the whole flow in one command.

Demo accounts use anvil's well-known development keys, so anyone can sign as them locally.
They exist only on a local chain; nothing here runs against a public network.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eth_account import Account
from eth_utils import keccak
from sqlmodel import Session, select

from api.brands import service as brands
from api.brands.models import Brand, BrandCreate
from api.charities.models import Charity, CharityWallet
from api.core.auth import hash_api_key, new_api_key
from api.core.deployment import load_deployment
from api.core.settings import Settings
from api.creators import service as creators
from api.creators.models import Creator, CreatorCreate
from api.kit.time import utcnow
from api.kit.types import WEI_PER_ETH, new_id
from api.match_index import SharedIndex
from contracts.localchain import DEV_PRIVATE_KEYS


def dev_address(index: int) -> str:
    return Account.from_key(DEV_PRIVATE_KEYS[index]).address


def _sports_couple_wallet() -> str:
    # Not a dev account: the couple gets paid, but never signs in the demo.
    return Account.from_key("0x" + "5c" * 32).address


def demo_key(name: str) -> str:
    """A demo wallet beyond anvil's ten: derived from a public name, so as public as those (the
    virtual sports creators sign split consents with theirs; nobody else uses them)."""
    return "0x" + keccak(text=f"collab demo wallet {name}").hex()


def demo_wallet(name: str) -> str:
    return Account.from_key(demo_key(name)).address


# Registry charities of the demo, verified as the operator would after checking them.
DEMO_CHARITIES = (
    ("Refuge des Monts", "W691000001", "https://refuge-des-monts.example", 5),
    ("SOS Homophobie", "W751000002", "https://sos-homophobie.example", 9),
    ("Sport Pour Tous", "W131000003", "https://sport-pour-tous.example", "sport-pour-tous"),
)


def charity_wallet(key: int | str) -> str:
    return dev_address(key) if isinstance(key, int) else demo_wallet(key)


def seed_charities(session: Session) -> None:
    for name, number, website, key in DEMO_CHARITIES:
        wallet = charity_wallet(key)
        if session.get(CharityWallet, wallet) is not None:
            continue
        charity = Charity(
            id=new_id("cha"),
            name=name,
            country="FR",
            registration_number=number,
            website=website,
            status="verified",
            status_note="demo: checked by the operator",
            verified_at=utcnow(),
            registered_by="operator",
        )
        session.add(charity)
        session.flush()
        session.add(CharityWallet(address=wallet, charity_id=charity.id))
    session.flush()


@dataclass(frozen=True)
class DemoAccount:
    role: str
    handle: str
    name: str
    id: str
    api_key: str
    wallet: str
    key_index: int | None


def _identity(legal_name: str, postal_address: str, mailbox: str) -> dict:
    """What the written contract names (loi 2023-451 art. 8); fictional, like the rest."""
    return {
        "legal_name": legal_name,
        "postal_address": postal_address,
        "email": f"{mailbox}@demo.example",
        "tax_country": "FR",
    }


def _brands() -> list[tuple[str, int, dict]]:
    return [
        (
            "douce-nature",
            1,
            {
                "name": "Douce Nature",
                "description": "Cosmétiques véganes, jamais testés sur les animaux.",
                "values": ["cruelty-free", "vegan", "zero waste"],
                "practices": [],
                **_identity("Douce Nature SAS", "14 rue des Lilas, 69003 Lyon", "douce-nature"),
            },
        ),
        (
            "graines-and-co",
            6,
            {
                "name": "Graines & Co",
                "description": "Plant-based food: oat drinks and lentil snacks, organic and local.",
                "values": ["plant-based", "organic food", "local food"],
                "practices": [],
                **_identity("Graines & Co SARL", "2 allée du Moulin, 44000 Nantes", "graines"),
            },
        ),
        (
            "stride",
            7,
            {
                "name": "Stride",
                "description": "Running shoes for every body, adaptive models for para athletes.",
                "values": ["sport for everyone", "inclusion", "sport"],
                "practices": ["leather"],
                **_identity("Stride SAS", "40 avenue Jean Jaurès, 31000 Toulouse", "stride"),
            },
        ),
    ]


def _creators(stablecoin: str | None) -> list[tuple[str, int | str | None, dict]]:
    def fees(eth: int, usd: int) -> list[dict]:
        items = [{"amount": str(eth), "token": "ETH"}]
        if stablecoin:
            items.append({"amount": str(usd * 10**6), "token": stablecoin})
        return items

    def audience(platform: str, followers: int, rate: float, countries: list[str]) -> dict:
        return {platform: {"followers": followers, "engagement_rate": rate, "countries": countries}}

    return [
        (
            "luna_verde",
            2,
            {
                "display_name": "Luna Verde",
                "bio": "Influenceuse virtuelle engagée pour la cause animale : cosmétiques "
                "cruelty-free, cuisine végétale, adoption en refuge. #vegan #crueltyfree",
                "is_virtual": True,
                "operator": "Studio Lumen SAS (Ana Duarte et Ben Morel)",
                "languages": ["fr", "en"],
                "audience": audience("instagram", 180_000, 0.052, ["FR", "BE", "CA"])
                | audience("tiktok", 95_000, 0.071, ["FR"]),
                "values": ["animal welfare", "veganism", "cruelty-free", "animal-rescue"],
                "dealbreakers": ["animal testing", "fur", "leather"],
                "min_fees": fees(WEI_PER_ETH // 20, 150),
                "split": {
                    "creator_share_bps": 7000,
                    "designers": [
                        {
                            "name": "Ana Duarte (design)",
                            "wallet": dev_address(3),
                            "share_bps": 1250,
                        },
                        {"name": "Ben Morel (3D)", "wallet": dev_address(4), "share_bps": 1250},
                    ],
                    "charities": [
                        {"name": "Refuge des Monts", "wallet": dev_address(5), "share_bps": 500}
                    ],
                },
                "screening": {"min_alignment": 0.3},
                # A virtual creator contracts through its operator.
                **_identity("Studio Lumen SAS", "8 rue Oberkampf, 75011 Paris", "studio-lumen"),
            },
        ),
        (
            "alex_pride",
            8,
            {
                "display_name": "Alex Martin",
                "bio": "LGBTQ+ rights, inclusion and queer joy. Fierté et visibilité.",
                "languages": ["fr", "en"],
                "audience": audience("youtube", 240_000, 0.038, ["FR", "US", "GB"]),
                "values": ["LGBTQ+ rights", "inclusion", "mental health"],
                "dealbreakers": ["weapons", "gambling"],
                "min_fees": fees(WEI_PER_ETH // 10, 300),
                "split": {
                    "creator_share_bps": 9000,
                    "designers": [],
                    "charities": [
                        {"name": "SOS Homophobie", "wallet": dev_address(9), "share_bps": 1000}
                    ],
                },
                **_identity("Alex Martin", "5 rue de la Roquette, 75011 Paris", "alex-pride"),
            },
        ),
        (
            "papa_sam",
            9,
            {
                "display_name": "Papa Sam",
                "bio": "Père au foyer, paternité active et congé paternité pour tous. #papa",
                "languages": ["fr"],
                "audience": audience("instagram", 60_000, 0.061, ["FR"]),
                "values": ["fatherhood", "education", "mental health"],
                "dealbreakers": ["alcohol", "gambling", "sugary drinks"],
                "min_fees": fees(WEI_PER_ETH // 50, 60),
                "split": {"creator_share_bps": 10_000, "designers": [], "charities": []},
                **_identity("Samuel Petit", "9 place du Marché, 35000 Rennes", "papa-sam"),
            },
        ),
        *_sports_couple(fees, audience),
        (
            "duo_run",
            None,
            {
                "display_name": "Léa & Karim — Duo Run",
                "bio": "A couple running marathons with a wheelchair racer: sport for everyone.",
                "languages": ["fr", "en"],
                "audience": audience("instagram", 320_000, 0.029, ["FR", "MA", "BE"])
                | audience("youtube", 80_000, 0.041, ["FR"]),
                "values": ["sport for everyone", "sport", "disability inclusion"],
                "dealbreakers": ["tobacco", "fossil fuels"],
                "min_fees": fees(WEI_PER_ETH // 5, 600),
                "split": {"creator_share_bps": 10_000, "designers": [], "charities": []},
                **_identity("Duo Run SAS", "3 quai de la Joliette, 13002 Marseille", "duo-run"),
            },
        ),
    ]


SPORTS_OPERATOR = "Studio Foulée SAS (Inès Roy et Tom Blanc)"
SPORTS_DESIGNERS = (("Inès Roy (3D)", "ines-roy"), ("Tom Blanc (motion)", "tom-blanc"))


def _sports_couple(fees, audience) -> list[tuple[str, str, dict]]:
    """Two virtual sports influencers, a couple, run by one operator; their co-branded
    collection's revenue is shared with their designers and a charity (`collab demo
    --collection`)."""
    split = {
        "creator_share_bps": 8500,
        "designers": [
            {"name": name, "wallet": demo_wallet(key), "share_bps": 500}
            for name, key in SPORTS_DESIGNERS
        ],
        "charities": [
            {"name": "Sport Pour Tous", "wallet": demo_wallet("sport-pour-tous"), "share_bps": 500}
        ],
    }
    common = {
        "is_virtual": True,
        "operator": SPORTS_OPERATOR,
        "languages": ["fr", "en"],
        "dealbreakers": ["tobacco", "fossil fuels"],
        "min_fees": fees(WEI_PER_ETH // 10, 300),
        "split": split,
        "screening": {"min_alignment": 0.1},
        **_identity("Studio Foulée SAS", "21 rue du Stade, 69007 Lyon", "studio-foulee"),
    }
    return [
        (
            "nova_run",
            "nova_run",
            {
                "display_name": "Nova Run",
                "bio": "Virtual runner: marathons, trail and sport for everyone. Coureuse "
                "virtuelle, le sport pour tous.",
                "audience": audience("instagram", 210_000, 0.047, ["FR", "BE", "CH"]),
                "values": ["sport for everyone", "sport", "inclusion"],
                **common,
            },
        ),
        (
            "kai_run",
            "kai_run",
            {
                "display_name": "Kai Run",
                "bio": "Virtual para-athlete: wheelchair racing and adaptive sport. Para-athlète "
                "virtuel, le handisport pour tous.",
                "audience": audience("instagram", 150_000, 0.052, ["FR", "MA"]),
                "values": ["sport for everyone", "disability inclusion", "sport"],
                **common,
            },
        ),
    ]


def seed_demo(*, session: Session, index: SharedIndex, settings: Settings) -> list[DemoAccount]:
    """Create the demo accounts once, and give each a fresh random key at every call (the previous
    key stops working): every start prints keys that work, and none derives from public values."""
    deployment = load_deployment(settings)
    seed_charities(session)
    accounts: list[DemoAccount] = []
    for handle, key_index, body in _brands():
        api_key, wallet = new_api_key("brand"), dev_address(key_index)
        row = session.exec(
            select(Brand).where(Brand.wallet == wallet, Brand.name == body["name"])
        ).first()
        if row is None:
            data = BrandCreate(**body, wallet=wallet)
            brand_id = brands.register_brand(
                session=session, deployment=deployment, data=data, api_key=api_key
            ).id
        else:
            row.api_key_hash = hash_api_key(api_key)
            session.add(row)
            brand_id = row.id
        accounts.append(
            DemoAccount("brand", handle, body["name"], brand_id, api_key, wallet, key_index)
        )
    for handle, key_index, body in _creators(settings.stablecoin_address):
        api_key = new_api_key("creator")
        if isinstance(key_index, str):
            wallet, key_index = demo_wallet(key_index), None
        else:
            wallet = dev_address(key_index) if key_index is not None else _sports_couple_wallet()
        row = session.exec(select(Creator).where(Creator.handle == handle)).first()
        if row is None:
            data = CreatorCreate(**body, handle=handle, wallet=wallet)
            creator_id = creators.register_creator(
                session=session, index=index, deployment=deployment, data=data, api_key=api_key
            ).id
        else:
            row.api_key_hash = hash_api_key(api_key)
            session.add(row)
            creator_id = row.id
        accounts.append(
            DemoAccount(
                "creator", handle, body["display_name"], creator_id, api_key, wallet, key_index
            )
        )
    session.commit()
    return accounts


def try_it_text(accounts: list[DemoAccount], base_url: str) -> str:
    brand = next(a for a in accounts if a.role == "brand")
    creator = next(a for a in accounts if a.handle == "luna_verde")
    deadline = (datetime.now(UTC) + timedelta(days=60)).strftime("%Y-%m-%dT00:00:00Z")
    lines = [
        "",
        "Demo accounts (local chain only; wallets are anvil's public development keys; the API"
        " keys are new at every start):",
    ]
    for account in accounts:
        key = f"dev key #{account.key_index}" if account.key_index is not None else "no key"
        lines.append(
            f"  {account.role:<7} {account.name:<24} api_key={account.api_key}  "
            f"wallet={account.wallet} ({key})"
        )
    lines += [
        "",
        "Try it:",
        f"  export API={base_url} BRAND={brand.api_key} CREATOR={creator.api_key}",
        '  curl -s $API/v1/me -H "authorization: Bearer $BRAND"',
        '  curl -s $API/v1/requests -H "authorization: Bearer $BRAND" '
        "-H 'content-type: application/json' "
        '-d \'{"title": "Rouge à lèvres vegan", "description": "Nous cherchons des créateurs '
        'engagés pour la cause animale, sans test sur les animaux.", "budget": {"amount": '
        f'"200000000000000000", "token": "ETH"}}, "deliverables": [{{"platform": '
        f'"instagram", "format": "reel", "count": 2}}], "deadline": "{deadline}"}}\'',
        '  curl -s "$API/v1/requests/<request id>/matches" -H "authorization: Bearer $BRAND"',
        '  curl -s $API/v1/offers -H "authorization: Bearer $CREATOR"',
        "Or run the whole flow, signatures and payouts included: .venv/bin/collab demo",
        f"Or open the web app, {base_url}/, with a browser wallet on the local chain (chain id "
        "31337, RPC http://127.0.0.1:8545 by default) holding dev key #1 (the brand) or #2 "
        "(Luna Verde): see the README",
        "",
    ]
    return "\n".join(lines)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("the chain indexer did not catch up in time")


def lipstick_brief(*, amount: int, token: str, deadline_days: float = 45) -> dict:
    """The French brief of the demo's cosmetics brand (also the end-to-end tests' brief)."""
    deadline = datetime.now(UTC) + timedelta(days=deadline_days)
    return {
        "title": "Rouge à lèvres vegan et cruelty-free",
        "description": "Nous lançons un rouge à lèvres vegan, sans test sur les animaux. "
        "Nous cherchons des créateurs engagés pour la cause animale.",
        "budget": {"amount": str(amount), "token": token},
        "deliverables": [{"platform": "instagram", "format": "reel", "count": 2}],
        "deadline": deadline.isoformat(),
        "audience": {"languages": ["fr"], "platforms": ["instagram"]},
    }
