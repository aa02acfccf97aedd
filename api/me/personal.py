"""What is personal, where it is, and every row that refers to an account: the one registry
that export (`GET /v1/me/export`), erasure (`DELETE /v1/me`) and their tests read.

The rows of an account are found generically, from the SQLModel metadata: the account's own
row, then every row whose foreign key points at a row already found, until nothing new comes
(so a table added later with a foreign key to `offer`, say, is covered without a change here),
plus the few links that are not foreign keys (`LINKS`: chain events and payouts by deal id and
wallet, idempotency records by their scope or their stored response).

`PERSONAL` names, per table, the columns that go on erasure and the neutral value they get.
Columns named here that a table does not have (yet) are skipped. Besides them, every text and
JSON column of the account's rows is scrubbed of the account's identifying values (its names,
addresses, e-mail: `Rule.identifying`), which is how a contract text keeps its clauses but loses
the erased party's identity.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import JSON, Column, String, Table, Text, TypeDecorator, cast, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel

import api.models  # noqa: F401  (every table in the metadata)
from api.core.auth import Role
from api.core.errors import AccountErased

Owner = Literal["self", "brand", "creator", "both"]
ERASED = "[erased]"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# An erased account's key column holds this prefix and a digest of its last key's digest: no key
# hashes to it (auth compares 64 hex digits), and the holder of that last key can still be told
# that the account was erased (a repeated DELETE /v1/me answers the same).
ERASED_KEY_PREFIX = "erased:"
# Shorter values (a tax country, a two-letter handle) would scrub unrelated words from texts.
MIN_SCRUBBED_LENGTH = 3
BLANK = object()  # None where the column is nullable, else an empty string


def _names(value: Any) -> list[str]:
    """The `name` of each designer and charity in a split (their wallets are on chain)."""
    if not isinstance(value, dict):
        return []
    people = value.get("designers", []) + value.get("charities", [])
    return [p["name"] for p in people if isinstance(p, dict) and isinstance(p.get("name"), str)]


def _text(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else []


def _unnamed_payees(payees: Any, _row: dict) -> Any:
    """Payees keep their role, wallet and share (the chain has them); their names go."""
    if not isinstance(payees, list):
        return payees
    return [{**p, "name": ERASED} if isinstance(p, dict) else p for p in payees]


# Inside an event's copy of a resource (and a webhook message's body): the same fields as on
# the resource's own rows, wherever they sit (an offer's versions, a collaboration's payees).
IN_EVENTS = {"note": None, "decline_reason": None, "screening": {}, "brand_terms": ""}


def _event_copy(value: Any, row: dict) -> Any:
    if isinstance(value, list):
        return [_event_copy(item, row) for item in value]
    if not isinstance(value, dict):
        return value
    copy = {}
    for key, item in value.items():
        if key in IN_EVENTS:
            copy[key] = IN_EVENTS[key]
        elif key == "payees":
            copy[key] = _unnamed_payees(item, row)
        else:
            copy[key] = _event_copy(item, row)
    return copy


def _message_body(payload: Any, row: dict) -> Any:
    try:
        body = json.loads(payload)
    except (TypeError, ValueError):
        return payload
    return json.dumps(_event_copy(body, row), separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Rule:
    """A personal column: whose it is, what it becomes on erasure, and which of its values are
    scrubbed from free text elsewhere (None: the column goes, its words are not hunted)."""

    owner: Owner
    neutral: Any = BLANK  # a value, BLANK, or a function of the old value and its row
    identifying: Callable[[Any], list[str]] | None = None

    def applies(self, role: Role, *, own_row: bool) -> bool:
        if own_row:
            return self.owner == "self"
        return self.owner in (role, "both")

    def erased(self, row: dict, column: Column) -> Any:
        if self.neutral is BLANK:
            return None if column.nullable else ""
        if callable(self.neutral):
            return self.neutral(row[column.name], row)
        return self.neutral


def _erased_handle(_handle: str, row: dict) -> str:
    # Unique (the id is) and within the handle's 40 characters: "erased_" and the id's digits.
    return "erased_" + row["id"].split("_", 1)[-1]


PERSONAL: dict[str, dict[str, Rule]] = {
    "brand": {
        "name": Rule("self", "Erased brand", _text),
        "description": Rule("self", "", _text),
        # The wallet stays where the chain has it (collaborations, payouts, chain events).
        "wallet": Rule("self", ZERO_ADDRESS),
        "legal_name": Rule("self", BLANK, _text),
        "postal_address": Rule("self", BLANK, _text),
        "email": Rule("self", BLANK, _text),
        "tax_country": Rule("self", BLANK),
        "values": Rule("self", []),
        "practices": Rule("self", []),
        "value_phrases": Rule("self", []),
        "practice_phrases": Rule("self", []),
    },
    "creator": {
        "handle": Rule("self", _erased_handle, _text),
        "display_name": Rule("self", "Erased creator", _text),
        "bio": Rule("self", "", _text),
        "operator": Rule("self", None, _text),
        "legal_name": Rule("self", BLANK, _text),
        "postal_address": Rule("self", BLANK, _text),
        "email": Rule("self", BLANK, _text),
        "tax_country": Rule("self", BLANK),
        "retouched_images": Rule("self", False),
        "wallet": Rule("self", ZERO_ADDRESS),
        "languages": Rule("self", []),
        "audience": Rule("self", {}),
        "values": Rule("self", []),
        "dealbreakers": Rule("self", []),
        "value_phrases": Rule("self", []),
        "dealbreaker_phrases": Rule("self", []),
        "min_fees": Rule("self", []),
        "split": Rule(
            "self", {"creator_share_bps": 10_000, "designers": [], "charities": []}, _names
        ),
        "screening": Rule("self", {}),
        # The embedding of the bio and value phrases the matching engine reads.
        "meaning": Rule("self", None),
        # The fingerprints of its value phrases and bio, likewise.
        "phrases": Rule("self", None),
    },
    "collab_request": {
        "title": Rule("brand", "Erased request"),
        "description": Rule("brand", ""),
        "target_phrases": Rule("brand", []),
        "target_values": Rule("brand", {}),
    },
    "offer": {
        "brand_terms": Rule("brand", ""),
        "decline_reason": Rule("creator", None),
        # Which dealbreaker met which practice: about both parties.
        "screening": Rule("both", {}),
    },
    "offer_version": {
        "brand_terms": Rule("brand", ""),
        "note": Rule("both", None),
        "payees": Rule("creator", _unnamed_payees),
    },
    "collaboration": {
        "payees": Rule("creator", _unnamed_payees),
    },
    "event": {"data": Rule("both", _event_copy)},
    "webhook_delivery": {"payload": Rule("both", _message_body)},
    # A split names its creators (and the brand) among its payees: wallets and shares stay,
    # as on chain; the label may name them too.
    "revenue_split": {
        "payees": Rule("both", _unnamed_payees),
        "label": Rule("both", None),
    },
}
# Replay caches of the account's requests (and of others' requests that named it): nothing in
# them is needed once erased.
# The account's webhook endpoints go too, with their deliveries and attempts (the schema
# cascades); the other party's deliveries of the account's events are scrubbed like the events.
DELETED_ON_ERASURE = frozenset({"idempotency_key", "webhook_endpoint"})
# Never exported: digests of secrets, and webhook signing secrets.
SECRET_COLUMNS = {
    "brand": {"api_key_hash"},
    "creator": {"api_key_hash"},
    "webhook_endpoint": {"secret", "previous_secret"},
}


@dataclass(frozen=True)
class Link:
    """A reference that is not a foreign key: `column` holds (or, with `contains`, mentions)
    the account's id or wallet, or a value of `source` among the rows already found."""

    table: str
    column: str
    source: Literal["id", "wallet", "scope"] | tuple[str, str]
    contains: bool = False


