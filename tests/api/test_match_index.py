"""The shared index under concurrent readers and writers."""

from __future__ import annotations

import threading

from api.match_index import SharedIndex
from matching import Audience, Brief, CreatorProfile


def _creator(i: int, values: list[str]) -> CreatorProfile:
    return CreatorProfile(
        creator_id=f"c{i}",
        values=values,
        dealbreakers=[],
        is_virtual=bool(i % 2),
        languages=["fr"],
        audience={
            "instagram": Audience(followers=1000 + i, engagement_rate=0.05, countries=["FR"])
        },
        min_fee={"ETH": 1},
    )


def test_searches_and_upserts_from_many_threads_stay_consistent() -> None:
    index = SharedIndex()
    for i in range(50):
        index.upsert(_creator(i, ["animal-welfare"]))
    brief = Brief(
        values={"animal-welfare": 1.0},
        practices=[],
        budget=10,
        token="ETH",
        languages=[],
        platforms=[],
        countries=[],
    )
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(200):
                results = index.search(brief, limit=10)
                assert len(results) == 10
                assert all(0 <= m.score <= 1 for m in results)
        except BaseException as exc:  # noqa: BLE001 - collected, the test fails below
            errors.append(exc)

    def writer() -> None:
        try:
            for i in range(50, 1050):  # grows the arrays many times over
                index.upsert(_creator(i, ["animal-welfare", "veganism"]))
        except BaseException as exc:  # noqa: BLE001 - collected, the test fails below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)] + [
        threading.Thread(target=writer)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(index) == 1050


def test_a_second_process_picks_up_profile_changes(settings) -> None:
    """Two API processes on one database: each one's index catches up with the other's writes."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.match_index import refresh_index
    from tests.factories import post_request, register_brand, register_creator

    quiet = settings.model_copy(update={"index_refresh_seconds": 0})
    with TestClient(create_app(quiet)) as first, TestClient(create_app(quiet)) as second:
        brand = register_brand(second)
        request = post_request(brand, target_values=["lgbtq-rights"])
        # a bio far from the brief (its text is about animals): only the values decide
        creator = register_creator(
            first, values=["lgbtq-rights"], dealbreakers=[], bio="Je cours des marathons."
        )

        def matched() -> list[str]:
            url = f"/v1/requests/{request['id']}/matches"
            return [m["creator"]["id"] for m in brand.get(url).json()["items"]]

        assert creator.id not in matched()  # written through the first process only
        state = second.app.state
        assert refresh_index(state.engine, state.match_index) >= 1
        assert creator.id in matched()
        assert refresh_index(state.engine, state.match_index) >= 1  # same-timestamp overlap
        creator.patch("/v1/creators/me", json={"values": ["sport-wellbeing"]})
        refresh_index(state.engine, state.match_index)
        assert creator.id not in matched()


def _two_processes(settings):
    """Two API apps on one database, as two `collab serve` workers; each refreshes on demand."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    quiet = settings.model_copy(update={"index_refresh_seconds": 0})
    return TestClient(create_app(quiet)), TestClient(create_app(quiet))


def _matched(brand, request: dict) -> list[str]:
    url = f"/v1/requests/{request['id']}/matches?limit=100"
    return [m["creator"]["id"] for m in brand.get(url).json()["items"]]


def test_registered_changed_and_erased_through_one_worker_shows_in_the_other(settings) -> None:
    from api.match_index import refresh_index
    from tests.factories import post_request, register_brand, register_creator

    first, second = _two_processes(settings)
    with first, second:
        refresh = lambda: refresh_index(second.app.state.engine, second.app.state.match_index)  # noqa: E731
        brand = register_brand(second)
        request = post_request(brand, target_values=["lgbtq-rights"])
        # a bio far from the brief (its text is about animals): only the values decide
        creator = register_creator(
            first, values=["lgbtq-rights"], dealbreakers=[], bio="Je cours des marathons."
        )
        assert creator.id not in _matched(brand, request)
        refresh()
        assert creator.id in _matched(brand, request)  # registered

        creator.patch("/v1/creators/me", json={"languages": ["de"]})  # the brief wants fr
        refresh()
        assert creator.id not in _matched(brand, request)  # changed
        creator.patch("/v1/creators/me", json={"languages": ["fr"]})
        refresh()
        assert creator.id in _matched(brand, request)

        assert creator.client.delete("/v1/me", headers=creator.headers).status_code == 200
        refresh()
        assert creator.id not in _matched(brand, request)  # erased
        assert len(second.app.state.match_index) == len(first.app.state.match_index) == 0


