"""Webhooks: latency from a chain event to the receiver, and the worker's throughput.

Run: ``python bench/webhooks.py`` (``--deals 8 --messages 2000``).

Everything runs here, on loopback: anvil with the contracts deployed, a fresh SQLite database
migrated by Alembic, the app in-process with its lifespan (the background indexer and webhook
worker `collab serve` runs, at their default poll intervals unless told otherwise), and a
receiver (a threaded HTTP server that records what arrives).

1. Latency: deals driven through the API; after each chain transaction (fund, deliver,
   approve) the time until the webhook arrives. Baseline in the same run: the time until the
   API itself shows the new status (GET polled every 5 ms), i.e. the indexer's own lag; the
   ratio says what the outbox and the worker add on top.
2. Throughput: messages already owed (written through `emit`, as the services do), sent by one
   `WebhookWorker` to one endpoint and to 8 endpoints; baseline: a bare loop that signs each
   body with `standardwebhooks` and POSTs it over one keep-alive connection to the same receiver.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ACTIONS = {"fund": "collaboration.funded", "deliver": "collaboration.delivered"}
FINAL = "collaboration.released"  # approve: Approved then Released, in one transaction


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _stack(db_url: str, indexer_poll: float):
    from web3 import Web3

    from api.core.migrate import upgrade
    from api.core.settings import Settings
    from contracts import bindings
    from contracts.localchain import DEV_PRIVATE_KEYS, Anvil

    node = Anvil().start()
    w3 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 30}))
    deployment = bindings.deploy_local(w3, DEV_PRIVATE_KEYS[0])
    upgrade(db_url)
    settings = Settings(
        database_url=db_url,
        chain_rpc_url=node.rpc_url,
        escrow_address=deployment.escrow_address,
        splitter_factory_address=deployment.splitter_factory_address,
        stablecoin_address=deployment.stablecoin_address,
        indexer_start_block=deployment.start_block,
        indexer_poll_seconds=indexer_poll,
        webhook_allow_loopback=True,
        rate_limits_enabled=False,
        secret_key="bench-secret-key-0123456789",
        _env_file=None,
    )
    return node, w3, settings


def latency(deals: int, indexer_poll: float) -> dict[str, list[float]]:
    from eth_account import Account
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.dev.driver import DealDriver
    from contracts.localchain import DEV_PRIVATE_KEYS
    from tests.api.receiver import Receiver
    from tests.factories import offer_body, post_request, register_brand, register_creator

    brand_key, creator_key = DEV_PRIVATE_KEYS[1], DEV_PRIVATE_KEYS[2]
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        node, w3, settings = _stack(f"sqlite:///{tmp}/bench.db", indexer_poll)
        try:
            with TestClient(create_app(settings)) as client:
                driver = DealDriver(client, w3)
                brand = register_brand(client, wallet=Account.from_key(brand_key).address)
                creator = register_creator(client, wallet=Account.from_key(creator_key).address)
                brand.post("/v1/webhook-endpoints", json={"url": receiver.url})
                samples: dict[str, list[float]] = {"webhook": [], "api status": []}
                for _ in range(deals):
                    request = post_request(brand)
                    offer = brand.post(
                        f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id)
                    ).json()
                    accepted = driver.accept(offer["id"], creator.headers, creator_key)
                    collaboration = accepted["collaboration"]["id"]
                    steps = [
                        ("fund", brand, brand_key, {}, "funded", ACTIONS["fund"]),
                        (
                            "deliver",
                            creator,
                            creator_key,
                            {"deliverable": "https://example.org/p/1"},
                            "delivered",
                            ACTIONS["deliver"],
                        ),
                        ("approve", brand, brand_key, {}, "released", FINAL),
                    ]
                    for action, actor, key, params, status, event in steps:
                        driver.act(collaboration, action, actor.headers, key, **params)
                        sent = time.time()
                        seen = _status_time(actor, collaboration, status)
                        arrived = _arrival(receiver, collaboration, event)
                        samples["api status"].append(seen - sent)
                        samples["webhook"].append(arrived - sent)
        finally:
            node.stop()
            receiver.close()
    return samples


def _status_time(actor, collaboration: str, status: str) -> float:
    deadline = time.time() + 30
    while time.time() < deadline:
        if actor.get(f"/v1/collaborations/{collaboration}").json()["status"] == status:
            return time.time()
        time.sleep(0.005)
    raise RuntimeError(f"collaboration {collaboration} never became {status}")


def _arrival(receiver, collaboration: str, event: str) -> float:
    deadline = time.time() + 30
    while time.time() < deadline:
        for message in list(receiver.received):
            payload = message.payload
            if payload["type"] == event and payload["resource_id"] == collaboration:
                return message.at
        time.sleep(0.002)
    raise RuntimeError(f"{event} for {collaboration} never arrived")


def throughput(messages: int, endpoints: int) -> tuple[float, float]:
    """(worker deliveries/s, bare signed POSTs/s) to the same loopback receiver."""
    import httpx
    from sqlmodel import Session
    from standardwebhooks import Webhook

    from api.core.db import make_engine
    from api.core.migrate import upgrade
    from api.core.settings import Settings
    from api.events.service import emit
    from api.kit.time import utcnow
    from api.webhooks.models import WebhookEndpoint
    from api.webhooks.service import new_secret
    from api.webhooks.worker import NO_DELAY, WebhookWorker
    from tests.api.receiver import Receiver

    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        settings = Settings(
            database_url=url,
            webhook_allow_loopback=True,
            worker_enabled=False,
            _env_file=None,
        )
        with Session(engine) as session:
            for number in range(endpoints):
                session.add(
                    WebhookEndpoint(
                        id=f"whe_bench{number}",
                        owner_id=f"brd_bench{number}",
                        url=f"{receiver.url}?{number}",
                        secret=new_secret(),
                    )
                )
            session.flush()
            for number in range(messages):
                emit(
                    session,
                    type="offer.sent",
                    resource_type="offer",
                    resource_id=f"off_{number}",
                    data={"id": f"off_{number}", "status": "sent", "amount": "1" * 18},
                    audience=[f"brd_bench{number % endpoints}"],
                )
            session.commit()
        worker = WebhookWorker(engine=engine, settings=settings)
        worker.sweep()  # its first run imports the offers service: not a delivery cost
        started = time.perf_counter()
        while worker.run_once():
            pass
        worker_rate = messages / (time.perf_counter() - started)
        assert len(receiver.received) == messages, len(receiver.received)
        worker.close()
        engine.dispose()

    secret, body = new_secret(), receiver.received[0].body
    transport = httpx.HTTPTransport(socket_options=NO_DELAY)  # as the worker's client
    with httpx.Client(trust_env=False, transport=transport) as client:
        started = time.perf_counter()
        for number in range(messages):
            msg_id = f"msg_{number}"
            signature = Webhook(secret).sign(msg_id=msg_id, timestamp=utcnow(), data=body)
            headers = {
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(time.time())),
                "webhook-signature": signature,
                "content-type": "application/json",
            }
            client.post(receiver.url, content=body.encode(), headers=headers)
        bare_rate = messages / (time.perf_counter() - started)
    receiver.close()
    return worker_rate, bare_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=8)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--indexer-poll", type=float, default=1.0, help="INDEXER_POLL_SECONDS")
    args = parser.parse_args()

    print(f"latency, chain transaction -> arrival, {args.deals} deals x 3 transactions")
    print(f"  (INDEXER_POLL_SECONDS={args.indexer_poll:g}; the worker wakes on commit)")
    samples = latency(args.deals, args.indexer_poll)
    for name, values in samples.items():
        print(
            f"  {name:<11} median {statistics.median(values) * 1000:7.1f} ms"
            f"   p95 {percentile(values, 0.95) * 1000:7.1f} ms   (n={len(values)})"
        )
    ratio = statistics.median(samples["webhook"]) / statistics.median(samples["api status"])
    print(f"  webhook / api status (median): {ratio:.2f}")

    for endpoints in (1, 8):
        worker_rate, bare_rate = throughput(args.messages, endpoints)
        print(
            f"throughput, {args.messages} messages to {endpoints} endpoint(s): worker "
            f"{worker_rate:7.0f}/s, bare signed POST loop {bare_rate:7.0f}/s, "
            f"ratio {worker_rate / bare_rate:.2f}"
        )


if __name__ == "__main__":
    main()
