"""Property-based fuzzing of every documented operation, generated from the app's own OpenAPI.

Each operation runs against a database that already holds two brands, three creators, requests,
offers (sent, accepted, declined) and a collaboration on a real escrow deployment:
- a sweep sends well-formed input as every role to every seeded id, so owners reach the 2xx
  paths and other tenants the 403/404 ones;
- then a bounded, derandomized (stable in CI) Hypothesis run sends generated input, valid and
  invalid, as any role, with path ids aimed at the seeded rows half the time.
Every response must be a non-5xx, documented status with the documented content type and
schema (errors: an RFC 9457 Problem).
"""

from __future__ import annotations

import itertools
import os
import random
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.collaborations.models import Action
from api.core.settings import Settings
from contracts import bindings
from tests.contracts.env import revert, snapshot
from tests.factories import (
    auth,
    brand_body,
    creator_body,
    offer_body,
    post_request,
    register_brand,
    register_creator,
    request_body,
)

OPERATOR_KEY = "operator-fuzz-key-0123456789"
# Generated requests per operation. The default keeps this module under two minutes on SQLite
# and PostgreSQL together, inside the CI budget; `FUZZ_EXAMPLES=500 make test` digs deeper.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "80"))
# Events and webhook endpoints (simple bodies, no chain) get half as many.
FEWER_EXAMPLES = {"/v1/events": MAX_EXAMPLES // 2, "/v1/webhook-endpoints": MAX_EXAMPLES // 2}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Who sends a generated request: the owner of the seeded rows, another tenant, a creator, the
# operator, or nobody (auth is part of what is fuzzed, not a precondition).
ROLES = ("brand", "other_brand", "creator", "other_creator", "operator", "anonymous")


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation, read from the schema the app publishes."""
    app = create_app(Settings(secret_key="collection-only-secret-key", _env_file=None))
    paths = app.openapi()["paths"]
    return [
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if path.startswith("/v1/") or path == "/health"
    ]


OPERATIONS = _operations()


def test_every_operation_is_fuzzed() -> None:
    """The parametrisation below follows the schema; a route outside /v1 would escape it."""
    assert ("GET", "/health") in OPERATIONS
    assert len(OPERATIONS) >= 20, OPERATIONS
    app = create_app(Settings(secret_key="collection-only-secret-key", _env_file=None))
    documented = {path for path in app.openapi()["paths"]}
    assert documented == {path for _, path in OPERATIONS}


@dataclass
class World:
    """The seeded rows, their keys, and the ids a path parameter may take."""

    client: TestClient
    keys: dict[str, str | None]
    ids: dict[str, list[str]] = field(default_factory=dict)
    creator_ids: list[str] = field(default_factory=list)
    signature: str = ""  # the creator's valid signature of the pending offer
    signer_key: bytes = b""  # the creator's wallet key
    counter_signature: str = ""  # the creator's valid signature of its unsigned counter
    brand_signature: str = ""  # the brand's valid signature of the creator's signed counter
    relay_body: dict = field(default_factory=dict)  # the creator's signed delivery, to relay
    settlement_body: dict = field(default_factory=dict)  # the brand's signed split, to post
    withdrawal_body: dict = field(default_factory=dict)  # the creator's signed Withdraw, to relay


@pytest.fixture(scope="session")
def fuzz_deployment(w3, dev_keys) -> bindings.Deployment:
    """Contracts of our own on the session chain, so typed data, accept and transactions run."""
    return bindings.deploy_local(w3, dev_keys[0])


def _sign(typed_data: dict, key: str) -> str:
    signed = Account.sign_message(encode_typed_data(full_message=typed_data), key)
    return "0x" + bytes(signed.signature).hex()


# Operations that need escrow v2's stablecoin deals seeded (one drafted, one funded with a
# permit): only their worlds pay for the extra chain transactions.
V2_DEAL_PATHS = ("/permit", "/relay")
# Operations that need a disputed deal (past its dispute deadline for the rule) or a credit.
DISPUTE_PATHS = ("/settlement", "/dispute-rule", "/credits/withdrawal")
WITHDRAW_TO = Account.create().address


def _stablecoin_deals(client, w3, deployment, brand, brand_signer, creator, signer) -> tuple:
    """A drafted stablecoin collaboration, a funded one, and the creator's signed delivery."""
    from api.chain.indexer import Indexer
    from api.dev.driver import DealDriver

    stable = deployment.stablecoin_address
    amount = 10**9
    fees = [{"amount": str(10**17), "token": "ETH"}, {"amount": "1", "token": stable}]
    paid_in_stablecoin = creator.patch("/v1/creators/me", json={"min_fees": fees})
    assert paid_in_stablecoin.status_code == 200, paid_in_stablecoin.text

    def accepted() -> dict:
        request = post_request(brand, budget={"amount": str(amount), "token": stable})
        body = offer_body(creator.id, amount=str(amount), token=stable)
        offer = brand.post(f"/v1/requests/{request['id']}/offers", json=body)
        assert offer.status_code == 201, offer.text
        offer_id = offer.json()["id"]
        typed = creator.get(f"/v1/offers/{offer_id}/typed-data").json()["typed_data"]
        deal = creator.post(
            f"/v1/offers/{offer_id}/accept", json={"signature": _sign(typed, signer.key)}
        )
        assert deal.status_code == 201, deal.text
        return deal.json()["collaboration"]

    drafted, funded = accepted(), accepted()
    w3.provider.make_request("anvil_setBalance", [brand_signer.address, hex(10**18)])
    brand_key = "0x" + bytes(brand_signer.key).hex()
    bindings.send(
        w3, bindings.Erc20(w3, stable).build_mint(brand_signer.address, amount), brand_key
    )
    DealDriver(client, w3).fund_with_permit(funded["id"], auth(brand.key), brand_key)
    state = client.app.state
    Indexer(engine=state.engine, chain=state.chain, start_block=deployment.start_block).catch_up()
    work = "https://example.org/reel"
    typed = creator.get(
        f"/v1/collaborations/{funded['id']}/relay/deliver", params={"deliverable": work}
    )
    assert typed.status_code == 200, typed.text
    relay_body = {
        "action": "deliver",
        "deliverable": work,
        "deadline": typed.json()["deadline"],
        "signature": _sign(typed.json()["typed_data"], signer.key),
    }
    return [drafted["id"], funded["id"]], relay_body


def _ended_deals(client, w3, deployment, path, brand, brand_signer, creator, signer) -> tuple:
    """For a dispute's or a credit's operation: a disputed ETH deal (with the brand's signed
    split, or past its dispute deadline for /dispute-rule) and a released one whose creator
    wallet refuses ETH (anvil code), so its payout is credited (with the signed Withdraw)."""
    from api.chain.indexer import Indexer
    from api.collaborations.service import DISPUTE_TIMEOUT_SECONDS
    from api.dev.driver import DealDriver
    from tests.contracts.env import advance

    driver = DealDriver(client, w3)
    brand_key, creator_key = ("0x" + bytes(a.key).hex() for a in (brand_signer, signer))
    w3.provider.make_request("anvil_setBalance", [brand_signer.address, hex(10**20)])
    state = client.app.state

    def index() -> None:
        Indexer(
            engine=state.engine, chain=state.chain, start_block=deployment.start_block
        ).catch_up()

    def delivered() -> str:
        request = post_request(brand)
        offered = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id))
        assert offered.status_code == 201, offered.text
        collaboration = driver.accept(offered.json()["id"], auth(creator.key), creator_key)
        collaboration_id = collaboration["collaboration"]["id"]
        driver.act(collaboration_id, "fund", auth(brand.key), brand_key)
        index()
        work = "https://example.org/reel"
        driver.relay_delivery(collaboration_id, auth(creator.key), creator_key, work)
        index()
        return collaboration_id

    disputed, released = delivered(), delivered()
    driver.act(disputed, "dispute", auth(brand.key), brand_key)
    refusing = bindings.deploy(w3, "RevertingPayee", private_key=brand_key)
    w3.provider.make_request("anvil_setCode", [signer.address, w3.eth.get_code(refusing).hex()])
    driver.act(released, "approve", auth(brand.key), brand_key)
    index()
    settlement = {}
    if "/dispute-rule" in path:
        advance(w3, DISPUTE_TIMEOUT_SECONDS)
    else:
        settlement = driver.signed_settlement(disputed, auth(brand.key), brand_key, 5_000)
    url = f"/v1/wallets/{signer.address}/credits/withdrawal"
    typed = client.get(url, params={"token": "ETH", "to": WITHDRAW_TO})
    assert typed.status_code == 200, typed.text
    withdrawal = {
        "token": "ETH",
        "to": WITHDRAW_TO,
        "nonce": int(typed.json()["nonce"]),
        "deadline": typed.json()["deadline"],
        "signature": _sign(typed.json()["typed_data"], signer.key),
    }
    return [disputed, released], settlement, withdrawal


