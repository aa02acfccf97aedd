"""The sliding window counters behind the rate limits: in memory and in Redis, one answer."""

from __future__ import annotations

import asyncio
import uuid

import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from api.core.limits import Counter, MemoryCounters, RedisCounters, retry_after

REDIS_URL = "redis://127.0.0.1:6379/0"


def _run(coroutine):
    return asyncio.run(coroutine)


async def _in_both(script: list[tuple[int, list[Counter]]]) -> tuple[list, list]:
    """Each step (time in ms, the request's counters) against both stores: their answers."""
    prefix = f"collab-test-{uuid.uuid4().hex}"
    memory, shared = MemoryCounters(), RedisCounters(REDIS_URL, prefix)
    try:
        answers = ([], [])
        for now, counters in script:
            answers[0].append(await memory.spend(counters, now))
            answers[1].append(await shared.spend(counters, now))
        return answers
    finally:
        await shared.client.aclose()
        with redis.Redis.from_url(REDIS_URL) as store:
            for key in store.scan_iter(f"{prefix}*"):
                store.delete(key)


MINUTE = Counter("address/1.2.3.4/3/60", limit=3, window_ms=60_000)
SECOND = Counter("key/k/2/1", limit=2, window_ms=1_000)


def test_the_previous_window_counts_as_much_as_the_sliding_window_still_covers() -> None:
    memory = MemoryCounters()
    spend = lambda now: _run(memory.spend([MINUTE], now))  # noqa: E731
    assert [spend(t) for t in (60_000, 60_001, 60_002)] == [None, None, None]
    refused = spend(60_003)
    assert (refused.index, refused.current, refused.previous) == (0, 3, 0)
    assert spend(119_999) is not None  # the window is still full
    # A third into the next window, the three of the last one still weigh 2: one more fits.
    assert spend(140_000) is None
    assert spend(140_001) is not None  # 3 * 2/3 + 1 + 1 > 3


def test_a_request_over_one_budget_spends_none_of_the_others() -> None:
    memory = MemoryCounters()
    assert _run(memory.spend([MINUTE, SECOND], 0)) is None
    assert _run(memory.spend([SECOND], 1)) is None
    refused = _run(memory.spend([MINUTE, SECOND], 2))
    assert refused.index == 1  # the second counter is full...
    assert _run(memory.spend([MINUTE], 3)) is None  # ...and the first was not spent by it
    assert _run(memory.spend([MINUTE], 4)) is None
    assert _run(memory.spend([MINUTE], 5)) is not None


def test_retry_after_is_when_one_more_request_fits() -> None:
    for counter, times in ((MINUTE, [0, 10_000, 59_000]), (SECOND, [0, 900]), (MINUTE, [0])):
        memory = MemoryCounters()
        now = 0
        for now in times:
            _run(memory.spend([counter], now))
        while (refusal := _run(memory.spend([counter], now))) is None:
            now += 1
        wait_ms = retry_after(counter, refusal) * 1000
        assert _run(memory.spend([counter], now + wait_ms)) is None
        assert 1_000 <= wait_ms <= 2 * counter.window_ms


steps = st.lists(
    st.tuples(st.integers(0, 1_500), st.sampled_from([[MINUTE], [SECOND], [MINUTE, SECOND]])),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(steps)
def test_redis_and_memory_give_the_same_answers(script) -> None:
    now, timed = 120_000, []
    for gap, counters in script:
        now += gap
        timed.append((now, counters))
    memory, shared = _run(_in_both(timed))
    assert memory == shared


def test_redis_checks_and_spends_every_budget_in_one_trip() -> None:
    async def trips() -> int:
        counters = RedisCounters(REDIS_URL, f"collab-test-{uuid.uuid4().hex}")
        calls = 0
        evalsha = counters.client.evalsha

        async def counted(*args, **kwargs):
            nonlocal calls
            calls += 1
            return await evalsha(*args, **kwargs)

        counters.client.evalsha = counted
        try:
            await counters.spend([MINUTE, SECOND, MINUTE], 0)
        finally:
            await counters.client.aclose()
        return calls

    assert _run(trips()) == 1


def test_forgetting_old_windows_forgets_no_budget_still_counting() -> None:
    memory = MemoryCounters()
    memory.PRUNE_EVERY = 1  # prune after every request
    hour = Counter("registration/1.2.3.4/2/3600", limit=2, window_ms=3_600_000)
    assert _run(memory.spend([hour], 0)) is None
    assert _run(memory.spend([SECOND], 10_000)) is None  # pruned: the hour's key must stay
    assert _run(memory.spend([hour], 20_000)) is None
    assert _run(memory.spend([hour], 30_000)) is not None
    _run(memory.spend([SECOND], 2 * 3_600_000 + 1))  # two hours on: nothing left to count
    assert list(memory._windows) == [SECOND.key]
