"""What every authenticated request checks, and what that costs (issue 20): counted, never timed.

A token's signature is checked once per process; its expiry, the user, the device, the session
and the roles are read again on every request, so an administrator's change takes effect at
the caller's next request even with the same access token.
"""
from __future__ import annotations

import jwt
from flask import g

from server.accounts import auth
from tests.conftest import DEMO_PASSWORD
from tests.support.http import Session, assert_problem
from tests.support.sql import by_kind, counted_statements


def _user_id(client, headers, username: str) -> int:
    users = client.get("/api/v1/users?limit=500", headers=headers).get_json()["items"]
    return next(u["id"] for u in users if u["username"] == username)


def test_authentication_is_one_statement(app, client):
    s = Session.login(client, "scjg-insp1", DEMO_PASSWORD)
    for _ in range(2):  # the second time the token's signature is already known
        with app.test_request_context("/api/v1/me", headers=s.headers), counted_statements(app) as seen:
            principal = auth.authenticate()
        kinds = by_kind(seen)
        kinds.pop("BEGIN", None)  # SQLite's explicit transaction start
        assert dict(kinds) == {"SELECT users": 1}, seen
        assert principal.roles == frozenset({"inspector"}) and principal.department_code == "scjg"
        assert principal.username == "scjg-insp1" and not principal.is_office


def test_a_live_token_sees_role_changes_and_disabling_at_its_next_request(client, login):
    office = login("office")
    uid = _user_id(client, office, "wl-insp3")
    s = Session.login(client, "wl-insp3", DEMO_PASSWORD, "phone-wl3-0001")
    assert_problem(client.get("/api/v1/devices", headers=s.headers), 403, "role_required")
    assert client.put(f"/api/v1/users/{uid}/roles", headers=office,
                      json={"roles": ["inspector", "dept_admin"]}).status_code == 200
    assert client.get("/api/v1/devices", headers=s.headers).status_code == 200
    assert client.get("/api/v1/me", headers=s.headers).get_json()["roles"] == ["dept_admin", "inspector"]
    assert client.put(f"/api/v1/users/{uid}/roles", headers=office, json={"roles": ["inspector"]}).status_code == 200
    assert_problem(client.get("/api/v1/devices", headers=s.headers), 403, "role_required")
    assert client.put(f"/api/v1/users/{uid}/roles", headers=office, json={"roles": []}).status_code == 200
    assert client.get("/api/v1/me", headers=s.headers).get_json()["roles"] == []
    assert client.patch(f"/api/v1/users/{uid}", headers=office, json={"active": False}).status_code == 200
    assert_problem(client.get("/api/v1/me", headers=s.headers), 401, "account_disabled")


def test_a_token_verified_once_still_expires(client, monkeypatch):
    s = Session.login(client, "scjg-insp1", DEMO_PASSWORD)
    assert client.get("/api/v1/me", headers=s.headers).status_code == 200
    exp = jwt.decode(s.access_token, options={"verify_signature": False})["exp"]
    monkeypatch.setattr(auth, "_now", lambda: exp - 1)
    assert client.get("/api/v1/me", headers=s.headers).status_code == 200
    monkeypatch.setattr(auth, "_now", lambda: exp)
    assert_problem(client.get("/api/v1/me", headers=s.headers), 401, "token_expired")


def test_a_token_verified_once_is_not_trusted_under_another_key(app, client, monkeypatch):
    s = Session.login(client, "scjg-insp1", DEMO_PASSWORD)
    assert client.get("/api/v1/me", headers=s.headers).status_code == 200
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-that-is-long-enough-0123")
    assert_problem(client.get("/api/v1/me", headers=s.headers), 401, "token_invalid")


def test_a_principal_is_per_request(app, client):
    s = Session.login(client, "scjg-insp1", DEMO_PASSWORD)
    with app.test_request_context("/api/v1/me", headers=s.headers):
        first = auth.authenticate()
        assert g.principal is first
    with app.test_request_context("/api/v1/me"):
        assert getattr(g, "principal", None) is None
