"""The base: app factory, health, problem+json, migrations, start-up errors."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.dependencies.utils import get_typed_signature as signature
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import event
from sqlmodel import Session

from api.app import create_app
from api.chain.client import ChainClient, ChainDep
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.migrate import downgrade, upgrade
from api.core.settings import Settings
from tests.factories import serve_expecting_refusal


@pytest.fixture
def client(database_url: str, anvil) -> TestClient:
    settings = Settings(database_url=database_url, chain_rpc_url=anvil.rpc_url, _env_file=None)
    with TestClient(create_app(settings)) as client:
        yield client


def test_health_reports_database_and_chain(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["chain"]["chain_id"] == 31337
    assert isinstance(body["chain"]["latest_block"], int)


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:collab:problem:not-found"


def test_health_degrades_when_chain_is_down(database_url: str) -> None:
    settings = Settings(
        database_url=database_url, chain_rpc_url="http://127.0.0.1:1", _env_file=None
    )
    with TestClient(create_app(settings)) as client:
        body = client.get("/health").json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["chain"]["ok"] is False


def test_health_checks_at_once_ask_the_node_once(monkeypatch) -> None:
    """When the cached answer is stale, the checks that arrive together wait for one trip to
    the node (five calls) instead of each making its own."""
    chain = ChainClient(rpc_url="http://127.0.0.1:1")
    asked: list[int] = []

    def ask_the_node() -> dict:
        asked.append(1)
        time.sleep(0.2)
        return {"ok": True}

    monkeypatch.setattr(chain, "_health", ask_the_node)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: chain.health(), range(8)))
    assert answers == [{"ok": True}] * 8
    assert len(asked) == 1


def test_migrations_go_down_and_up(database_url: str) -> None:
    downgrade(database_url, "base")
    engine = sa.create_engine(database_url)
    tables = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade(database_url)
    assert "idempotency_key" in sa.inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_schema_matches_models(database_url: str) -> None:
    """Autogenerate finds nothing to do: the migrations and the SQLModel tables agree
    (expression indexes aside: Alembic cannot compare them, so 0004 is written by hand)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import api.models  # noqa: F401

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == []


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"CHAIN_RPC_URL": "http://127.0.0.1:1"}, "CHAIN_RPC_URL"),
        ({"DATABASE_URL": "mysql://nope"}, "DATABASE_URL"),
        ({"ESCROW_ADDRESS": "0x1234"}, "ESCROW_ADDRESS"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"WEB_WORKERS": "0"}, "WEB_WORKERS"),
        ({"WEB_WORKERS": "2"}, "WEB_WORKERS"),  # several processes need PostgreSQL
    ],
)
def test_bad_setting_stops_start_with_one_line(tmp_path, env, setting) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env}
    result = serve_expecting_refusal(env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]


def test_settings_decided_at_start_reach_worker_processes(monkeypatch, tmp_path) -> None:
    """`collab serve --workers N` hands its workers, through the environment, what its start-up
    decided: they rebuild the same settings."""
    from api.core.runtime import settings_environment

    loaded = Settings(database_url=f"sqlite:///{tmp_path}/x.db", _env_file=None)
    ready = loaded.model_copy(
        update={
            "chain_rpc_url": "http://127.0.0.1:9545",
            "dev_signer": True,
            "escrow_address": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            "token_addresses": [
                "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
                "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
            ],
            "indexer_start_block": 7,
        }
    )
    env = settings_environment(loaded, ready)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("DATABASE_URL", loaded.database_url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings(_env_file=None) == ready


def test_wrong_chain_id_names_chain_id(tmp_path, anvil) -> None:
    result = serve_expecting_refusal(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            "CHAIN_RPC_URL": anvil.rpc_url,
            "CHAIN_ID": "11155111",
        }
    )
    assert result.returncode == 2
    assert "CHAIN_ID" in result.stderr


def test_commit_happens_before_the_response_is_sent(database_url: str) -> None:
    """A failing commit must turn into an error response, never a success already sent."""
    router = APIRouter()

    @router.post("/boom")
    def boom(session: SessionDep) -> dict:
        session.info["fail_commit"] = True
        return {"ok": True}

    def before_commit(session) -> None:
        if session.info.get("fail_commit"):
            raise RuntimeError("commit failed")

    event.listen(Session, "before_commit", before_commit)
    try:
        settings = Settings(database_url=database_url, _env_file=None)
        app = create_app(settings)
        app.include_router(router)
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.post("/boom")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
    finally:
        event.remove(Session, "before_commit", before_commit)


