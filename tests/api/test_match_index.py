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
        creator = register_creator(first, values=["lgbtq-rights"], dealbreakers=[])

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
