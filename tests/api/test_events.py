"""Domain events: written with their change, seen only by the parties, listed with a cursor,
and delivered for a whole deal on the chain in order."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, func, select

from api.core.settings import Settings
from api.events.models import Event
from api.webhooks.models import WebhookEndpoint
from api.webhooks.worker import WebhookWorker
from tests.api.conftest import OPERATOR_KEY
from tests.api.deals import address, make_deal
from tests.factories import auth, offer_body, post_request, register_brand, register_creator

LOOPBACK = {"webhook_allow_loopback": True, "webhook_retry_schedule": [0.0]}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update=LOOPBACK)


@pytest.fixture
def deal_settings(deal_settings: Settings) -> Settings:
    return deal_settings.model_copy(update=LOOPBACK)


def drain(client) -> None:
    state = client.app.state
    worker = WebhookWorker(engine=state.engine, settings=state.settings)
    while worker.run_once():
        pass


def events(actor, **params) -> list[dict]:
    response = actor.get("/v1/events", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def types(actor) -> list[tuple[str, str]]:
    return [(event["type"], event["resource_id"]) for event in events(actor, limit=100)]


def offer(brand, creator) -> dict:
    request = post_request(brand)
    response = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id))
    assert response.status_code == 201, response.text
    return response.json()


def test_each_party_sees_its_own_events_and_nobody_else(client, receiver) -> None:
    brand_a, brand_b = register_brand(client), register_brand(client)
    creator_x, creator_y = register_creator(client), register_creator(client)
    hook = brand_b.post("/v1/webhook-endpoints", json={"url": receiver.url}).json()
    to_x, to_y = offer(brand_a, creator_x), offer(brand_b, creator_y)
    declined = creator_x.post(f"/v1/offers/{to_x['id']}/decline", json={"reason": "busy"})
    assert declined.status_code == 200

    assert types(brand_a) == [("offer.sent", to_x["id"]), ("offer.declined", to_x["id"])]
    assert types(creator_x) == types(brand_a)
    assert types(brand_b) == [("offer.sent", to_y["id"])]
    assert types(creator_y) == types(brand_b)
    [sent, last] = events(brand_a)
    assert sent["data"]["status"] == "sent"  # the offer as it was then
    assert last["data"]["status"] == "declined"
    assert last["data"]["decline_reason"] == "busy"

    # a cursor resumes after the last event handled; an unknown one is a 422
    first_page = brand_a.get("/v1/events", params={"limit": 1}).json()
    assert first_page["next_cursor"] == sent["id"]
    assert events(brand_a, cursor=first_page["next_cursor"]) == [last]
    assert events(brand_a, type="offer.declined") == [last]
    unknown = brand_a.get("/v1/events", params={"cursor": "evt_" + "0" * 32})
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/events", headers=auth(OPERATOR_KEY)).status_code == 403
    assert client.get("/v1/events").status_code == 401

    drain(client)
    [message] = receiver.received
    assert message.verify(hook["secret"])["data"]["id"] == to_y["id"]

    # Erasure: the account's endpoints (and their logs) go; the other party keeps its events,
    # without the erased brand's name.
    name = client.get("/v1/me", headers=brand_b.headers).json()["name"]
    assert name in str(events(creator_y))
    assert client.delete("/v1/me", headers=brand_b.headers).status_code == 200
    with Session(client.app.state.engine) as session:
        assert session.get(WebhookEndpoint, hook["id"]) is None
    assert types(creator_y) == [("offer.sent", to_y["id"])]
    assert name not in str(events(creator_y))


def test_racing_declines_write_one_event(client) -> None:
    brand, creator = register_brand(client), register_creator(client)
    sent = offer(brand, creator)
    decline = f"/v1/offers/{sent['id']}/decline"
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: creator.post(decline), range(4)))
    assert sorted(r.status_code for r in answers) == [200, 409, 409, 409]
    assert [kind for kind, _ in types(brand)] == ["offer.sent", "offer.declined"]


def test_offers_past_their_expiry_are_announced_once(client) -> None:
    client.app.state.settings.offer_ttl_seconds = 1
    brand, creator = register_brand(client), register_creator(client)
    sent = offer(brand, creator)
    time.sleep(1.1)
    state = client.app.state
    workers = [WebhookWorker(engine=state.engine, settings=state.settings) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        swept = list(pool.map(lambda worker: worker.sweep(), workers))
    assert sorted(swept) == [0, 0, 1]
    assert types(creator) == [("offer.sent", sent["id"]), ("offer.expired", sent["id"])]
    with Session(state.engine) as session:
        count = session.exec(select(func.count()).select_from(Event)).one()
    assert count == 2


def test_a_whole_deal_reaches_both_parties_in_order(deal_client, chain, wallets, receiver) -> None:
    _, w3, _ = chain
    amount = 10**18
    deal = make_deal(deal_client, w3, wallets, amount=amount)
    hooks = {
        name: actor.post("/v1/webhook-endpoints", json={"url": f"{receiver.url}?{name}"}).json()
        for name, actor in (("brand", deal.brand), ("creator", deal.creator))
    }
    stranger = register_brand(deal_client, wallet=address(wallets.stranger))
    stranger.post("/v1/webhook-endpoints", json={"url": f"{receiver.url}?stranger"})
    deal.accept()
    deal.fund()
    deal.deliver()
    deal.act(deal.brand, "approve", wallets.brand)
    drain(deal_client)

    payees = [p["wallet"] for p in deal.state()["payees"]]
    expected = (
        ["offer.sent", "offer.accepted"]
        + ["collaboration.funded", "collaboration.delivered", "collaboration.approved"]
        + ["collaboration.released"]  # the approval pays out at once, before the payouts
        + ["payout.paid"] * len(payees)
    )
    assert [e["type"] for e in events(deal.brand, limit=100)] == expected
    for name, actor in (("brand", deal.brand), ("creator", deal.creator)):
        got = [m for m in receiver.received if m.path.endswith(f"?{name}")]
        payloads = [m.verify(hooks[name]["secret"]) for m in got]
        # the offer was sent before the endpoints existed: everything after it arrives
        assert [p["type"] for p in payloads] == expected[1:]
        assert [p["id"] for p in payloads] == [e["id"] for e in events(actor, limit=100)][1:]
    assert len(receiver.received) == 2 * len(expected[1:])  # nothing for the stranger
    paid = [p for p in events(deal.creator, type="payout.paid", limit=100)]
    assert {p["data"]["collaboration_id"] for p in paid} == {deal.collaboration["id"]}
    announced = {p["data"]["wallet"]: p["data"]["amount"] for p in paid}
    assert sorted(announced) == sorted(payees)
    assert announced == {
        p["wallet"]: p["amount"] for p in deal.state()["payouts"] if p["kind"] == "paid"
    }
    released = events(deal.creator, type="collaboration.released")[0]["data"]
    assert released["status"] == "released"
    # Escrow v2: the brand's approval is the release (one transaction, no Released log).
    assert released["transactions"]["approve"]
    assert "release" not in released["transactions"]


def _emit(session: Session, name: str) -> None:
    from api.events.service import emit

    emit(
        session,
        type="offer.sent",
        resource_type="offer",
        resource_id=name,
        data={"id": name},
        audience=["brd_someone"],
    )


def test_events_take_their_place_in_the_order_their_changes_commit(engine) -> None:
    """A unit of work that emitted first but commits last gets the later `seq`: a client that
    read past the other one's event still finds it. And the first one never holds the second
    back: its event is only written when it commits."""
    first, second = Session(engine), Session(engine)
    _emit(first, "first")
    assert first.exec(select(func.count()).select_from(Event)).one() == 0  # staged, not written
    _emit(second, "second")
    second.commit()
    first.commit()
    with Session(engine) as reader:
        order = [e.resource_id for e in reader.exec(select(Event).order_by(Event.seq))]
    assert order == ["second", "first"]
    first.close()
    second.close()


def test_a_unit_of_work_that_rolls_back_takes_its_events_with_it(engine) -> None:
    with Session(engine) as session:
        _emit(session, "gone")
        session.rollback()
        _emit(session, "kept")
        session.commit()
    with Session(engine) as reader:
        assert [e.resource_id for e in reader.exec(select(Event))] == ["kept"]


def test_only_changes_seen_by_the_same_account_take_turns(engine, database_url) -> None:
    """While one account's events are being written, another account's go on; the first
    account's next event waits its turn (on SQLite, one writer at a time covers it)."""
    import threading

    import sqlalchemy as sa

    from api.core.db import advisory_key
    from api.events.service import reader_lock

    def emit_for(account: str, name: str) -> None:
        from api.events.service import emit

        with Session(engine) as session:
            emit(
                session,
                type="offer.sent",
                resource_type="offer",
                resource_id=name,
                data={},
                audience=[account],
            )
            session.commit()

    if not database_url.startswith("postgresql"):
        emit_for("brd_a", "a1")
        emit_for("brd_b", "b1")
        return
    holder = sa.create_engine(database_url)
    with holder.connect() as connection:  # as if a's events were being written
        connection.execute(
            sa.text("SELECT pg_advisory_lock(:key)"), {"key": advisory_key(reader_lock("brd_a"))}
        )
        waiting = threading.Thread(target=emit_for, args=("brd_a", "a1"))
        waiting.start()
        emit_for("brd_b", "b1")  # not held back
        waiting.join(0.5)
        assert waiting.is_alive()  # a's turn has not come
        connection.execute(sa.text("SELECT pg_advisory_unlock_all()"))
        waiting.join(10)
        assert not waiting.is_alive()
    holder.dispose()
    with Session(engine) as reader:
        order = [e.resource_id for e in reader.exec(select(Event).order_by(Event.seq))]
    assert order == ["b1", "a1"]