def test_an_offer_is_screened_by_the_creators_row_before_the_index_catches_up(settings) -> None:
    """Screening reads the creator where this process's index holds it, but only as the row now
    stands: a change made through another worker, not yet seen here, is screened from the row."""
    from api.match_index import refresh_index
    from tests.factories import offer_body, post_request, register_brand, register_creator

    first, second = _two_processes(settings)
    with first, second:
        brand = register_brand(second, practices=["spirits distillery"], values=[])
        creator = register_creator(first, dealbreakers=[])
        index = second.app.state.match_index
        refresh_index(second.app.state.engine, index)
        requests = [post_request(brand)["id"] for _ in range(3)]
        alone: list[str] = []  # creators scored in an index of their own
        index.score_one = lambda brief, profile: (
            alone.append(profile.creator_id) or SharedIndex.score_one(index, brief, profile)
        )

        def offer(request_id: str) -> dict:
            url = f"/v1/requests/{request_id}/offers"
            response = brand.post(url, json=offer_body(creator.id))
            assert response.status_code == 201, response.text
            return response.json()

        first_offer = offer(requests[0])
        assert first_offer["status"] == "sent", first_offer["screening"]
        assert alone == []  # read in place: the index holds the row as it stands
        changed = creator.patch("/v1/creators/me", json={"dealbreakers": ["alcohol"]})
        assert changed.status_code == 200, changed.text
        for request_id in requests[1:]:  # before the second worker's index sees it, then after
            screened = offer(request_id)
            assert screened["status"] == "screened_out"
            assert [r["code"] for r in screened["screening"]["reasons"]] == ["dealbreaker"]
            refresh_index(second.app.state.engine, index)
        assert alone == [creator.id]  # only before the refresh


def test_a_change_stamped_first_but_committed_last_still_reaches_the_other_worker(
    settings,
) -> None:
    """Two workers write at once: one stamps `updated_at` first but commits after the other.
    The other worker's refresh has moved past the later stamp meanwhile; it must not skip the
    earlier one that commits afterwards."""
    from sqlmodel import Session

    from api.creators.models import Creator
    from api.kit.time import utcnow
    from api.match_index import refresh_index
    from tests.factories import post_request, register_brand, register_creator

    first, second = _two_processes(settings)
    with first, second:
        refresh = lambda: refresh_index(second.app.state.engine, second.app.state.match_index)  # noqa: E731
        brand = register_brand(second)
        request = post_request(brand, target_values=["lgbtq-rights"])
        slow = register_creator(first, values=["lgbtq-rights"], dealbreakers=[])
        fast = register_creator(first, values=["lgbtq-rights"], dealbreakers=[])
        refresh()
        assert {slow.id, fast.id} <= set(_matched(brand, request))

        with Session(first.app.state.engine) as late:
            row = late.get(Creator, slow.id)
            row.languages = ["de"]  # no longer fits the brief
            row.updated_at = utcnow()  # stamped now, committed below
            fast.patch("/v1/creators/me", json={"display_name": "Fast"})  # stamped and committed
            refresh()  # sees the fast change, not the slow one (not committed yet)
            late.commit()
        refresh()
        assert slow.id not in _matched(brand, request)
        assert fast.id in _matched(brand, request)


def test_an_answer_computed_while_the_index_changes_is_not_served_again() -> None:
    index = SharedIndex()
    calls = []

    def compute():
        calls.append(1)
        if len(calls) == 1:  # a write lands while the first answer is being made
            index.upsert(_creator(1, ["animal-welfare"]))
        return len(calls)

    assert index.remembered("k", compute) == 1
    assert index.remembered("k", compute) == 2  # the first belonged to the older generation
    assert index.remembered("k", compute) == 2  # remembered now
    index.delete("c1")
    assert index.remembered("k", compute) == 3


def test_a_match_list_is_made_again_only_when_the_brief_or_a_creator_changes(client) -> None:
    """The list is remembered per request: a second read asks the database for the brief only,
    and a change to a creator (its name, its values) or to the brand's words is seen at once."""
    from sqlalchemy import event

    from tests.factories import post_request, register_brand, register_creator

    brand = register_brand(client)
    request = post_request(brand, target_values=["lgbtq-rights"])
    # a bio far from the brief (its text is about animals): only the values decide
    creator = register_creator(
        client, values=["lgbtq-rights"], dealbreakers=[], bio="Je cours des marathons."
    )
    url = f"/v1/requests/{request['id']}/matches"
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    def shown() -> dict[str, str]:
        statements.clear()
        items = brand.get(url).json()["items"]
        return {item["creator"]["id"]: item["creator"]["display_name"] for item in items}

    engine = client.app.state.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert creator.id in shown()
        assert any("FROM creator" in s for s in statements)
        assert creator.id in shown()
        assert not any("FROM creator" in s for s in statements)  # remembered

        creator.patch("/v1/creators/me", json={"display_name": "Renamed"})
        assert shown()[creator.id] == "Renamed"
        creator.patch("/v1/creators/me", json={"values": ["sport-wellbeing"]})
        assert creator.id not in shown()
        creator.patch("/v1/creators/me", json={"values": ["lgbtq-rights"]})
        assert creator.id in shown()
        shown()
        assert not any("FROM creator" in s for s in statements)
        brand.patch("/v1/brands/me", json={"description": "Une autre histoire."})
        assert creator.id in shown()
        assert any("FROM creator" in s for s in statements)  # the brief changed: made again
    finally:
        event.remove(engine, "before_cursor_execute", record)