@pytest.fixture
def world(request, database_url: str, anvil, w3, fuzz_deployment) -> Iterator[World]:
    path = request.node.callspec.params["path"]
    seeds_v2_deals = any(part in path for part in V2_DEAL_PATHS)
    seeds_disputes = any(part in path for part in DISPUTE_PATHS)
    settings_ = Settings(
        database_url=database_url,
        chain_rpc_url=anvil.rpc_url,
        escrow_address=fuzz_deployment.escrow_address,
        splitter_factory_address=fuzz_deployment.splitter_factory_address,
        stablecoin_address=fuzz_deployment.stablecoin_address,
        indexer_start_block=fuzz_deployment.start_block,
        operator_api_key=OPERATOR_KEY,
        secret_key="test-secret-key-0123456789",
        indexer_enabled=False,
        worker_enabled=False,
        webhook_allow_loopback=True,
        _env_file=None,
    )
    # A 500 must come back as a response the checks can judge, not as an exception.
    with TestClient(create_app(settings_), raise_server_exceptions=False) as client:
        brand_signer = Account.create()
        brand = register_brand(client, wallet=brand_signer.address)
        other_brand = register_brand(client)
        signer = Account.create()
        creator = register_creator(client, wallet=signer.address)
        other_creator = register_creator(client)
        spare = register_creator(client, **creator_body())
        request = post_request(brand)
        other_request = post_request(other_brand)
        spare_request = post_request(brand)

        def offer(to, req=request) -> dict:
            response = brand.post(f"/v1/requests/{req['id']}/offers", json=offer_body(to.id))
            assert response.status_code == 201, response.text
            assert response.json()["status"] == "sent", response.text
            return response.json()

        accepted = offer(creator)
        pending = offer(creator, spare_request)
        declined = offer(other_creator)
        typed = creator.get(f"/v1/offers/{accepted['id']}/typed-data")
        assert typed.status_code == 200, typed.text
        signature = _sign(typed.json()["typed_data"], signer.key)
        deal = creator.post(f"/v1/offers/{accepted['id']}/accept", json={"signature": signature})
        assert deal.status_code == 201, deal.text
        decline = other_creator.post(f"/v1/offers/{declined['id']}/decline", json={})
        assert decline.status_code == 200, decline.text
        # Two counter-offers by the creator: one to sign, one signed for the brand to accept.
        unsigned, countered = (offer(creator, post_request(brand)) for _ in range(2))
        counter_typed = {}
        for counter in (unsigned, countered):
            url = f"/v1/offers/{counter['id']}"
            answer = creator.post(f"{url}/counter", json={"amount": str(10**18)})
            assert answer.status_code == 201, answer.text
            counter_typed[counter["id"]] = creator.get(f"{url}/typed-data").json()["typed_data"]
        signed = creator.post(
            f"/v1/offers/{countered['id']}/counter/signature",
            json={"signature": _sign(counter_typed[countered["id"]], signer.key)},
        )
        assert signed.status_code == 200, signed.text
        typed = creator.get(f"/v1/offers/{pending['id']}/typed-data")
        assert typed.status_code == 200, typed.text
        hook = brand.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hook"})
        assert hook.status_code == 201, hook.text
        ping = brand.post(f"/v1/webhook-endpoints/{hook.json()['id']}/ping")
        assert ping.status_code == 202, ping.text
        split = creator.post("/v1/splits", json=_split_body(creator.id))
        assert split.status_code == 201, split.text
        charity = brand.post("/v1/charities", json=_charity_body())
        assert charity.status_code == 201, charity.text
        v2_ids, relay_body = [], {}
        if seeds_v2_deals:
            v2_ids, relay_body = _stablecoin_deals(
                client, w3, fuzz_deployment, brand, brand_signer, creator, signer
            )

        settlement_body, withdrawal_body, before = {}, {}, None
        if seeds_disputes:
            # The dispute rule's world moves the chain's clock 30 days: put back after the test.
            before = snapshot(w3)
            ended_ids, settlement_body, withdrawal_body = _ended_deals(
                client, w3, fuzz_deployment, path, brand, brand_signer, creator, signer
            )
            v2_ids = [*v2_ids, *ended_ids]

        yield World(
            client=client,
            keys={
                "brand": brand.key,
                "other_brand": other_brand.key,
                "creator": creator.key,
                "other_creator": other_creator.key,
                "operator": OPERATOR_KEY,
                "anonymous": None,
            },
            ids={
                "request_id": [request["id"], spare_request["id"], other_request["id"]],
                "offer_id": [
                    accepted["id"],
                    pending["id"],
                    declined["id"],
                    unsigned["id"],
                    countered["id"],
                ],
                "collaboration_id": [deal.json()["collaboration"]["id"], *v2_ids],
                "address": [signer.address, brand.data["wallet"]],
                "creator_id": [creator.id, other_creator.id, spare.id],
                "endpoint_id": [hook.json()["id"]],
                "delivery_id": [ping.json()["id"]],
                "split_id": [split.json()["id"]],
                "charity_id": [charity.json()["id"]],
            },
            creator_ids=[creator.id, other_creator.id, spare.id],
            signature=_sign(typed.json()["typed_data"], signer.key),
            signer_key=signer.key,
            counter_signature=_sign(counter_typed[unsigned["id"]], signer.key),
            brand_signature=_sign(counter_typed[countered["id"]], brand_signer.key),
            relay_body=relay_body,
            settlement_body=settlement_body,
            withdrawal_body=withdrawal_body,
        )
        if before is not None:
            revert(w3, before)


