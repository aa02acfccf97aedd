"""What one request costs the API process before and after its route body: CPU per request,
in-process, no HTTP.

Run: ``python bench/floor.py`` (``--creators 1000 --requests 600``; ``--db postgresql`` for
PostgreSQL on ``--postgres-url``; ``--redis-url ''`` to count rate limits in memory).

The app is Collab's own (`create_app`, its middleware, auth, sessions and rate limits), on a
local anvil and a scratch database seeded as `bench/load.py` seeds it, with a few probe routes
added for this run only. Requests are sent straight to the ASGI app one after the other, so the
figures are the app's CPU alone: the HTTP server and the client are left out (`bench/load.py`
measures the whole). Each figure is the least of six blocks (these machines are noisy), and the
ratio is against the first row, measured in the same run:
- an async route that does nothing, through the whole middleware stack (the floor);
- the same as a sync route (one trip to the thread pool);
- an authenticated unit of work that does nothing (API key known, session, commit);
- then each operation of the load mix: the cached match list, a creator's inbox, a brand's
  outbox (20 offers), creating an offer.
Rate limits are counted in Redis when one answers (as `bench/load.py` counts them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402  (bench/load.py: seeding, the mix, the scratch database)

from api.core.auth import CurrentBrand  # noqa: E402  (module level: the probes' annotations)
from api.core.db import SessionDep, UnitOfWorkRoute  # noqa: E402

BLOCKS = 6


def probe_routes(app) -> None:
    """Routes that do nothing, each with less of the stack than the next."""
    from fastapi import APIRouter

    router = APIRouter(route_class=UnitOfWorkRoute)

    @router.get("/v1/floor/async")
    async def floor_async() -> dict:
        return {"ok": True}

    @router.get("/v1/floor/sync")
    def floor_sync() -> dict:
        return {"ok": True}

    @router.get("/v1/floor/unit-of-work")
    def floor_unit_of_work(brand: CurrentBrand, session: SessionDep) -> dict:
        return {"ok": brand.role == "brand" and session.is_active}

    app.include_router(router)


def scope_of(raw: bytes) -> tuple[dict, bytes]:
    """The ASGI scope of a raw HTTP/1.1 request as `load.http` writes it."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    method, target, _ = lines[0].split(" ")
    path, _, query = target.partition("?")
    headers = [
        (name.lower().encode(), value.encode())
        for name, value in (line.split(": ", 1) for line in lines[1:])
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    return scope, body


async def call(app, raw: bytes) -> int:
    scope, body = scope_of(raw)
    sent = False
    status: list[int] = []
    answer: list[bytes] = []

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never hangs up
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            answer.append(message.get("body", b""))

    await app(scope, receive, send)
    if status[0] >= 300:
        raise RuntimeError(f"{scope['path']} answered {status[0]}: {b''.join(answer)[:300]!r}")
    return status[0]


async def cpu_per_request(app, next_request, count: int) -> float:
    """The least, over BLOCKS blocks, of the process CPU per request."""
    per_block = max(1, count // BLOCKS)
    best = float("inf")
    for _ in range(BLOCKS):
        start = time.process_time()
        for _ in range(per_block):
            await call(app, next_request())
        best = min(best, (time.process_time() - start) / per_block)
    return best


async def measure(app, seeded, count: int) -> list[tuple[str, float]]:
    workload = load.MixedWorkload(seeded)
    async with app.router.lifespan_context(app):
        for _ in range(200):  # first use: the encoder, statement caches, the match memo
            await call(app, workload.next()[1])
        brand = seeded.brand_keys[0]
        rows = []
        for label, path in (
            ("async route, does nothing (the floor)", "/v1/floor/async"),
            ("sync route, does nothing", "/v1/floor/sync"),
            ("authenticated unit of work, does nothing", "/v1/floor/unit-of-work"),
        ):
            raw = load.http("GET", path, brand)
            rows.append((label, await cpu_per_request(app, lambda raw=raw: raw, count)))
        for name, label in (
            ("matches", "GET matches (cached list)"),
            ("inbox", "GET /v1/offers, a creator's inbox"),
            ("outbox", "GET /v1/offers, a brand's 20 offers"),
            ("offer", "POST offers (screening, terms, event)"),
        ):
            with workload.only(name):
                cpu = await cpu_per_request(app, lambda: workload.next()[1], count)
            rows.append((label, cpu))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creators", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=600, help="per row")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=load.DEFAULT_POSTGRES_URL)
    parser.add_argument("--redis-url", default=load.DEFAULT_REDIS_URL)
    args = parser.parse_args()

    from web3 import Web3

    from api.app import create_app
    from api.core.migrate import upgrade
    from api.core.settings import Settings
    from contracts.bindings import deploy_local
    from contracts.localchain import DEV_PRIVATE_KEYS, Anvil

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="collab-floor-")))
        anvil = stack.enter_context(Anvil())
        deployment = deploy_local(Web3(Web3.HTTPProvider(anvil.rpc_url)), DEV_PRIVATE_KEYS[0])
        if args.db == "sqlite":
            database_url = f"sqlite:///{tmp / 'collab.db'}"
        else:
            database_url = load.scratch_postgres(args.postgres_url, stack)
        upgrade(database_url)
        seeded = load.seed(database_url, args.creators)
        limits, limits_env = load.rate_limits(args.redis_url)
        settings = Settings(
            database_url=database_url,
            chain_rpc_url=anvil.rpc_url,
            escrow_address=deployment.escrow_address,
            splitter_factory_address=deployment.splitter_factory_address,
            stablecoin_address=deployment.stablecoin_address,
            indexer_enabled=False,
            worker_enabled=False,
            redis_url=limits_env.get("REDIS_URL"),
            rate_limit_per_address=load.NEVER_REFUSE,
            rate_limit_per_key=load.NEVER_REFUSE,
            rate_limit_prefix=limits_env["RATE_LIMIT_PREFIX"],
            _env_file=None,
        )
        app = create_app(settings)
        probe_routes(app)
        rows = asyncio.run(measure(app, seeded, args.requests))

    print(
        f"{args.creators} creators on {args.db}; rate limits {limits}; CPU per request, the "
        f"least of {BLOCKS} blocks of {max(1, args.requests // BLOCKS)}"
    )
    floor = rows[0][1]
    print(f"  {'':<44}{'ms':>8}{'x floor':>9}")
    for label, cpu in rows:
        print(f"  {label:<44}{cpu * 1000:8.3f}{cpu / floor:9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
