"""An offer's payment schedule: 1 to MAX_MILESTONES milestones, each a label, an amount and a
deliver-by. Stored on the offer and each version as ``[{label, amount, deliver_by}]`` (amount a
decimal string, deliver_by unix seconds), or None for an offer made without milestones: one
milestone of the whole amount due at ``deliver_by``, exactly the deal of before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.core.errors import InvalidInput
from api.offers.models import MilestoneCreate

MAX_DELIVERY_DAYS = 366


def require_within_a_year(deliver_by: datetime, field: str = "deliver_by") -> None:
    if deliver_by > datetime.now(UTC) + timedelta(days=MAX_DELIVERY_DAYS):
        raise InvalidInput(
            f"{field} must be within a year",
            errors=[{"field": field, "message": "more than a year away"}],
        )


def stored(milestones: list[MilestoneCreate]) -> list[dict]:
    return [
        {"label": m.label, "amount": str(m.amount), "deliver_by": int(m.deliver_by.timestamp())}
        for m in milestones
    ]


def schedule(
    *, amount: int, deliver_by: datetime | None, milestones: list[dict] | None
) -> tuple[datetime, list[dict] | None]:
    """(deliver_by, milestones) checked: the amounts sum to ``amount``, deadlines in order and
    within a year, ``deliver_by`` (when given with milestones) the last milestone's. 422 with
    the offending field otherwise."""
    if not milestones:
        if deliver_by is None:
            raise InvalidInput(
                "deliver_by is required when no milestones are given",
                errors=[{"field": "deliver_by", "message": "required without milestones"}],
            )
        require_within_a_year(deliver_by)
        return deliver_by, None
    for number, milestone in enumerate(milestones):
        field = f"milestones.{number}.deliver_by"
        require_within_a_year(datetime.fromtimestamp(milestone["deliver_by"], UTC), field)
        if number and milestone["deliver_by"] < milestones[number - 1]["deliver_by"]:
            raise InvalidInput(
                f"milestone {number} is due before milestone {number - 1}: milestones are "
                "given in the order they are due",
                errors=[{"field": field, "message": "before the previous milestone's"}],
            )
    total = sum(int(m["amount"]) for m in milestones)
    if total != amount:
        raise InvalidInput(
            f"the milestones' amounts sum to {total}, the amount is {amount}: they must be equal",
            errors=[{"field": "milestones", "message": f"amounts sum to {total}, not {amount}"}],
        )
    last = datetime.fromtimestamp(milestones[-1]["deliver_by"], UTC)
    if deliver_by is not None and int(deliver_by.timestamp()) != milestones[-1]["deliver_by"]:
        raise InvalidInput(
            f"deliver_by is the last milestone's ({last.isoformat()}); omit it or give that",
            errors=[{"field": "deliver_by", "message": "not the last milestone's deliver_by"}],
        )
    return last, milestones


def parts(*, amount: str | int, deliver_by: datetime, milestones: list[dict] | None) -> list[dict]:
    """Every milestone as ``{label, amount, deliver_by}`` (amount an int): the stored ones, or
    the one milestone of an offer made without."""
    if not milestones:
        return [{"label": None, "amount": int(amount), "deliver_by": int(deliver_by.timestamp())}]
    return [
        {"label": m["label"], "amount": int(m["amount"]), "deliver_by": int(m["deliver_by"])}
        for m in milestones
    ]


def first_deadline(deliver_by: datetime, milestones: list[dict] | None) -> datetime:
    """The first milestone's deliver-by: an offer must be funded before anything is due."""
    if not milestones:
        return deliver_by
    return datetime.fromtimestamp(milestones[0]["deliver_by"], UTC)


def public(*, amount: str, deliver_by: datetime, milestones: list[dict] | None) -> list[dict]:
    """The schedule as an offer shows it (the fields of each MilestonePublic)."""
    if not milestones:  # the offer's own deadline, as it shows it
        return [{"index": 0, "label": None, "amount": amount, "deliver_by": deliver_by}]
    return [
        {
            "index": index,
            "label": m["label"],
            "amount": m["amount"],
            "deliver_by": datetime.fromtimestamp(m["deliver_by"], UTC),
        }
        for index, m in enumerate(milestones)
    ]