def test_a_route_commits_in_the_thread_that_ran_it(database_url: str) -> None:
    """Its unit of work does not wait for another trip to a thread to end (SQLite's one writer
    waits with it), and every API route that takes a session is such a route."""
    router = APIRouter(route_class=UnitOfWorkRoute)
    threads: dict[str, int] = {}

    @router.post("/write")
    def write(session: SessionDep) -> dict:
        threads["route"] = threading.get_ident()
        session.info["watched"] = True
        return {"ok": True}

    def before_commit(session) -> None:
        if session.info.get("watched"):
            threads["commit"] = threading.get_ident()

    event.listen(Session, "before_commit", before_commit)
    try:
        app = create_app(Settings(database_url=database_url, _env_file=None))
        app.include_router(router)
        with TestClient(app) as client:
            assert client.post("/write").status_code == 200
    finally:
        event.remove(Session, "before_commit", before_commit)
    assert threads["commit"] == threads["route"]

    def routes(items):
        for item in items:
            nested = getattr(item, "original_router", None)
            yield from routes(nested.routes) if nested is not None else [item]

    with_session = [
        r
        for r in routes(app.router.routes)
        if isinstance(r, APIRoute)
        and any(p.annotation == SessionDep for p in signature(r.endpoint).parameters.values())
    ]
    assert len(with_session) > 50
    assert [r.path for r in with_session if not isinstance(r, UnitOfWorkRoute)] == []


def test_a_sync_route_makes_one_trip_to_a_thread(database_url: str, monkeypatch) -> None:
    """FastAPI would send a sync route's answer back to the thread pool to check it against
    the response model: a second wait for a thread and for the GIL, on every request."""
    router = APIRouter(route_class=UnitOfWorkRoute)

    class Answer(BaseModel):
        ok: bool

    @router.get("/answer", response_model=Answer)
    def answer(session: SessionDep) -> Answer:
        return Answer(ok=session.execute(sa.text("SELECT 1")).scalar_one() == 1)

    app = create_app(Settings(database_url=database_url, _env_file=None))
    app.include_router(router)
    trips: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(function, *args, **kwargs):
        trips.append(getattr(function, "__name__", repr(function)))
        return await run_sync(function, *args, **kwargs)

    with TestClient(app) as client:
        monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
        response = client.get("/answer")
    assert response.json() == {"ok": True}
    assert len(trips) == 1, trips


def test_route_bodies_run_a_few_at_a_time_unless_they_call_the_chain(database_url: str) -> None:
    """Under load, many bodies at once fight over the GIL: at most BUSY_ROUTES run together;
    one that waits on the node holds no place (it would stall the others)."""
    router = APIRouter(route_class=UnitOfWorkRoute)
    running = {"busy": 0, "chain": 0}
    most = {"busy": 0, "chain": 0}
    lock = threading.Lock()

    def work(kind: str) -> dict:
        with lock:
            running[kind] += 1
            most[kind] = max(most[kind], running[kind])
        time.sleep(0.2)
        with lock:
            running[kind] -= 1
        return {"ok": True}

    @router.get("/busy")
    def busy(session: SessionDep) -> dict:  # noqa: ARG001 - a route as the app has them
        return work("busy")

    @router.get("/chain")
    def on_chain(chain: ChainDep) -> dict:  # noqa: ARG001 - what marks it as calling the chain
        return work("chain")

    settings = Settings(database_url=database_url, busy_routes=2, _env_file=None)
    app = create_app(settings)
    app.include_router(router)
    with TestClient(app) as client, ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(client.get, ["/busy"] * 6 + ["/chain"] * 6))
    assert all(a.status_code == 200 for a in answers)
    assert most["busy"] == 2
    assert most["chain"] > 2


def _declared(client: TestClient) -> dict[tuple[str, str], set[str]]:
    schema = client.get("/openapi.json").json()
    return {
        (method.upper(), path): {code for code in operation["responses"] if code[0] in "45"}
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_each_route_declares_only_the_errors_it_can_answer(client: TestClient) -> None:
    """Auth, roles and Idempotency-Key show in the dependencies; lookups, states and the chain
    are declared by the route. Nothing declares a 400 nobody raises; public reads declare no
    401, and a route without a path parameter no 404 unless it says why."""
    declared = _declared(client)
    assert declared[("GET", "/v1/values")] == {"422", "429"}
    assert declared[("GET", "/v1/wallets/{address}/payouts")] == {"422", "429"}
    assert declared[("GET", "/v1/offers")] == {"401", "422", "429"}
    assert declared[("POST", "/v1/requests")] == {"401", "403", "409", "413", "422", "429"}
    assert declared[("POST", "/v1/brands")] == {"409", "413", "422", "429"}
    transactions = ("GET", "/v1/collaborations/{collaboration_id}/transactions/{action}")
    assert declared[transactions] == {"401", "403", "404", "409", "422", "429", "503"}
    assert not any("400" in codes for codes in declared.values())
    problem = client.get("/openapi.json").json()["paths"]["/v1/offers"]["get"]["responses"]
    assert "application/problem+json" in problem["401"]["content"]


def test_an_undecodable_body_is_invalid_input(client: TestClient) -> None:
    """Bytes that are not UTF-8 JSON get the 422 every other unreadable body gets (FastAPI
    answered 400, which no route declares)."""
    response = client.post(
        "/v1/brands", content=b"\xff\xfe\xfa", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "body", "message": "not a readable JSON document"}
    ]
