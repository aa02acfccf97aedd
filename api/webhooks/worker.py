"""The webhook worker: sends due deliveries, signed per Standard Webhooks, at least once.

A round claims due deliveries by writing a lease (a random token and an expiry) with a
compare-and-set, commits, sends, then records each outcome only if its lease is still the one
it wrote. A worker killed mid-send leaves a lease that expires: another round claims the
delivery again and sends the same message (same `webhook-id`, same body), so nothing is lost
and a receiver can drop the duplicate. Each endpoint's deliveries go one after the other in
event order; different endpoints are served at the same time. The same loop writes down the
offers that time has expired (their `offer.expired` events).
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from standardwebhooks import Webhook

from api.core.settings import Settings
from api.kit.background import start_loop
from api.kit.leader import as_leader
from api.kit.time import utcnow
from api.webhooks import wakeup
from api.webhooks.models import EXCERPT_CHARS, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from api.webhooks.safety import UnsafeTarget, resolve

log = logging.getLogger("collab.webhooks")
LEADER_ROLE = "webhook worker"  # one process runs it: see api.kit.leader

USER_AGENT = "Collab-Webhooks/1"
CANDIDATES = 500  # due deliveries looked at per round
PER_ENDPOINT = 100  # of which one endpoint gets at most this many
RECORD_BATCH = 20  # outcomes written per transaction (a crash re-sends at most these)
SWEEP_SECONDS = 5.0
# A request's headers and body are separate writes: Nagle would hold the body for an ACK.
NO_DELAY = [
    (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
]  # how often offers past their expiry are written down as expired


@dataclass(frozen=True)
class Claim:
    seq: int
    token: str
    attempts: int
    message_id: str
    payload: str
    endpoint_id: str
    url: str
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    excerpt: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signature_headers(claim: Claim, moment: datetime) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and `webhook-signature` (one `v1,` signature per
    valid secret: the new one and, during a rotation, the old one)."""
    signatures = [
        Webhook(secret).sign(msg_id=claim.message_id, timestamp=moment, data=claim.payload)
        for secret in claim.secrets
    ]
    return {
        "webhook-id": claim.message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


@dataclass
class WebhookWorker:
    engine: Engine
    settings: Settings
    client: httpx.Client = field(default=None)  # type: ignore[assignment]
    _swept_at: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.client is None:
            # No proxies from the environment: a proxy would reach what the checks refuse.
            self.client = httpx.Client(
                timeout=self.settings.webhook_timeout_seconds,
                follow_redirects=False,
                trust_env=False,
                transport=httpx.HTTPTransport(socket_options=NO_DELAY),
            )

    # ---------------------------------------------------------------------------- a round

    def run_once(self) -> int:
        """Sweep expired offers when due, then send what is due; returns deliveries tried."""
        if time.monotonic() - self._swept_at >= SWEEP_SECONDS:
            self.sweep()
        claims = self.claim()
        if not claims:
            return 0
        by_endpoint: dict[str, list[Claim]] = defaultdict(list)
        for claim in claims:
            by_endpoint[claim.endpoint_id].append(claim)
        groups = list(by_endpoint.values())
        if len(groups) == 1:
            self._serve(groups[0])
        else:
            workers = min(len(groups), self.settings.webhook_concurrency)
            with ThreadPoolExecutor(workers, thread_name_prefix="collab-webhook") as pool:
                list(pool.map(self._serve, groups))
        return len(claims)

    def sweep(self) -> int:
        from api.offers.service import expire_stale_offers

        with Session(self.engine) as session:
            expired = expire_stale_offers(session=session)
            session.commit()
        self._swept_at = time.monotonic()
        return expired

    def _serve(self, claims: list[Claim]) -> None:
        done: list[tuple[Claim, Outcome]] = []
        for claim in claims:
            done.append((claim, self.send(claim)))
            if len(done) == RECORD_BATCH:
                self.record(done)
                done = []
        if done:
            self.record(done)

    def claim(self) -> list[Claim]:
        now = utcnow()
        free = or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now)
        with Session(self.engine) as session:
            rows = session.exec(
                select(WebhookDelivery, WebhookEndpoint)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                    free,
                    WebhookEndpoint.enabled.is_(True),
                )
                .order_by(WebhookDelivery.seq)
                .limit(CANDIDATES)
            ).all()
            taken: dict[str, int] = defaultdict(int)
            claims = []
            lease = self.settings.webhook_lease_seconds
            timeout = self.settings.webhook_timeout_seconds
            for delivery, endpoint in rows:
                place = taken[endpoint.id]
                if place >= PER_ENDPOINT:
                    continue
                # An endpoint's messages go one after another: the k-th may wait for k slow
                # ones before it, so its lease lasts that much longer.
                lease_until = now + timedelta(seconds=lease + place * timeout)
                token = secrets.token_hex(16)
                result = session.execute(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.seq == delivery.seq,
                        WebhookDelivery.status == "pending",
                        free,
                    )
                    .values(lease_token=token, lease_until=lease_until)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount != 1:
                    continue  # another worker took it
                taken[endpoint.id] += 1
                claims.append(
                    Claim(
                        seq=delivery.seq,
                        token=token,
                        attempts=delivery.attempts,
                        message_id=delivery.message_id,
                        payload=delivery.payload,
                        endpoint_id=endpoint.id,
                        url=endpoint.url,
                        secrets=_signing_secrets(endpoint, now),
                    )
                )
            session.commit()
        return claims

    def send(self, claim: Claim) -> Outcome:
        started = time.perf_counter()

        def outcome(status_code=None, error=None, excerpt=None) -> Outcome:
            duration_ms = int((time.perf_counter() - started) * 1000)
            return Outcome(status_code, error and error[:500], excerpt, duration_ms)

        try:
            target = resolve(claim.url, allow_loopback=self.settings.webhook_allow_loopback)
        except UnsafeTarget as exc:  # the name may resolve elsewhere than at registration
            return outcome(error=f"refused: {exc}")
        headers = {
            **signature_headers(claim, utcnow()),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "host": target.host_header,
        }
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            with self.client.stream(
                "POST",
                target.connect_url(),
                content=claim.payload.encode(),
                headers=headers,
                extensions=extensions,
            ) as response:
                excerpt = _excerpt(response)
                return outcome(status_code=response.status_code, excerpt=excerpt)
        except httpx.TimeoutException:
            return outcome(error=f"timed out after {self.settings.webhook_timeout_seconds:g} s")
        except httpx.HTTPError as exc:
            return outcome(error=f"{type(exc).__name__}: {exc}")

    def record(self, results: list[tuple[Claim, Outcome]]) -> None:
        """Write each outcome whose lease is still ours (not redelivered, not deleted), in one
        transaction."""
        with Session(self.engine) as session:
            for claim, outcome in results:
                self._write(session, claim, outcome)
            session.commit()

    def _write(self, session: Session, claim: Claim, outcome: Outcome) -> None:
        now = utcnow()
        attempts = claim.attempts + 1
        schedule = self.settings.webhook_retry_schedule
        error = outcome.error
        if error is None and not outcome.ok:
            error = f"answered {outcome.status_code}"
        values: dict = {
            "attempts": attempts,
            "last_status_code": outcome.status_code,
            "last_error": None if outcome.ok else error,
            "lease_token": None,
            "lease_until": None,
            "updated_at": now,
        }
        failed = False
        if outcome.ok:
            values.update(status="succeeded", delivered_at=now)
        elif attempts <= len(schedule):
            values["next_attempt_at"] = now + timedelta(seconds=schedule[attempts - 1])
        else:
            values["status"] = "failed"
            failed = True
        result = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.seq == claim.seq, WebhookDelivery.lease_token == claim.token)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return
        session.add(
            WebhookAttempt(
                delivery_seq=claim.seq,
                attempted_at=now,
                status_code=outcome.status_code,
                error=None if outcome.ok else error,
                response_excerpt=outcome.excerpt,
                duration_ms=outcome.duration_ms,
            )
        )
        if failed:
            _disable(session, claim, attempts, now)

    # --------------------------------------------------------------------------- forever

    def run_forever(self, stop: threading.Event, poll_seconds: float) -> None:
        while not stop.is_set():
            try:
                if self.run_once():
                    continue  # more may be due: no waiting while there is work
            except Exception:
                log.exception("webhook round failed; retrying")
                stop.wait(poll_seconds * 2)
                continue
            wakeup.wait(poll_seconds)

    def close(self) -> None:
        self.client.close()