LINKS = (
    Link("payout", "deal_id", ("collaboration", "deal_id")),
    Link("payout", "wallet", "wallet"),
    Link("chain_event", "deal_id", ("collaboration", "deal_id")),
    Link("chain_event", "args", "wallet", contains=True),
    Link("idempotency_key", "scope", "scope"),
    # Splits that pay the account (its id among the payees) or that it declared.
    Link("revenue_split", "payees", "id", contains=True),
    Link("revenue_split", "declared_by", "id", contains=True),
    # A registration's replay holds the new profile; a brand's offer names the creator.
    Link("idempotency_key", "response_body", "id", contains=True),
    # The account's events (kept for the other party, scrubbed of the account's identity like
    # the offers they show), and the webhook messages that carry them to either party.
    Link("event_audience", "account_id", "id"),
    Link("event", "seq", ("event_audience", "event_seq")),
    Link("webhook_delivery", "message_id", ("event", "id")),
    Link("webhook_endpoint", "owner_id", "id"),
)


def tombstone(api_key_hash: str) -> str:
    digest = hashlib.sha256((ERASED_KEY_PREFIX + api_key_hash).encode()).hexdigest()
    return (ERASED_KEY_PREFIX + digest)[:64]


def is_erased(account: Any) -> bool:
    return account.api_key_hash.startswith(ERASED_KEY_PREFIX)


