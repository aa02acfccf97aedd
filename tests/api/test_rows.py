"""Rows written without building their models (api.core.db.new_row, insert_row)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from api.core.db import insert_row, new_row
from api.events.models import Event

VALUES = {"type": "offer.sent", "resource_type": "offer", "resource_id": "off_1"}


def test_a_new_row_is_filled_as_its_model_would_be() -> None:
    """Defaults and default factories of the fields not given, as the constructor fills them;
    a required field missing is an error, not a NULL."""
    row = new_row(Event, id="evt_1", **VALUES, data={"a": 1})
    built = Event(id="evt_1", **VALUES, data={"a": 1}).model_dump()
    assert vars(row).keys() == built.keys()
    assert {k: v for k, v in vars(row).items() if k != "created_at"} == {
        k: v for k, v in built.items() if k != "created_at"
    }
    assert row.created_at.tzinfo is not None
    with pytest.raises(TypeError, match="data is required"):
        new_row(Event, id="evt_2", **VALUES)


def test_an_inserted_row_reads_back_as_one_the_session_wrote(engine) -> None:
    """The same values, written once as a model through the unit of work and once as a plain
    row, read back alike (JSON, times and defaults included)."""
    data = {"offer": {"id": "off_1", "amount": "10"}, "list": [1, "two"]}
    with Session(engine) as session:
        session.add(Event(id="evt_model", **VALUES, data=data))
        insert_row(session, Event, new_row(Event, id="evt_row", **VALUES, data=data))
        session.commit()
    with Session(engine) as session:
        model, row = (
            session.exec(select(Event).where(Event.id == id_)).one().model_dump()
            for id_ in ("evt_model", "evt_row")
        )
    assert {k for k in model if model[k] != row[k]} == {"seq", "id", "created_at"}
    assert row["data"] == data
    assert abs(row["created_at"] - model["created_at"]).total_seconds() < 60
