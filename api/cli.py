"""`collab` command line: serve, database migrations and the chain indexer."""

from __future__ import annotations

import logging
import sys

import typer

from api.runtime import StartupError, load_settings, local_stack

app = typer.Typer(help="Collab: ethical brand-creator collaborations.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


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
) -> None:
    """Start the chain (unless CHAIN_RPC_URL is set), deploy, migrate and serve the API."""
    import uvicorn

    from api.app import create_app

    try:
        settings = load_settings()
        _logging(settings.log_level)
        with local_stack(settings) as ready:
            base_url = f"http://{host or ready.host}:{port or ready.port}"
            if ready.dev_signer or ready.seed_demo:
                typer.echo(_seed(ready, base_url))
            application = create_app(ready)
            typer.echo(f"Collab API on {base_url} (docs: {base_url}/docs)")
            uvicorn.run(
                application,
                host=host or ready.host,
                port=port or ready.port,
                log_level=ready.log_level.lower(),
            )
    except StartupError as exc:
        _fail(exc)


def _seed(settings, base_url: str) -> str:
    from sqlmodel import Session

    from api.db import make_engine
    from api.demo import seed_demo, try_it_text
    from api.match_index import SharedIndex

    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        accounts = seed_demo(session=session, index=SharedIndex(), settings=settings)
    engine.dispose()
    return try_it_text(accounts, base_url)


@app.command()
def demo(
    token: str = typer.Option("ETH", help="ETH or stablecoin"),
) -> None:
    """Run the whole flow on a fresh local chain and print every step and the final balances."""
    from api.demo_flow import run_demo

    _logging("WARNING")
    try:
        run_demo(token=token, echo=typer.echo)
    except StartupError as exc:
        _fail(exc)


@app.command()
def indexer(
    once: bool = typer.Option(False, help="catch up to the chain head, then exit"),
) -> None:
    """Run the chain indexer as its own process (the API runs one in the background too)."""
    import signal
    import threading

    from api.chain import ChainClient
    from api.db import make_engine
    from api.indexer import Indexer
    from api.runtime import check_chain, check_database

    try:
        settings = load_settings()
        _logging(settings.log_level)
        check_database(settings)
        if not settings.escrow_address:
            raise StartupError("ESCROW_ADDRESS", "the indexer needs the deployed escrow address")
        check_chain(settings)
    except StartupError as exc:
        _fail(exc)
    worker = Indexer(
        engine=make_engine(settings.database_url),
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
    worker.run_forever(stop, settings.indexer_poll_seconds)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations to DATABASE_URL."""
    from api.migrate import upgrade
    from api.runtime import check_database

    try:
        settings = load_settings()
        check_database(settings)
    except StartupError as exc:
        _fail(exc)
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert migrations on DATABASE_URL down to REVISION."""
    from api.migrate import downgrade

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
