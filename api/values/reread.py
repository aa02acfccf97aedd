"""Every stored phrase read again with the current reader: what a migration runs when the reader
changes (0023, 0024). The slugs the engine reads are derived again from the new readings exactly
as the API derives them; with ``meanings``, every creator's meaning vector is made again too (a
new basis)."""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa

from api.requests.service import brief_targets
from api.values.service import concept_slugs, concept_weights, stored
from matching import interpret
from matching.semantic import creator_meaning, to_stored

# table -> phrase column -> (role, slug column)
PHRASES = {
    "brand": {"value_phrases": ("value", "values"), "practice_phrases": ("practice", "practices")},
    "creator": {
        "value_phrases": ("value", "values"),
        "dealbreaker_phrases": ("dealbreaker", "dealbreakers"),
    },
    "collab_request": {"target_phrases": ("value", "target_values")},
}
EXTRA = {
    "brand": (),
    "creator": ("bio",),
    "collab_request": ("brand_id", "title", "description", "lang", "values_source"),
}


def _reread(phrase: dict, role: str) -> dict:
    if phrase.get("reason", "").startswith("stored as"):  # a slug carried over: kept as it is
        return phrase
    return stored(interpret(phrase["text"], lang=phrase["lang"], role=role))


def _table(name: str, meanings: bool) -> sa.TableClause:
    columns = [
        sa.column(c, sa.JSON) for pair in PHRASES[name].items() for c in (pair[0], pair[1][1])
    ]
    extra = [sa.column(c, sa.String) for c in EXTRA[name]]
    meaning = [sa.column("meaning", sa.LargeBinary)] if name == "creator" and meanings else []
    return sa.table(name, sa.column("id", sa.String), *columns, *extra, *meaning)


def reread_all(connection: sa.Connection, *, meanings: bool) -> None:
    brand_values: dict[str, list[str]] = {}
    for name in ("brand", "creator", "collab_request"):
        table = _table(name, meanings)
        for row in connection.execute(sa.select(table)).all():
            changes: dict = {}
            for column, (role, slug_column) in PHRASES[name].items():
                phrases = [_reread(p, role) for p in getattr(row, column) or []]
                changes[column] = phrases
                if name != "collab_request":
                    changes[slug_column] = concept_slugs(phrases)
                    continue
                changes[slug_column], changes["values_source"] = brief_targets(
                    concept_weights(phrases),
                    text=f"{row.title}\n{row.description}",
                    lang=row.lang,
                    brand_values=partial(brand_values.get, row.brand_id, []),
                )
            if name == "brand":
                brand_values[row.id] = changes["values"]
            if name == "creator" and meanings:
                texts = [phrase["text"] for phrase in changes["value_phrases"]]
                changes["meaning"] = to_stored(creator_meaning(texts, row.bio or ""))
            connection.execute(sa.update(table).where(table.c.id == row.id).values(changes))