def require_not_erased(account: Any) -> None:
    """For routes that name another account: an erased one answers 404 `account-erased`."""
    if is_erased(account):
        kind = "brand" if account.id.startswith("brd_") else "creator"
        raise AccountErased(f"{kind} {account.id} was erased at its holder's request")


def tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)


def primary_key(table: Table, row: dict) -> tuple:
    return tuple(row[column.name] for column in table.primary_key.columns)


Found = dict[str, dict[tuple, dict[str, Any]]]


def _link_conditions(
    table: Table, found: Found, *, role: Role, account_id: str, wallet: str
) -> Iterator[ColumnElement]:
    for link in LINKS:
        if link.table != table.name or link.column not in table.c:
            continue
        column = table.c[link.column]
        if link.source == "scope":  # the idempotency scope ends with "<role>:<id>"
            yield column.endswith(f" {role}:{account_id}", autoescape=True)
        elif link.source == "id":
            yield _mentions(column, account_id) if link.contains else column == account_id
        elif link.source == "wallet":
            if link.contains:
                yield func.lower(cast(column, Text)).contains(wallet.lower(), autoescape=True)
            else:
                yield func.lower(column) == wallet.lower()
        else:
            source_table, source_column = link.source
            values = {row[source_column] for row in found.get(source_table, {}).values()}
            if values - {None}:
                yield column.in_(sorted(values - {None}))


def _mentions(column: Column, text: str) -> ColumnElement:
    target = cast(column, Text) if isinstance(column.type, JSON) else column
    return target.contains(text, autoescape=True)


def _fk_conditions(table: Table, found: Found) -> Iterator[ColumnElement]:
    for fk in table.foreign_keys:
        target = fk.column
        rows = found.get(target.table.name)
        if rows:
            values = {row[target.name] for row in rows.values()} - {None}
            if values:
                yield fk.parent.in_(sorted(values))


def rows_of(session: Session, *, role: Role, account_id: str) -> Found:
    """Every row that refers to the account, table by table (its own row included), keyed by
    primary key."""
    account_table = SQLModel.metadata.tables[role]
    own = session.execute(select(account_table).where(account_table.c.id == account_id)).mappings()
    found: Found = {}
    for row in own:
        found.setdefault(role, {})[primary_key(account_table, dict(row))] = dict(row)
    if not found:
        return found
    wallet = found[role][(account_id,)]["wallet"]
    changed = True
    while changed:  # a foreign key to a row found in this round is followed in the next
        changed = False
        for table in tables():
            conditions = [
                *_fk_conditions(table, found),
                *_link_conditions(table, found, role=role, account_id=account_id, wallet=wallet),
            ]
            for condition in conditions:
                for row in session.execute(select(table).where(condition)).mappings():
                    key = primary_key(table, dict(row))
                    rows = found.setdefault(table.name, {})
                    if key not in rows:
                        rows[key] = dict(row)
                        changed = True
    return found


def identifying_values(role: Role, account: dict[str, Any]) -> list[str]:
    """The account's names, addresses and e-mail as stored, longest first (so a name is
    scrubbed before a shorter name inside it)."""
    values: set[str] = set()
    for column, rule in PERSONAL[role].items():
        if rule.identifying and column in account:
            values |= {v.strip() for v in rule.identifying(account[column]) if v}
    return sorted((v for v in values if len(v) >= MIN_SCRUBBED_LENGTH), key=len, reverse=True)


def scrub(value: Any, values: list[str]) -> Any:
    """`value` with each of `values` replaced by [erased], inside strings, lists and dicts."""
    if isinstance(value, str):
        for word in values:
            value = value.replace(word, ERASED)
        return value
    if isinstance(value, list):
        return [scrub(item, values) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item, values) for key, item in value.items()}
    return value


def is_text(column: Column) -> bool:
    kind = column.type
    if isinstance(kind, TypeDecorator):  # SQLModel's AutoString, say
        kind = kind.impl_instance
    return isinstance(kind, String | JSON)
