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
        except BaseException as exc:  # collected, the test fails below
            errors.append(exc)

    def writer() -> None:
        try:
            for i in range(50, 1050):  # grows the arrays many times over
                index.upsert(_creator(i, ["animal-welfare", "veganism"]))
        except BaseException as exc:
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