def _split_body(creator_id: str) -> dict:
    designer = {"role": "designer", "name": "Ana", "wallet": Account.create().address}
    return {
        "payees": [
            {"role": "creator", "creator_id": creator_id, "share_bps": 9000},
            designer | {"share_bps": 1000},
        ]
    }


def _charity_body() -> dict:
    return {
        "name": "Refuge des Monts",
        "country": "FR",
        "registration_number": f"W{random.randrange(10**9)}",
        "wallets": [Account.create().address],
    }


def _aim(case, world: World, rng: random.Random) -> None:
    """Point some generated ids at real rows (half the time), so the fuzzing reaches past 404."""
    for name in list(case.path_parameters or {}):
        known = world.ids.get(name)
        if known and rng.random() < 0.5:
            case.path_parameters[name] = rng.choice(known)
    if isinstance(case.body, dict) and "creator_id" in case.body and rng.random() < 0.5:
        case.body["creator_id"] = rng.choice(world.creator_ids)


def _headers(case, role: str, world: World) -> dict[str, str]:
    headers = {
        name: value
        for name, value in (case.headers or {}).items()
        if name.lower() != "authorization"
    }
    key = world.keys[role]
    return headers | auth(key) if key else headers


def _httpx_kwargs(case) -> dict:
    """schemathesis speaks `requests`; the TestClient is httpx (raw bodies go as `content`)."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    if not kwargs.pop("cookies", None):
        kwargs["headers"].pop("Cookie", None)
    if isinstance(kwargs.get("data"), str | bytes):
        kwargs["content"] = kwargs.pop("data")
    return kwargs


def _rotation(world: World) -> dict:
    """A fresh EIP-4361 message for the creator's wallet, signed by it."""
    wallet = Account.from_key(world.signer_key).address
    message = world.client.post("/v1/keys/nonce", json={"wallet": wallet}).json()["message"]
    signed = Account.sign_message(encode_defunct(text=message), world.signer_key)
    return {"message": message, "signature": "0x" + bytes(signed.signature).hex()}


