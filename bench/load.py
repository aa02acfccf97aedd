"""API load: a mixed marketplace workload against Collab served by uvicorn, on loopback.

Run: ``python bench/load.py`` (``--creators 10000 --seconds 20 --concurrency 32``);
``--db postgresql`` for PostgreSQL, ``--workers 2`` for two API processes.

Everything is started here and stopped at the end: a local anvil with the contracts deployed, a
fresh database migrated by Alembic and seeded in-process (creators, brands, requests) — a SQLite
file, or with ``--db postgresql`` a scratch database made on ``--postgres-url`` (or
BENCH_POSTGRES_URL) and dropped at the end — then uvicorn servers one after the other:
- the baseline, a bare FastAPI endpoint (``@app.get("/bare") def bare(): return {"ok": True}``),
  with one worker and, when ``--workers N`` > 1, with N;
- Collab itself (``collab serve --workers N``), whose matching index is built from the seeded
  DB; with N > 1 Collab with one worker runs too, so the run prints the scaling ratio.
Rate limits stay on, shared through Redis (``--redis-url``, DB 3 by default) under a key prefix
of the run's own, with limits high enough never to refuse: the bench pays what counting costs.
The same client (asyncio, one keep-alive HTTP/1.1 connection per concurrent user) drives every
server for the same time at the same concurrency, so the ratio compares the app with the floor
the stack itself imposes on this machine. ``--profile`` adds profiled runs of Collab (one
worker): the mixed workload, then each operation of the mix alone, and prints where the CPU
goes for each (every thread, endpoint code in the threadpool included).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_RATIO, GOAL_P99_MS = 0.15, 100.0  # issue 18: one worker, 32 clients
GOAL_SCALING = 1.7  # N workers against one, on PostgreSQL (issue 18: two workers, two cores)
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
NEVER_REFUSE = "100000000/minute"  # rate limits counted (in Redis) but never reached
ONE_ETH = 10**18
# Share of each operation in the mixed workload (weights).
MIX = {"matches": 30, "inbox": 20, "outbox": 20, "offer": 25, "health": 5}
EXPECTED = {"matches": 200, "inbox": 200, "outbox": 200, "offer": 201, "health": 200, "bare": 200}
LANGUAGES = ["fr", "en", "es", "de"]
PLATFORMS = ["instagram", "tiktok", "youtube"]
COUNTRIES = ["FR", "BE", "CA", "CH", "US", "GB", "DE", "ES"]


# ------------------------------------------------------------------------------ seeding


@dataclass
class Seeded:
    brand_keys: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (request id, brand key)
    creators: list[tuple[str, str]] = field(default_factory=list)  # (creator id, creator key)


def _wallet(rng: random.Random) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(rng.randbytes(20))


def legal_identity(name: str) -> dict:
    """What a written contract names (loi 2023-451 art. 8): offers to French audiences need it."""
    return {
        "legal_name": f"{name} SAS",
        "postal_address": "12 rue de la Paix, 75002 Paris",
        "email": f"legal@{name.lower().replace(' ', '-')}.example",
        "tax_country": "FR",
    }


def seed(database_url: str, n_creators: int, *, brands: int = 4, per_brand: int = 3) -> Seeded:
    """Creators, brands and requests, validated by the API's own schemas, in one transaction.

    Creators are inserted as rows, as `creators.service.register_creator` would insert them but
    without its per-call handle check (a scan of the table; handles here are unique anyway)."""
    from sqlmodel import Session

    from api.brands import service as brands_service
    from api.brands.models import BrandCreate
    from api.core.auth import Principal, hash_api_key, new_api_key
    from api.core.db import make_engine
    from api.core.deployment import Deployment
    from api.creators.models import Creator, CreatorCreate
    from api.kit.types import new_id
    from api.requests import service as requests_service
    from api.requests.models import RequestCreate
    from matching import load_taxonomy

    rng = random.Random(7)
    taxonomy = load_taxonomy()
    causes, practices = list(taxonomy.causes), list(taxonomy.practices)
    popularity = [1.0 / (rank + 1) ** 0.8 for rank in range(len(causes))]
    seeded = Seeded()
    deployment = Deployment()  # ETH only: the seeded briefs pay in ETH to fresh wallets
    engine = make_engine(database_url)
    with Session(engine) as session:
        for i in range(n_creators):
            values = list(dict.fromkeys(rng.choices(causes, popularity, k=rng.randint(1, 4))))
            platforms = rng.sample(PLATFORMS, rng.randint(1, 2))
            is_virtual = i % 10 == 0
            data = CreatorCreate(
                handle=f"creator_{i:06d}",
                display_name=f"Creator {i}",
                bio="",
                is_virtual=is_virtual,
                operator="Studio Virtuel SAS" if is_virtual else None,
                languages=rng.sample(LANGUAGES, rng.randint(1, 2)),
                audience={
                    platform: {
                        "followers": int(rng.lognormvariate(9.5, 2.0)) + 50,
                        "engagement_rate": round(rng.uniform(0.005, 0.1), 4),
                        "countries": rng.sample(COUNTRIES, rng.randint(1, 3)),
                    }
                    for platform in platforms
                },
                values=values,
                dealbreakers=rng.sample(practices, rng.randint(0, 2)),
                min_fees=[{"amount": str(rng.randint(1, 40) * ONE_ETH // 100), "token": "ETH"}],
                wallet=_wallet(rng),
                split={"creator_share_bps": 10_000, "designers": [], "charities": []},
                screening={"min_alignment": rng.choice([0.0, 0.1, 0.2, 0.3])},
                **legal_identity(f"Creator {i}"),
            )
            api_key = new_api_key("creator")
            creator = Creator(
                id=new_id("crt"), api_key_hash=hash_api_key(api_key), **data.model_dump(mode="json")
            )
            session.add(creator)
            seeded.creators.append((creator.id, api_key))
        session.commit()
        deadline = datetime.now(UTC) + timedelta(days=60)
        for b in range(brands):
            brand = brands_service.register_brand(
                session=session,
                deployment=deployment,
                data=BrandCreate(
                    name=f"Brand {b}",
                    description="Cosmétiques véganes et mode responsable.",
                    wallet=_wallet(rng),
                    values=causes[2 * b : 2 * b + 2],
                    practices=[],
                    **legal_identity(f"Brand {b}"),
                ),
            )
            seeded.brand_keys.append(brand.api_key)
            principal = Principal(role="brand", id=brand.id, wallet=brand.wallet)
            for r in range(per_brand):
                request = requests_service.create_request(
                    session=session,
                    deployment=deployment,
                    brand=principal,
                    data=RequestCreate(
                        title=f"Campaign {b}.{r}",
                        description="Nous cherchons des créateurs engagés pour nos valeurs.",
                        target_values=causes[(b + r) % 6 : (b + r) % 6 + 3],
                        budget={"amount": str(ONE_ETH), "token": "ETH"},
                        deliverables=[{"platform": "instagram", "format": "reel", "count": 2}],
                        deadline=deadline,
                        audience={"languages": ["fr", "en"] if r else [], "platforms": []},
                    ),
                )
                seeded.requests.append((request.id, brand.api_key))
        session.commit()
    engine.dispose()
    return seeded


# ------------------------------------------------------------------------------ servers


def bare_app():
    """The baseline: the smallest FastAPI app."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/bare")
    def bare():
        return {"ok": True}

    return app


