"""`collab` command line: serve, database migrations, the chain indexer and the webhook worker."""

from __future__ import annotations

import logging
import os
import sys

import typer

from api.core.runtime import (
    StartupError,
    check_workers,
    load_settings,
    local_stack,
    settings_environment,
)

app = typer.Typer(help="Collab: ethical brand-creator collaborations.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")
dev_app = typer.Typer(
    help="A wallet for the local chain only: signs with anvil's public development keys.",
    no_args_is_help=True,
)
app.add_typer(dev_app, name="dev")
LOCAL_RPC_URL = "http://127.0.0.1:8545"


def _fail(exc: StartupError) -> None:
    typer.echo(f"collab: cannot start: {exc}", err=True)
    raise typer.Exit(code=2)


def _logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One line per HTTP call to the node, or per migration plugin, drowns what matters.
    for noisy in ("httpx", "alembic", "web3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


@app.command()
def serve(
    host: str = typer.Option(None, help="default: HOST or 127.0.0.1"),
    port: int = typer.Option(None, help="default: PORT or 8000"),
    workers: int = typer.Option(
        None, min=1, max=64, help="API processes; default: WEB_WORKERS or 1"
    ),
) -> None:
    """Start the chain (unless CHAIN_RPC_URL is set), deploy, migrate and serve the API."""
    import uvicorn

    from api.app import create_app
    from api.core.security import check_start
    from api.kit import workers as workers_kit
    from contracts.localchain import die_with_parent

    die_with_parent()  # if `make run` itself is killed, the server (and so anvil) goes too
    try:
        settings = load_settings(**({"web_workers": workers} if workers else {}))
        _logging(settings.log_level)
        check_workers(settings)
        check_start(settings)
        with local_stack(settings) as ready:
            base_url = f"http://{host or ready.host}:{port or ready.port}"
            if ready.dev_signer or ready.seed_demo:
                typer.echo(_seed(ready, base_url))
            where = {"host": host or ready.host, "port": port or ready.port}
            log_level = ready.log_level.lower()
            typer.echo(f"Collab API on {base_url} (web app: {base_url}/, docs: {base_url}/docs)")
            if ready.web_workers == 1:
                uvicorn.run(create_app(ready), **where, log_level=log_level)
            else:
                # Each worker process builds its app from the environment: hand it what the
                # start-up decided (the local chain, the deployed addresses).
                os.environ.update(settings_environment(settings, ready))
                workers_kit.serve(
                    "api.cli:worker_app", workers=ready.web_workers, **where, log_level=log_level
                )
    except StartupError as exc:
        _fail(exc)


def worker_app():
    """The app of one `collab serve --workers N` process, from the settings its parent left in
    the environment."""
    from api.app import create_app

    settings = load_settings()
    _logging(settings.log_level)
    return create_app(settings)


def _seed(settings, base_url: str) -> str:
    from sqlmodel import Session

    from api.core.db import make_engine
    from api.dev.demo import seed_demo, try_it_text
    from api.match_index import SharedIndex

    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        accounts = seed_demo(session=session, index=SharedIndex(), settings=settings)
    engine.dispose()
    return try_it_text(accounts, base_url)


@app.command()
def demo(
    token: str = typer.Option("ETH", help="ETH or stablecoin"),
    collection: bool = typer.Option(
        False,
        "--collection",
        help="the co-branded collection instead: a revenue split paid in the stablecoin",
    ),
) -> None:
    """Run the whole flow on a fresh local chain and print every step and the final balances."""
    from api.dev.collection_flow import run_collection_demo
    from api.dev.demo_flow import run_demo

    _logging("WARNING")
    try:
        if collection:
            run_collection_demo(echo=typer.echo)
        else:
            run_demo(token=token, echo=typer.echo)
    except StartupError as exc:
        _fail(exc)


@app.command()
def indexer(
    once: bool = typer.Option(False, help="catch up to the chain head, then exit"),
) -> None:
    """Run the chain indexer as its own process. On PostgreSQL one process indexes at a time
    (this one or an API's background indexer): the others wait and take over when it stops."""
    import signal
    import threading

    from api.chain.client import ChainClient
    from api.chain.indexer import LEADER_ROLE, Indexer
    from api.core.db import make_engine
    from api.core.runtime import check_chain, check_database
    from api.kit.leader import as_leader

    try:
        settings = load_settings()
        _logging(settings.log_level)
        check_database(settings)
        if not settings.escrow_address:
            raise StartupError("ESCROW_ADDRESS", "the indexer needs the deployed escrow address")
        check_chain(settings)
    except StartupError as exc:
        _fail(exc)
    engine = make_engine(settings.database_url)
    worker = Indexer(
        engine=engine,
        chain=ChainClient.from_settings(settings),
        confirmations=settings.confirmations,
        start_block=settings.indexer_start_block,
    )
    if once:
        typer.echo(f"applied {worker.catch_up()} events")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    typer.echo(f"indexing {settings.escrow_address} from block {settings.indexer_start_block}")
    # One indexer across processes: this one waits while an API process (or another
    # `collab indexer`) leads, and takes over when that one goes.
    as_leader(worker.run_forever, engine=engine, role=LEADER_ROLE)(
        stop, settings.indexer_poll_seconds
    )


@app.command()
def worker(
    once: bool = typer.Option(False, help="send what is due now, then exit"),
) -> None:
    """Run the webhook worker as its own process. On PostgreSQL one process delivers at a time
    (this one or an API's background worker): the others wait and take over when it stops.
    Deliveries are leased, so one that dies leaves nothing lost (its deliveries are sent again,
    same webhook-id, once their lease expires)."""
    import signal
    import threading

    from api.core.db import make_engine
    from api.core.runtime import check_database
    from api.kit.leader import as_leader
    from api.webhooks import wakeup
    from api.webhooks.worker import LEADER_ROLE, WebhookWorker

    try:
        settings = load_settings()
        _logging(settings.log_level)
        check_database(settings)
    except StartupError as exc:
        _fail(exc)
    engine = make_engine(settings.database_url)
    webhooks = WebhookWorker(engine=engine, settings=settings)
    if once:
        sent = 0
        while tried := webhooks.run_once():
            sent += tried
        typer.echo(f"tried {sent} deliveries")
        return
    stop = threading.Event()

    def _stop(*_) -> None:
        stop.set()
        wakeup.notify()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    typer.echo("delivering webhooks")
    as_leader(webhooks.run_forever, engine=engine, role=LEADER_ROLE)(
        stop, settings.worker_poll_seconds
    )
    webhooks.close()


def _dev_key(key_index: int) -> str:
    from contracts.localchain import DEV_PRIVATE_KEYS

    if not 0 <= key_index < len(DEV_PRIVATE_KEYS):
        raise typer.BadParameter(f"0 to {len(DEV_PRIVATE_KEYS) - 1}", param_hint="--key-index")
    return DEV_PRIVATE_KEYS[key_index]


def _stdin_json() -> dict:
    import json

    try:
        return json.loads(sys.stdin.read())
    except ValueError as exc:
        raise typer.BadParameter(f"stdin is not JSON: {exc}") from None


@dev_app.command("sign-typed-data")
def dev_sign_typed_data(
    key_index: int = typer.Option(..., help="anvil development key number, 0 to 9"),
) -> None:
    """Sign the JSON of GET /v1/offers/{id}/typed-data (on stdin); print the signature."""
    from contracts.bindings import sign_typed_data

    body = _stdin_json()
    typer.echo(sign_typed_data(body.get("typed_data", body), _dev_key(key_index)))


@dev_app.command("sign-message")
def dev_sign_message(
    key_index: int = typer.Option(..., help="anvil development key number, 0 to 9"),
) -> None:
    """Sign the `message` of POST /v1/keys/nonce's JSON (on stdin) as personal_sign (EIP-191);
    print the JSON body of POST /v1/keys/rotate."""
    import json

    from eth_account import Account
    from eth_account.messages import encode_defunct

    message = _stdin_json().get("message")
    if not message:
        raise typer.BadParameter("no `message` on stdin: ask the nonce with a `wallet`")
    signed = Account.sign_message(encode_defunct(text=message), _dev_key(key_index))
    typer.echo(json.dumps({"message": message, "signature": "0x" + bytes(signed.signature).hex()}))


@dev_app.command("send")
def dev_send(
    key_index: int = typer.Option(..., help="anvil development key number, 0 to 9"),
    rpc_url: str = typer.Option(None, help="default: CHAIN_RPC_URL, else the make-run chain"),
) -> None:
    """Send the JSON of GET /v1/collaborations/{id}/transactions/{action} (on stdin), the
    transactions it requires first; print each transaction hash."""
    import os

    from web3 import Web3

    from api.dev.driver import send_unsigned
    from contracts.errors import ContractRevert

    body = _stdin_json()
    if "transaction" not in body:  # the API answered with a problem, not a transaction
        typer.echo(f"collab: no transaction: {body.get('detail', body)}", err=True)
        raise typer.Exit(code=1)
    url = rpc_url or os.environ.get("CHAIN_RPC_URL") or LOCAL_RPC_URL
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    key = _dev_key(key_index)
    for tx in [*body.get("requires", []), body["transaction"]]:
        try:
            receipt = send_unsigned(w3, tx, key)
        except ContractRevert as exc:
            typer.echo(f"collab: the chain rejected the transaction: {exc}", err=True)
            raise typer.Exit(code=1) from None
        typer.echo("0x" + bytes(receipt["transactionHash"]).hex())


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations to DATABASE_URL."""
    from api.core.migrate import upgrade
    from api.core.runtime import check_database

    try:
        settings = load_settings()
        check_database(settings)
    except StartupError as exc:
        _fail(exc)
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}")


def _in_session(work):
    """``work(session, settings)`` in one session on DATABASE_URL, committed; its result."""
    from sqlmodel import Session

    from api.core.db import make_engine

    try:
        settings = load_settings()
    except StartupError as exc:
        _fail(exc)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        result = work(session, settings)
        session.commit()
    engine.dispose()
    return result


@db_app.command("prune")
def db_prune() -> None:
    """Delete expired idempotency records, sign-in nonces and web sessions (requests prune a few
    as they go)."""
    from api.keys.service import prune_nonces
    from api.kit.idempotency import prune_expired
    from api.web.service import prune_sessions

    records, nonces, sessions = _in_session(
        lambda session, _: (prune_expired(session), prune_nonces(session), prune_sessions(session))
    )
    typer.echo(
        f"pruned {records} idempotency records, {nonces} sign-in nonces and {sessions} web sessions"
    )


@app.command()
def purge() -> None:
    """Apply the retention rule: offers that never became a deal (OFFER_RETENTION_DAYS after
    they ended), idempotency records (IDEMPOTENCY_RETENTION_HOURS) and expired sign-in nonces."""
    from api.me.retention import purge as apply_retention

    purged = _in_session(
        lambda session, settings: apply_retention(session=session, settings=settings)
    )
    typer.echo("purged " + ", ".join(f"{count} {kind}" for kind, count in purged.items()))


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert migrations on DATABASE_URL down to REVISION."""
    from api.core.migrate import downgrade

    try:
        settings = load_settings()
    except StartupError as exc:
        _fail(exc)
    downgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}")


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