def _valid_input(world: World) -> dict[tuple[str, str], dict]:
    """A well-formed body or query per operation, so the sweep gets past validation."""
    return {
        ("POST", "/v1/keys/rotate"): {"body": _rotation(world)},
        ("POST", "/v1/brands"): {"body": brand_body()},
        ("POST", "/v1/creators"): {"body": creator_body()},
        ("PATCH", "/v1/brands/me"): {"body": {"description": "Cosmétiques véganes."}},
        ("PATCH", "/v1/creators/me"): {"body": {"bio": "Je défends la cause animale."}},
        ("POST", "/v1/requests"): {"body": request_body()},
        ("POST", "/v1/values/interpret"): {
            "body": {"text": "sans huile de palme", "role": "practice"}
        },
        ("GET", "/v1/requests/{request_id}/matches"): {"query": {"limit": 5, "diversify": True}},
        ("POST", "/v1/requests/{request_id}/offers"): {"body": offer_body(world.creator_ids[2])},
        ("POST", "/v1/offers/{offer_id}/decline"): {"body": {"reason": "not for me"}},
        ("POST", "/v1/offers/{offer_id}/accept"): {"body": {"signature": world.signature}},
        ("POST", "/v1/offers/{offer_id}/counter"): {"body": {"amount": str(3 * 10**17)}},
        ("POST", "/v1/offers/{offer_id}/counter/signature"): {
            "body": {"signature": world.counter_signature}
        },
        ("POST", "/v1/offers/{offer_id}/counter/accept"): {
            "body": {"signature": world.brand_signature}
        },
        ("POST", "/v1/offers/{offer_id}/counter/decline"): {"body": {"reason": "over budget"}},
        ("POST", "/v1/webhook-endpoints"): {"body": {"url": "http://127.0.0.1:9/other"}},
        ("PATCH", "/v1/webhook-endpoints/{endpoint_id}"): {"body": {"description": "ERP"}},
        ("POST", "/v1/splits"): {"body": _split_body(world.creator_ids[0])},
        ("POST", "/v1/splits/consent"): {"body": _split_body(world.creator_ids[0])},
        ("POST", "/v1/charities"): {"body": _charity_body()},
        ("POST", "/v1/charities/{charity_id}/verification"): {"body": {"status": "verified"}},
        ("GET", "/v1/collaborations/{collaboration_id}/transactions/{action}"): {
            "query": {"deliverable": "https://example.org/reel", "payee_share_bps": 5000}
        },
        ("GET", "/v1/collaborations/{collaboration_id}/relay/deliver"): {
            "query": {"deliverable": "https://example.org/reel"}
        },
        ("POST", "/v1/collaborations/{collaboration_id}/relay"): {"body": world.relay_body},
        ("GET", "/v1/collaborations/{collaboration_id}/settlement"): {
            "query": {"payee_share_bps": 5_000}
        },
        ("POST", "/v1/collaborations/{collaboration_id}/settlement"): {
            "body": world.settlement_body
        },
        ("GET", "/v1/wallets/{address}/credits/withdrawal"): {
            "query": {"token": "ETH", "to": WITHDRAW_TO}
        },
        ("POST", "/v1/wallets/{address}/credits/withdrawal"): {"body": world.withdrawal_body},
    }


