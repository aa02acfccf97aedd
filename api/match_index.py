"""The in-memory matching index, kept in step with the creators table.

Changes reach the index only after their transaction commits, so a rolled-back update never
shows in matches. The index is per process; each one picks up the others' changes by polling
the creators table (refresh_index).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import String, cast, func, literal
from sqlmodel import Session, select
from threadpoolctl import threadpool_limits

from api.creators.models import Creator
from api.me.personal import is_erased
from api.values.service import concept_weights, refused_practices
from matching import Audience, CreatorProfile, MatchIndex, closeness, load_taxonomy
from matching.closeness import creator_phrases
from matching.interpret import embed, loose
from matching.names import names_refused
from matching.semantic import creator_meaning, from_stored, to_stored

log = logging.getLogger("collab.index")
# How far behind its newest stamp a refresh looks again. A change is stamped before its
# transaction commits: a worker that commits a moment after another, with an earlier stamp,
# would otherwise fall behind the watermark and never be seen. It also covers clock skew
# between hosts. A transaction longer than this (or hosts further apart) could still be missed.
LOOKBACK = timedelta(seconds=60)


def _known(slugs: list[str]) -> list[str]:
    """The slugs the current taxonomy has. The stored ones were read with the taxonomy of
    their day; one it has since lost must not stop the index from loading every creator."""
    taxonomy = load_taxonomy()
    return [slug for slug in slugs if slug in taxonomy]


def _meaning_of(creator: Creator):
    """The meaning of the creator's current value phrases and bio."""
    return creator_meaning([phrase["text"] for phrase in creator.value_phrases], creator.bio)


def stored_meaning(creator: Creator) -> bytes | None:
    """The meaning column for the creator's current value phrases and bio."""
    return to_stored(_meaning_of(creator))


def _phrases_of(creator: Creator):
    """The fingerprints of the creator's current value phrases and bio."""
    return creator_phrases([phrase["text"] for phrase in creator.value_phrases], creator.bio)


def stored_phrases(creator: Creator) -> bytes | None:
    """The phrases column for the creator's current value phrases and bio."""
    return closeness.to_stored(_phrases_of(creator))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def profile_version(creator: Creator) -> int:
    """The profile's version (CreatorProfile.version): the microsecond the creator's row last
    changed. Every change a profile reads stamps the row (refresh_index relies on it too)."""
    moment = creator.updated_at
    if moment.tzinfo is None:  # SQLite hands datetimes back without their zone: they are UTC
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def creator_profile(creator: Creator) -> CreatorProfile:
    """A creator as the engine sees it: the slugs derived from its phrases (see
    api.values.service), not the phrases themselves, and the meaning of its words (computed
    here when the stored one is missing or from another basis)."""
    meaning = from_stored(creator.meaning)
    if meaning is None:
        meaning = _meaning_of(creator)
    confidence = concept_weights(creator.value_phrases)
    # a dealbreaker narrower than what the values embrace ("crypto scams" next to "bitcoin")
    # refuses nothing by concept
    dealbreakers, by_concept = refused_practices(
        creator.value_phrases, creator.dealbreaker_phrases, _known(creator.dealbreakers)
    )
    phrases = closeness.from_stored(creator.phrases)
    if phrases is None:
        phrases = _phrases_of(creator)
    return CreatorProfile(
        creator_id=creator.id,
        # each value with the confidence of its reading (a value named outright weighs 1)
        values={s: confidence.get(s, 1.0) for s in _known(creator.values)},
        loose=loose(confidence),
        dealbreakers=dealbreakers,
        refused_names=names_refused(by_concept),
        is_virtual=creator.is_virtual,
        languages=list(creator.languages),
        audience={
            platform: Audience(
                followers=int(item["followers"]),
                engagement_rate=float(item.get("engagement_rate", 0.0)),
                countries=list(item.get("countries", [])),
            )
            for platform, item in creator.audience.items()
        },
        min_fee={fee["token"]: int(fee["amount"]) for fee in creator.min_fees},
        completed_deals=creator.completed_deals,
        display_name=creator.display_name,
        meaning=meaning,
        phrases=phrases,
        version=profile_version(creator),
    )


