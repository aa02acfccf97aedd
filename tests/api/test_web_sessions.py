"""Web sessions, on SQLite and PostgreSQL: Sign-In with Ethereum opens one (nonce single use,
domain, statement, expiry and signature checked), the cookie is HttpOnly and SameSite (Secure
outside this machine), writes made with it need the session's CSRF token, and it stops working
when signed out or when its account no longer has the wallet."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from siwe import siwe
from sqlmodel import Session, select

from api.web.models import WebSession
from api.web.service import COOKIE, CSRF_HEADER, STATEMENT, prune_sessions, secure_cookie
from tests.api.test_concurrency import http, race  # noqa: F401 - the served app, and races
from tests.api.test_keys import _iso, _message, _sign
from tests.factories import register_brand, request_body


@pytest.fixture
def key():
    return Account.create().key.hex()


@pytest.fixture
def brand(client, key):
    return register_brand(client, wallet=Account.from_key(key).address)


def _issued(client, wallet: str) -> dict:
    response = client.post("/web/nonce", json={"wallet": wallet})
    assert response.status_code == 200, response.text
    return response.json()


def _signed_in(client, key: str, message: str | None = None):
    address = Account.from_key(key).address
    message = message or _issued(client, address)["message"]
    return client.post("/web/sign-in", json={"message": message, "signature": _sign(message, key)})


def _csrf(client) -> str:
    page = client.get("/requests")
    assert page.status_code == 200, page.text
    return page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def test_sign_in_opens_a_session_for_the_wallets_account(client, brand, key):
    response = _signed_in(client, key)
    assert response.status_code == 200, response.text
    assert response.json()["account_id"] == brand.id
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # the local app is plain HTTP on 127.0.0.1
    me = client.get("/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["id"] == brand.id


def test_the_cookie_is_secure_outside_this_machine():
    assert secure_cookie("https://collab.example") is True
    assert secure_cookie("http://collab.example:8000") is True
    assert secure_cookie("http://127.0.0.1:8000") is False
    assert secure_cookie("http://localhost:8000") is False


def test_a_nonce_opens_one_session_only(client, brand, key):
    message = _issued(client, brand.data["wallet"])["message"]
    assert _signed_in(client, key, message).status_code == 200
    client.cookies.clear()
    replay = _signed_in(client, key, message)
    assert replay.status_code == 401
    assert replay.headers["content-type"] == "application/problem+json"
    assert replay.json()["reason"] == "nonce"
    assert COOKIE not in client.cookies


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"domain": "evil.example", "uri": "https://evil.example/"}, "domain"),
        ({"statement": "Rotate my Collab API key: the current key stops working."}, "statement"),
        ({"chain_id": 1}, "chain"),
        (
            {
                "issued_at": _iso(datetime.now(UTC) - timedelta(hours=2)),
                "expiration_time": _iso(datetime.now(UTC) - timedelta(hours=1)),
            },
            "expired",
        ),
    ],
)
def test_a_message_for_another_site_purpose_chain_or_time_is_refused(
    client, brand, key, overrides, reason
):
    address = brand.data["wallet"]
    message = _message(_issued(client, address), address, **overrides)
    response = _signed_in(client, key, message)
    assert response.status_code == 401, response.text
    assert response.json()["reason"] == reason
    assert COOKIE not in client.cookies


def test_a_signature_from_another_wallet_is_refused(client, brand):
    message = _issued(client, brand.data["wallet"])["message"]
    response = _signed_in(client, Account.create().key.hex(), message)
    assert response.status_code == 401
    assert response.json()["reason"] == "signature"


def test_a_key_rotation_nonce_never_opens_a_session(client, brand, key):
    address = brand.data["wallet"]
    issued = client.post("/v1/keys/nonce", json={"wallet": address}).json()
    response = _signed_in(client, key, issued["message"])
    assert response.status_code == 401
    assert response.json()["reason"] == "statement"


def test_writes_with_the_cookie_need_the_csrf_token(client, brand, key):
    assert _signed_in(client, key).status_code == 200
    body = request_body()
    forged = client.post("/v1/requests", json=body)
    assert forged.status_code == 403
    assert forged.json()["reason"] == "csrf"
    wrong = client.post("/v1/requests", json=body, headers={CSRF_HEADER: "not-the-token"})
    assert wrong.status_code == 403
    assert client.get("/v1/requests").json()["items"] == []  # reads need no token
    token = _csrf(client)
    made = client.post("/v1/requests", json=body, headers={CSRF_HEADER: token})
    assert made.status_code == 201, made.text
    # The web app's own forms: the token is a form field.
    form = {"csrf_token": "forged", "account_id": brand.id}
    assert client.post("/web/account", data=form, follow_redirects=False).status_code == 403
    form["csrf_token"] = token
    assert client.post("/web/account", data=form, follow_redirects=False).status_code == 303


@pytest.mark.usefixtures("brand")
def test_signing_out_ends_the_session(client, key):
    assert _signed_in(client, key).status_code == 200
    token = _csrf(client)
    cookie = client.cookies[COOKIE]
    out = client.post("/web/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set(COOKIE, cookie)  # a copy of the old cookie opens nothing
    assert client.get("/v1/me").status_code == 401
    assert client.get("/offers", follow_redirects=False).headers["location"] == "/"


def test_a_session_follows_its_account_wallet(client, brand, key):
    assert _signed_in(client, key).status_code == 200
    moved = brand.patch("/v1/brands/me", json={"wallet": Account.create().address})
    assert moved.status_code == 200, moved.text
    assert client.get("/v1/me").status_code == 401


def test_one_nonce_racing_opens_exactly_one_session(http, brand, key):  # noqa: F811
    address = brand.data["wallet"]
    issued = http.post("/web/nonce", json={"wallet": address}).json()
    body = {"message": issued["message"], "signature": _sign(issued["message"], key)}
    answers = race(lambda _: http.post("/web/sign-in", json=body), n=8)
    assert Counter(a.status_code for a in answers) == {200: 1, 401: 7}


def test_the_message_is_the_one_siwe_parses(client, brand):
    issued = _issued(client, brand.data["wallet"])
    parsed = siwe.SiweMessage.from_message(issued["message"])
    assert parsed.statement == STATEMENT
    assert parsed.address == brand.data["wallet"]
    assert parsed.domain == issued["domain"]


@pytest.mark.usefixtures("brand")
def test_an_expired_session_opens_nothing_and_is_pruned(client, key, engine):
    assert _signed_in(client, key).status_code == 200
    assert client.get("/v1/me").status_code == 200
    with Session(engine) as session:
        row = session.exec(select(WebSession)).one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(row)
        session.commit()
    assert client.get("/v1/me").status_code == 401
    with Session(engine) as session:
        assert prune_sessions(session) == 1
        session.commit()
        assert session.exec(select(WebSession)).all() == []
