"""App factory: settings in, a FastAPI app out. Start-up wiring lives in the lifespan."""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI, Request
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from api.accounts import router as accounts
from api.brands.router import router as brands_router
from api.chain.client import ChainClient
from api.chain.client import install_handler as install_chain_handler
from api.chain.indexer import start_background, stop_background
from api.charities.router import router as charities_router
from api.collaborations.router import router as collaborations_router
from api.core import principals
from api.core.db import busy_routes, make_engine
from api.core.deployment import deployment_at_start
from api.core.errors import install_handlers
from api.core.inputs import RejectNul
from api.core.limits import BodyLimit, RateLimits
from api.core.openapi import install_openapi
from api.core.security import SecurityHeaders
from api.core.settings import Settings
from api.creators.router import router as creators_router
from api.events.router import router as events_router
from api.keys.router import router as keys_router
from api.kit.routing import skip_routers_that_cannot_match
from api.match_index import build_index, start_refresh, stop_refresh
from api.me.router import router as me_router
from api.offers.router import router as offers_router
from api.payouts.router import router as payouts_router
from api.relay.router import router as relay_router
from api.requests.router import router as requests_router
from api.settlements.router import router as settlements_router
from api.splits.router import router as splits_router
from api.values import router as values
from api.web.router import install as install_web
from api.webhooks import worker as webhook_worker
from api.webhooks.router import router as webhooks_router

log = logging.getLogger("collab")


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or Settings()
    owns_engine = engine is None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Sync routes run in this many threads. Fewer threads fight less over the GIL (lower tail
        # latency under load); more keep the API answering while some wait on a slow node.
        to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        # Route bodies that do not call the chain run a few at a time (see busy_routes).
        with busy_routes(settings.busy_routes or os.cpu_count() or 1):
            app.state.engine = engine or make_engine(settings.database_url)
            rpc = settings.chain_rpc_url
            app.state.chain = ChainClient.from_settings(settings) if rpc else None
            # Known tokens and reserved addresses; a misconfigured one stops the start-up here.
            app.state.deployment = deployment_at_start(settings, app.state.chain)
            with Session(app.state.engine) as session:
                app.state.match_index = build_index(session)
            for hook in app.state.startup_hooks:
                hook(app)
            try:
                yield
            finally:
                for hook in reversed(app.state.shutdown_hooks):
                    hook(app)
                if owns_engine:
                    app.state.engine.dispose()

    app = FastAPI(
        title="Collab",
        version="1.0.0",
        summary="Ethical brand-creator collaborations, matched by shared values, paid by escrow.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.startup_hooks = [start_background, start_refresh, webhook_worker.start_background]
    app.state.shutdown_hooks = [stop_background, stop_refresh, webhook_worker.stop_background]
    principals.install(app)
    install_handlers(app)
    install_chain_handler(app)
    for router in (
        brands_router,
        creators_router,
        accounts.router,
        me_router,
        keys_router,
        values.router,
        requests_router,
        offers_router,
        collaborations_router,
        payouts_router,
        relay_router,
        settlements_router,
        events_router,
        webhooks_router,
        splits_router,
        charities_router,
    ):
        app.include_router(router)
    install_web(app)
    install_openapi(app)
    skip_routers_that_cannot_match(app)
    # The last added runs first: headers on every answer, then limits before any body is read,
    # then text the database cannot store.
    app.add_middleware(RejectNul)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.rate_limits_enabled:
        app.add_middleware(RateLimits, settings=settings)
    app.add_middleware(SecurityHeaders)

    @app.get("/health", tags=["health"])
    def health(request: Request) -> dict:
        """Database, chain (id and latest block) and deployed contracts."""
        database = {"ok": True, "dialect": request.app.state.engine.dialect.name}
        try:
            with request.app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:  # health reports failures instead of raising them
            database = {"ok": False, "error": type(exc).__name__}
        chain_client: ChainClient | None = request.app.state.chain
        chain = chain_client.health() if chain_client else {"ok": False, "error": "not configured"}
        status = "ok" if database["ok"] and chain["ok"] else "degraded"
        return {"status": status, "database": database, "chain": chain}

    return app