def _signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and _aware(expires) > now:
        return endpoint.secret, endpoint.previous_secret
    return (endpoint.secret,)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _excerpt(response: httpx.Response) -> str | None:
    """The first EXCERPT_CHARS characters of the answer; the rest is never read."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= EXCERPT_CHARS * 4:
            break
    text = b"".join(chunks).decode("utf-8", errors="replace")[:EXCERPT_CHARS]
    return text or None


def _disable(session: Session, claim: Claim, attempts: int, now: datetime) -> None:
    """A message that failed every retry disables its endpoint until its owner enables it."""
    reason = f"message {claim.message_id} failed {attempts} attempts; fix the endpoint, enable it"
    session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == claim.endpoint_id, WebhookEndpoint.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    log.warning("webhook endpoint %s disabled: %s", claim.endpoint_id, reason)


def start_background(app) -> None:
    settings: Settings = app.state.settings
    if not settings.worker_enabled:
        return
    worker = WebhookWorker(engine=app.state.engine, settings=settings)
    app.state.webhook_worker = worker
    app.state.webhook_worker_loop = start_loop(
        as_leader(worker.run_forever, engine=app.state.engine, role=LEADER_ROLE),
        settings.worker_poll_seconds,
        "collab-webhooks",
    )


def stop_background(app) -> None:
    loop = getattr(app.state, "webhook_worker_loop", None)
    if loop is not None:
        loop.stop.set()
        wakeup.notify()  # the worker sleeps until woken, not until its poll ends
        loop.halt()
        app.state.webhook_worker.close()
