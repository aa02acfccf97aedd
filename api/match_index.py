"""The in-memory matching index, kept in step with the creators table.

Changes reach the index only after their transaction commits, so a rolled-back update never
shows in matches. The index is per process: run one API process per index, or rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from api.creators.models import Creator
from matching import Audience, CreatorProfile, MatchIndex


def creator_profile(creator: Creator) -> CreatorProfile:
    return CreatorProfile(
        creator_id=creator.id,
        values=list(creator.values),
        dealbreakers=list(creator.dealbreakers),
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
    )


def build_index(session: Session) -> MatchIndex:
    index = MatchIndex()
    for creator in session.exec(select(Creator)):
        index.upsert(creator_profile(creator))
    return index


def on_commit(session: Session, action: Callable[[], None]) -> None:
    session.info.setdefault("on_commit", []).append(action)


@event.listens_for(OrmSession, "after_commit")
def _run_on_commit(session: OrmSession) -> None:
    for action in session.info.pop("on_commit", []):
        action()


@event.listens_for(OrmSession, "after_rollback")
def _drop_on_rollback(session: OrmSession) -> None:
    session.info.pop("on_commit", None)


def get_index(request: Request) -> MatchIndex:
    return request.app.state.match_index


IndexDep = Annotated[MatchIndex, Depends(get_index)]