class _ReadWriteLock:
    """Many readers or one writer. Writers (profile changes) are rare and short."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def reading(self):
        with self._cond:
            self._cond.wait_for(lambda: not self._writing)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self):
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and not self._readers)
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class SharedIndex:
    """The index shared by request threads and the indexer thread.

    MatchIndex is not safe to write while it is read (an upsert may grow and swap its arrays
    mid-search): searches share a read lock, upserts and deletes take it alone.

    Each write starts a new generation of the index; :meth:`remembered` keeps answers computed
    from it (a request's match list) until the next one.
    """

    MEMO_SIZE = 512

    def __init__(self, index: MatchIndex | None = None) -> None:
        self._index = index or MatchIndex()
        self._lock = _ReadWriteLock()
        self._generation = 0
        self._memo: OrderedDict[Hashable, tuple[int, object]] = OrderedDict()
        self._memo_lock = threading.Lock()
        self.watermark: datetime | None = None  # newest creators.updated_at seen
        # creator id -> the stamp applied (as the driver returns it), for the rows within
        # LOOKBACK of the watermark: see refresh_index
        self.applied: dict[str, object] = {}

    def __len__(self) -> int:
        with self._lock.reading():
            return len(self._index)

    def upsert(self, profile: CreatorProfile) -> None:
        with self._lock.writing():
            self._generation += 1
            self._index.upsert(profile)

    def delete(self, creator_id: str) -> None:
        with self._lock.writing():
            self._generation += 1
            self._index.delete(creator_id)

    def remembered(self, key: Hashable, compute: Callable[[], object]) -> object:
        """What ``compute()`` returned for ``key`` in this generation of the index, else its
        answer now. ``key`` must name everything else the answer depends on. An answer computed
        while a write lands is kept under the older generation, so it is never served again."""
        generation = self._generation
        with self._memo_lock:
            known = self._memo.get(key)
            if known is not None and known[0] == generation:
                self._memo.move_to_end(key)
                return known[1]
        answer = compute()
        with self._memo_lock:
            self._memo[key] = (generation, answer)
            self._memo.move_to_end(key)
            while len(self._memo) > self.MEMO_SIZE:
                self._memo.popitem(last=False)
        return answer

    def search(self, brief, limit: int = 20, diversify: bool = False):
        with self._lock.reading():
            return self._index.search(brief, limit=limit, diversify=diversify)

    def explain_filter(self, brief, creator_id: str):
        with self._lock.reading():
            return self._index.explain_filter(brief, creator_id)

    def score_one(self, brief, creator: CreatorProfile):
        # Scores against a one-creator index of its own: nothing shared to lock.
        return self._index.score_one(brief, creator)

    def screen(self, brief, creator: Creator):
        """The creator as its row now stands, screened against ``brief`` (a Match, or the
        filter reasons): read in this index when it holds that state of the row, else scored
        alone (a change not applied here yet, by this process or another)."""
        with self._lock.reading():
            found = self._index.score_indexed(brief, creator.id, profile_version(creator))
        return self.score_one(brief, creator_profile(creator)) if found is None else found


def one_blas_thread() -> None:
    """Every BLAS call of this process on one thread. The server's parallelism is its requests:
    a search's product of the brief with every creator's meaning (64 x n) is a few hundred
    microseconds on one core, but split over OpenBLAS's threads while other requests hold the
    cores it spins and waits, about 20 times slower (measured at 10k creators, 2 cores)."""
    threadpool_limits(limits=1, user_api="blas")


def build_index(session: Session) -> SharedIndex:
    one_blas_thread()
    # The sentence encoder takes a second or two of CPU to load: at start-up, rather than in
    # the first request that reads a phrase, holding up every other request meanwhile.
    embed(["."])
    index = MatchIndex()
    creators = list(session.exec(select(Creator)))
    index.upsert_many(creator_profile(c) for c in creators if not is_erased(c))
    shared = SharedIndex(index)
    shared.watermark = max((c.updated_at for c in creators), default=None)
    if shared.watermark is not None:
        shared.applied = dict(_stamps(session, shared.watermark - LOOKBACK))
    return shared


# Each creator of a window as one line "<id> <stamp as text>", all in one string: a refresh
# looks again at every creator stamped within LOOKBACK of the newest, which after a bulk import
# is every creator (10k rows every refresh). Read row by row, the driver hands the interpreter
# lock back and forth for each row, and under load each hand-back waits for the requests' threads;
# aggregated by the database, the window is one row. The stamps are compared, never read.
_STAMP_LINE = Creator.id + literal(" ") + cast(Creator.updated_at, String)


def _stamps(session: Session, since: datetime | None) -> list[tuple[str, str]]:
    """(id, stamp as text) of the creators stamped since ``since`` (all of them without one)."""
    lines = select(func.aggregate_strings(_STAMP_LINE, "\n"))
    if since is not None:
        lines = lines.where(Creator.updated_at >= since)
    text = session.connection().execute(lines).scalar()
    return [tuple(line.split(" ", 1)) for line in text.split("\n")] if text else []


def refresh_index(engine, index: SharedIndex) -> int:
    """Upsert creators changed since the last look, by anyone: another API process, or the
    `collab indexer` process counting a completed deal. Returns how many were seen.

    It looks again at every row stamped within LOOKBACK of the newest stamp seen (a row may be
    committed after a newer one), by id and stamp only, and loads and applies those whose stamp
    it has not applied yet."""
    with Session(engine) as session:
        since = index.watermark - LOOKBACK if index.watermark is not None else None
        seen = _stamps(session, since)
        fresh = [key for key, stamp in seen if index.applied.get(key) != stamp]
        changed = []
        for start in range(0, len(fresh), 500):
            batch = fresh[start : start + 500]
            changed += session.exec(select(Creator).where(Creator.id.in_(batch))).all()
    for creator in changed:
        if is_erased(creator):  # erased by another process: out of the matches
            index.delete(creator.id)
        else:
            index.upsert(creator_profile(creator))
        if index.watermark is None or creator.updated_at > index.watermark:
            index.watermark = creator.updated_at
    # A row changed again between the two queries is applied as loaded and looked at again next
    # time (its stamp differs from the one recorded): applying twice is harmless.
    index.applied = dict(seen)
    return len(seen)


def start_refresh(app) -> None:
    seconds = app.state.settings.index_refresh_seconds
    if not seconds:
        return
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(seconds):
            try:
                refresh_index(app.state.engine, app.state.match_index)
            except Exception:  # the next round retries; requests keep the current index
                log.exception("matching index refresh failed")

    thread = threading.Thread(target=loop, name="collab-index-refresh", daemon=True)
    app.state.index_refresh_stop = stop
    thread.start()


def stop_refresh(app) -> None:
    stop = getattr(app.state, "index_refresh_stop", None)
    if stop is not None:
        stop.set()


async def get_index(request: Request) -> SharedIndex:
    return request.app.state.match_index


IndexDep = Annotated[SharedIndex, Depends(get_index)]