def test_reader_locks_are_taken_in_order_in_one_statement(engine, database_url) -> None:
    """An event seen by two accounts takes both reader locks in one statement, in their sorted
    order: held up at the second, it already holds the first (so two writers never wait for
    each other in a cycle)."""
    import threading

    import sqlalchemy as sa
    from sqlalchemy import event as sa_event

    from api.core.db import advisory_key
    from api.events.service import emit, reader_lock

    statements: list[str] = []

    def write() -> None:
        with Session(engine) as session:
            emit(
                session,
                type="offer.sent",
                resource_type="offer",
                resource_id="both",
                data={},
                audience=["brd_z", "brd_a"],
            )
            session.commit()

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    if not database_url.startswith("postgresql"):
        write()
        return
    second = advisory_key(reader_lock("brd_z"))  # sorted after brd_a's
    holder = sa.create_engine(database_url)
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        with holder.connect() as connection:
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": second})
            waiting = threading.Thread(target=write)
            waiting.start()
            held = []
            for _ in range(100):  # until the writer holds the first and waits for the second
                held = (
                    connection.execute(
                        sa.text(
                            "SELECT granted FROM pg_locks WHERE locktype = 'advisory' "
                            "AND pid <> pg_backend_pid() ORDER BY granted DESC"
                        )
                    )
                    .scalars()
                    .all()
                )
                if held == [True, False]:
                    break
                time.sleep(0.05)
            assert held == [True, False]
            connection.execute(sa.text("SELECT pg_advisory_unlock_all()"))
            waiting.join(10)
            assert not waiting.is_alive()
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
        holder.dispose()
    assert sum("pg_advisory_xact_lock" in s for s in statements) == 1