def _sweep(world: World, operation) -> list[str]:
    """Every role against every seeded id (and every `action`), with well-formed input: the
    owner's 2xx, the other tenant's 404, the wrong role's 403 must all match the schema."""
    method, path = operation.method.upper(), operation.path
    names = [parameter.name for parameter in operation.path_parameters]
    choices = {name: world.ids.get(name, []) for name in names}
    choices["action"] = list(typing.get_args(Action)) if "action" in names else []
    assert all(choices[name] for name in names), f"no seeded value for {names} in {path}"
    given_input = _valid_input(world).get((method, path), {})
    failures: list[str] = []
    statuses: set[int] = set()
    for role, values in itertools.product(ROLES, itertools.product(*(choices[n] for n in names))):
        key = world.keys[role]
        case = operation.Case(
            path_parameters=dict(zip(names, values, strict=True)),
            query=given_input.get("query"),
            body=given_input.get("body", schemathesis.core.NOT_SET),
            headers=auth(key) if key else {},
            media_type="application/json" if "body" in given_input else None,
        )
        response = world.client.request(**_httpx_kwargs(case))
        statuses.add(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # noqa: BLE001 - collect them all: one report per operation
            failures.append(f"seeded rows, as {role}: {exc}")
    if not any(200 <= status < 300 for status in statuses):
        failures.append(f"no role got a 2xx from {method} {path} with valid input: {statuses}")
    return failures


def examples(path: str) -> int:
    return next(
        (count for prefix, count in FEWER_EXAMPLES.items() if path.startswith(prefix)),
        MAX_EXAMPLES,
    )


def _fuzz(world: World, operation) -> list[int]:
    """Generated input (valid and invalid), any role, ids aimed at seeded rows half the time."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    sent: list[int] = []

    @settings(
        max_examples=examples(operation.path),
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, role=st.sampled_from(ROLES), seed=st.integers(0, 2**32 - 1))
    def fuzz(case, role: str, seed: int) -> None:
        _aim(case, world, random.Random(seed))
        case.headers = _headers(case, role, world)
        response = world.client.request(**_httpx_kwargs(case))
        sent.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    fuzz()
    return sent


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_its_schema(world: World, method: str, path: str) -> None:
    """No 5xx, only documented statuses, content types and bodies (errors as Problems)."""
    schema = schemathesis.openapi.from_dict(world.client.app.openapi())
    operation = schema[path][method]
    failures = _sweep(world, operation)
    try:
        sent = _fuzz(world, operation)
        wanted = examples(path)
        assert len(sent) >= wanted, f"only {len(sent)} generated requests were sent"
    except Exception as exc:  # noqa: BLE001 - report the sweep's findings, not only the first
        failures.append(f"fuzzing: {exc}")
    assert not failures, "\n\n".join(failures)