def serve_bare(port: int, workers: int) -> None:
    """The baseline, served the way `collab serve --workers N` serves Collab."""
    import uvicorn

    where = {"host": "127.0.0.1", "port": port, "log_level": "warning"}
    if workers == 1:
        uvicorn.run(bare_app(), **where)
    else:
        from api.kit import workers as workers_kit

        here = str(Path(__file__).resolve().parent)
        workers_kit.serve("load:bare_app", workers=workers, app_dir=here, **where)


def serve_profiled(out: str) -> None:
    """`collab serve` with a cProfile per thread (the sync endpoints run in worker threads);
    SIGUSR1 clears what was collected so far, so start-up stays out of the figures. The timer is
    each thread's CPU time: waiting for the GIL, a lock or the database is not counted."""
    import cProfile
    import threading

    profiles: list[cProfile.Profile] = []
    signal.signal(signal.SIGUSR1, lambda *_: [profile.clear() for profile in list(profiles)])

    def start_in_thread(*_args) -> None:
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.enable()  # replaces this hook for the thread

    threading.setprofile(start_in_thread)
    main_profile = cProfile.Profile(time.thread_time)
    profiles.append(main_profile)
    main_profile.enable()
    try:
        from api.cli import serve

        serve(host=None, port=None, workers=1)
    finally:
        import pstats

        for profile in profiles:
            profile.disable()
        stats = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            with contextlib.suppress(TypeError):  # a thread that never ran a frame
                stats.add(profile)
        stats.dump_stats(out)


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's processes (the parent and its uvicorn workers, all
        their threads; not the database's), from /proc."""
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
        if self.process.pid not in stats:
            return float("nan")
        children = defaultdict(list)
        for pid, (parent, _) in stats.items():
            children[parent].append(pid)
        tree = [self.process.pid]
        for pid in tree:  # grows as it goes: children, then theirs
            tree.extend(children[pid])
        return sum(stats[pid][1] for pid in tree) / os.sysconf("SC_CLK_TCK")

    def stop(self, timeout: float = 15.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully on SIGINT
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_server(argv: list[str], env: dict, port: int, log: Path, path: str) -> Server:
    import httpx

    handle = log.open("wb")
    process = subprocess.Popen(
        argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=handle, stderr=handle
    )
    server = Server(process, port, log)
    deadline = time.monotonic() + 300  # a 10k-creator index builds slowly on a busy machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code < 500:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server not ready on port {port}:\n{log.read_text()[-2000:]}")


# ------------------------------------------------------------------------------ client


class Connection:
    """One keep-alive HTTP/1.1 connection; small and fast enough not to be the bottleneck."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(raw)
        reader = self.reader
        status = int((await reader.readline()).split()[1])
        length, chunked, close = 0, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if chunked:
            parts = []
            while size := int((await reader.readline()).strip(), 16):
                parts.append(await reader.readexactly(size + 2))
            await reader.readline()
            body = b"".join(part[:-2] for part in parts)
        else:
            body = await reader.readexactly(length)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def http(method: str, path: str, key: str | None = None, body: dict | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if key:
        lines.append(f"Authorization: Bearer {key}")
    payload = json.dumps(body).encode() if body is not None else b""
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class MixedWorkload:
    """Picks the next request of the mixed workload; offers always go to a new (request,
    creator) pair, so they are created (`sent`, or `screened_out` by the creator's policy)."""

    def __init__(self, seeded: Seeded, seed: int = 1) -> None:
        self.seeded = seeded
        self.rng = random.Random(seed)
        self.names, self.weights = list(MIX), list(MIX.values())
        self.pairs = (
            (request, creator)
            for creator in seeded.creators
            for request in self.rng.sample(seeded.requests, len(seeded.requests))
        )
        self.offered: list[tuple[str, str]] = []  # creators with something in their inbox
        self.deliver_by = (datetime.now(UTC) + timedelta(days=30)).isoformat()

    @contextlib.contextmanager
    def only(self, name: str):
        """This operation alone for a while (offers still go to new pairs)."""
        mix = self.names, self.weights
        self.names, self.weights = [name], [1]
        try:
            yield self
        finally:
            self.names, self.weights = mix

    def next(self) -> tuple[str, bytes]:
        name = self.rng.choices(self.names, self.weights)[0]
        if name == "matches":
            request_id, key = self.rng.choice(self.seeded.requests)
            return name, http("GET", f"/v1/requests/{request_id}/matches?limit=20", key)
        if name == "inbox":
            _, key = self.rng.choice(self.offered or self.seeded.creators)
            return name, http("GET", "/v1/offers?limit=20", key)
        if name == "outbox":
            return name, http("GET", "/v1/offers?limit=20", self.rng.choice(self.seeded.brand_keys))
        if name == "offer":
            (request_id, key), creator = next(self.pairs)
            self.offered.append(creator)
            body = {
                "creator_id": creator[0],
                "amount": str(ONE_ETH // 2),
                "deliver_by": self.deliver_by,
                "review_period_seconds": 3 * 24 * 3600,
                "terms": "Two reels showing the product, disclosed as a partnership.",
            }
            return name, http("POST", f"/v1/requests/{request_id}/offers", key, body)
        return name, http("GET", "/health")


class BareWorkload:
    def next(self) -> tuple[str, bytes]:
        return "bare", http("GET", "/bare")


@dataclass
class Result:
    seconds: float
    latencies: dict[str, list[float]]
    errors: dict[str, list[str]]
    client_cpu: float
    server_cpu: float

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def throughput(self) -> float:
        return self.count / self.seconds

    def all_latencies(self) -> list[float]:
        return sorted(x for values in self.latencies.values() for x in values)

    @property
    def error_count(self) -> int:
        return sum(len(v) for v in self.errors.values())


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def drive(server: Server, workload, seconds: float, concurrency: int, warmup: float):
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds
    marks: dict[str, float] = {}

    async def user() -> None:
        connection = Connection(server.port)
        try:
            while (now := time.perf_counter()) < stop_at:
                if now >= measure_from and "cpu" not in marks:
                    marks["cpu"] = server.cpu_seconds()
                    marks["client"] = time.process_time()
                name, raw = workload.next()
                t0 = time.perf_counter()
                try:
                    status, body = await connection.request(raw)
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                    connection.close()
                    status, body = 0, repr(exc).encode()
                elapsed = time.perf_counter() - t0
                if t0 < measure_from:
                    continue
                latencies[name].append(elapsed)
                if status != EXPECTED[name]:
                    errors[name].append(f"{status} {body[:300].decode(errors='replace')}")
        finally:
            connection.close()

    await asyncio.gather(*(user() for _ in range(concurrency)))
    elapsed = time.perf_counter() - measure_from
    return Result(
        seconds=elapsed,
        latencies=dict(latencies),
        errors=dict(errors),
        client_cpu=time.process_time() - marks["client"],
        server_cpu=server.cpu_seconds() - marks["cpu"],
    )


def run_load(server: Server, workload, seconds: float, concurrency: int, warmup: float) -> Result:
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        runner = asyncio.run
    return runner(drive(server, workload, seconds, concurrency, warmup))


# ------------------------------------------------------------------------------ report


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def report(label: str, result: Result) -> None:
    values = result.all_latencies()
    print(
        f"{label}: {result.throughput:8.1f} req/s  p50 {ms(percentile(values, 0.5))} ms  "
        f"p99 {ms(percentile(values, 0.99))} ms  errors {result.error_count}  "
        f"({result.count} requests in {result.seconds:.1f} s; CPU: server "
        f"{result.server_cpu / result.seconds:.0%}, client {result.client_cpu / result.seconds:.0%}"
        " of one core)"
    )
    if len(result.latencies) > 1:
        print(f"  {'endpoint':<10}{'count':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for name in MIX:
            lat = sorted(result.latencies.get(name, []))
            print(
                f"  {name:<10}{len(lat):8d}{len(lat) / result.seconds:9.1f}"
                f"{ms(percentile(lat, 0.5)):>9}{ms(percentile(lat, 0.99)):>9}"
                f"{len(result.errors.get(name, [])):8d}"
            )
    for name, messages in result.errors.items():
        for message in messages[:3]:
            print(f"  error on {name}: {message}")


# Where the server's CPU goes: (label, file suffix, function), summed as cumulative CPU time.
BUCKETS = [
    ("route bodies and their commit, one trip to the threadpool", "core/db.py", "run_then_commit"),
    ("  GET matches: requests.service.find_matches", "requests/service.py", "find_matches"),
    ("    of which MatchIndex.search", "index/ranking.py", "search"),
    ("  POST offers: offers.service.create_offer", "offers/service.py", "create_offer"),
    ("    of which screen (brief + score in the index)", "offers/service.py", "screen"),
    ("  GET offers: offers.service.list_offers", "offers/service.py", "list_offers"),
    ("GET /health (FastAPI's own trip to the threadpool)", "api/app.py", "health"),
    ("  of which ChainClient.health (JSON-RPC to the node)", "chain/client.py", "health"),
    ("FastAPI dependency solving (auth, session, ...)", "utils.py", "solve_dependencies"),
    ("  auth: API key -> Brand/Creator row (auth._lookup)", "auth.py", "_lookup"),
    ("SQLAlchemy Session.execute (ORM + driver)", "orm/session.py", "execute"),
    ("  sqlite3 Cursor.execute", "~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
    ("  sqlite3 Cursor.fetchall", "~", "<method 'fetchall' of 'sqlite3.Cursor' objects>"),
    ("SQLAlchemy Session.commit", "orm/session.py", "commit"),
    ("JSON columns decoded (json.loads)", "json/__init__.py", "loads"),
    ("FastAPI response validation + serialisation", "routing.py", "serialize_response"),
    ("os.environ reads (<frozen os> __getitem__)", "os>", "__getitem__"),
]
# Waiting, not working (the timer is CPU time, so these are small anyway).
IDLE = ("acquire", "wait", "run", "poll", "select", "get", "sleep", "_worker", "_bootstrap")


def print_profile(
    path: Path, requests: int, limit: int = 20, what: str = "the mixed workload"
) -> None:
    import pstats

    stats = pstats.Stats(str(path))
    total = sum(row[2] for row in stats.stats.values())  # all CPU the server's threads used
    print(
        f"\n--- where the Collab server's CPU goes, {what}: {requests} requests, {total:.2f} s of "
        f"thread CPU under the profiler, {total / max(requests, 1) * 1000:.2f} ms per request ---"
    )
    print(f"  {'(cumulative CPU: a row includes the rows indented under it)':<62}"
          f"{'calls':>7}{'ms/call':>9}{'share':>7}")  # fmt: skip
    for label, suffix, name in BUCKETS:
        rows = [
            row
            for (filename, _, function), row in stats.stats.items()
            if function == name and filename.endswith(suffix)
        ]
        calls, cumulative = sum(row[0] for row in rows), sum(row[3] for row in rows)
        if not calls and what != "the mixed workload":
            continue  # another operation's row
        per_call = cumulative / calls * 1000 if calls else 0.0
        print(f"  {label:<62}{calls:7d}{per_call:9.3f}{cumulative / total:7.1%}")
    busy = {
        key: row
        for key, row in stats.stats.items()
        if not any(key[2].endswith(word) or f"'{word}'" in key[2] for word in IDLE)
    }
    top = sorted(busy.items(), key=lambda item: -item[1][2])[:limit]
    print(f"\n  top {limit} functions by own CPU time:")
    for (filename, line, function), row in top:
        where = f"{Path(filename).parent.name}/{Path(filename).name}:{line}" if line else ""
        print(f"  {row[2] / total:6.1%}  {row[1]:>8} calls  {function}  {where}")


# ------------------------------------------------------------------------------ main


@dataclass
class Measured:
    label: str
    workers: int
    result: Result
    bare: Result | None = None  # the bare endpoint with as many workers


def summary(rows: list[Measured]) -> None:
    print(
        f"\n  {'configuration':<38}{'req/s':>9}{'vs bare':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}"
    )
    for row in rows:
        values = row.result.all_latencies()
        ratio = f"{row.result.throughput / row.bare.throughput:9.1%}" if row.bare else f"{'':>9}"
        print(
            f"  {row.label:<38}{row.result.throughput:9.1f}{ratio}"
            f"{ms(percentile(values, 0.5)):>9}{ms(percentile(values, 0.99)):>9}"
            f"{row.result.error_count:8d}"
        )


def print_results(rows: list[Measured], single: Result, workers: int) -> None:
    print()
    for row in rows:
        report(row.label, row.result)
    report("Collab, one client, one worker (service time per endpoint)", single)
    summary(rows)
    one = next(row for row in rows if row.label.startswith("Collab") and row.workers == 1)
    ratio = one.result.throughput / rows[0].result.throughput
    p99 = percentile(one.result.all_latencies(), 0.99) * 1000
    met = ratio >= GOAL_RATIO and one.result.error_count == 0 and p99 < GOAL_P99_MS
    print(
        f"\none worker: ratio to bare {ratio:.1%} (goal >= {GOAL_RATIO:.0%}); errors "
        f"{one.result.error_count} (goal 0); p99 {p99:.1f} ms (goal < {GOAL_P99_MS:.0f} ms): "
        f"{'goal met' if met else 'goal MISSED'}"
    )
    if workers > 1:
        many = rows[-1]
        scaling = many.result.throughput / one.result.throughput
        bare_scaling = many.bare.throughput / rows[0].result.throughput
        print(
            f"{workers} workers / 1 worker: Collab {scaling:.2f}x (goal >= "
            f"{GOAL_SCALING}x: {'met' if scaling >= GOAL_SCALING else 'MISSED'}), "
            f"bare endpoint {bare_scaling:.2f}x"
        )


def scratch_postgres(base_url: str, stack: contextlib.ExitStack) -> str:
    """A database of this run's own on ``base_url``'s server, dropped when the run ends."""
    import sqlalchemy as sa

    base = sa.make_url(base_url)
    name = f"collab_load_{os.getpid()}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def run(statement: str) -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(statement))

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    stack.callback(admin.dispose)
    stack.callback(run, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return base.set(database=name).render_as_string(hide_password=False)


def rate_limits(redis_url: str) -> tuple[str, dict[str, str]]:
    """How the servers count rate limits (said in the header), as environment variables:
    limits stay on, high enough never to refuse, in Redis when one answers."""
    import redis

    env = {
        "RATE_LIMIT_PER_ADDRESS": NEVER_REFUSE,
        "RATE_LIMIT_PER_KEY": NEVER_REFUSE,
        "RATE_LIMIT_PREFIX": f"collab-load-{os.getpid()}",
    }
    try:
        with redis.Redis.from_url(redis_url, socket_timeout=2) as client:
            client.ping()
    except (redis.RedisError, ValueError):  # ValueError: no URL
        return "counted by each process alone (no Redis)", env
    return f"shared in Redis ({redis_url})", env | {"REDIS_URL": redis_url}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creators", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server where --db postgresql makes (and drops) its scratch database; "
        "default: BENCH_POSTGRES_URL or " + DEFAULT_POSTGRES_URL,
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="API processes (collab serve --workers N)"
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="Redis for the rate limits; '' (or none answering) = each process counts alone",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="add profiled runs of Collab: the mix, then each operation alone",
    )
    parser.add_argument("--profile-seconds", type=float, default=5.0, help="per operation")
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-profiled", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.workers > 1 and args.db == "sqlite" and not args.serve_bare:
        parser.error("--workers > 1 needs --db postgresql (collab serve refuses it on SQLite)")
    return args


def profile_each(start, workload: MixedWorkload, args: argparse.Namespace, out: Path) -> None:
    """Profiled runs of Collab (one worker, a fresh server each): the mix, then each operation
    alone, so each operation's CPU shows apart from the others'."""
    runs = [("the mixed workload", contextlib.nullcontext(), 10.0)] + [
        (f"{name} alone", workload.only(name), args.profile_seconds) for name in MIX
    ]
    for what, focus, seconds in runs:
        server = start("profiled")
        with focus:
            # A few requests first load what loads on first use (the embedding model): then
            # forget them, so start-up stays out of the figures.
            run_load(server, workload, 1.0, 2, 0.0)
            server.process.send_signal(signal.SIGUSR1)
            profiled = run_load(server, workload, seconds, args.concurrency, 0.0)
        server.stop(timeout=60)
        print_profile(out, profiled.count, 20 if focus is runs[0][1] else 10, what)


def main() -> int:
    args = parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.workers)
        return 0
    if args.serve_profiled:
        serve_profiled(args.serve_profiled)
        return 0

    from web3 import Web3

    from contracts.bindings import deploy_local
    from contracts.localchain import DEV_PRIVATE_KEYS, Anvil, free_port

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="collab-load-")))
        anvil = stack.enter_context(Anvil())
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 30}))
        deployment = deploy_local(w3, DEV_PRIVATE_KEYS[0])
        if args.db == "sqlite":
            database_url = f"sqlite:///{tmp / 'collab.db'}"
        else:
            database_url = scratch_postgres(args.postgres_url, stack)
        from api.core.migrate import upgrade

        upgrade(database_url)
        t0 = time.perf_counter()
        seeded = seed(database_url, args.creators)
        limits, limits_env = rate_limits(args.redis_url)
        print(
            f"seeded {len(seeded.creators)} creators, {len(seeded.brand_keys)} brands, "
            f"{len(seeded.requests)} requests in {time.perf_counter() - t0:.1f} s on {args.db}; "
            f"{args.concurrency} concurrent clients, {args.seconds:.0f} s per run "
            f"(+{args.warmup:.0f} s warm-up), {os.cpu_count()} CPUs; rate limits {limits}"
        )

        base_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PORT")}
        base_env.update({"PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"})
        base_env.update(limits_env)

        def start(kind: str, workers: int = 1) -> Server:
            port = free_port()
            env = base_env | {
                "DATABASE_URL": database_url,
                "CHAIN_RPC_URL": anvil.rpc_url,
                "ESCROW_ADDRESS": deployment.escrow_address,
                "SPLITTER_FACTORY_ADDRESS": deployment.splitter_factory_address,
                "STABLECOIN_ADDRESS": deployment.stablecoin_address,
                "INDEXER_START_BLOCK": str(deployment.start_block),
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "WEB_WORKERS": str(workers),
            }
            script = str(Path(__file__).resolve())
            argv, probe = {
                "bare": (
                    [sys.executable, script, "--serve-bare", str(port), "--workers", str(workers)],
                    "/bare",
                ),
                "collab": ([sys.executable, "-m", "api.cli", "serve"], "/health"),
                "profiled": (
                    [sys.executable, script, "--serve-profiled", str(tmp / "collab.prof")],
                    "/health",
                ),
            }[kind]
            server = start_server(argv, env, port, tmp / f"{kind}-{workers}.log", probe)
            stack.callback(server.stop)
            return server

        def measure(kind: str, workers: int, workload) -> tuple[Server, Result]:
            server = start(kind, workers)
            return server, run_load(server, workload, args.seconds, args.concurrency, args.warmup)

        worker_counts = sorted({1, args.workers})
        bare = {}
        for workers in worker_counts:
            server, bare[workers] = measure("bare", workers, BareWorkload())
            server.stop()
        workload = MixedWorkload(seeded)
        rows = [Measured(f"bare FastAPI endpoint, {n} worker(s)", n, bare[n]) for n in bare]
        single = None
        for workers in worker_counts:
            server, mixed = measure("collab", workers, workload)
            if workers == 1:
                # One client alone: each endpoint's service time, without queueing.
                single = run_load(server, workload, min(args.seconds, 8.0), 1, 0.5)
            server.stop()
            label = f"Collab {args.db}, {workers} worker(s)"
            rows.append(Measured(label, workers, mixed, bare[workers]))

        print_results(rows, single, args.workers)

        if args.profile:
            profile_each(start, workload, args, tmp / "collab.prof")
    return 0


if __name__ == "__main__":
    sys.exit(main())
