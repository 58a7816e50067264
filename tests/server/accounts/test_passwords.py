"""The password policy, the self-service change and what a reset or a change ends (issue 19)."""
from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.support.http import Session, assert_problem

WEAK = [("12345678", "password_too_simple"), ("password", "password_too_simple"), 
        ("Scjg-insp3-x", "password_contains_username"), ("P@ssw0rd", "password_too_common"),
        ("Qwerty123!", "password_too_common"), ("abcdefgh1", "password_too_simple")]


@pytest.mark.parametrize("password, code", WEAK)
def test_weak_passwords_refused_on_reset(client, login, dbs, password, code):
    from server.accounts.models import User

    with dbs() as s:
        uid = s.query(User.id).filter(User.username == "scjg-insp3").scalar()
    r = client.post(f"/api/v1/users/{uid}/password", headers=login("office"), json={"password": password})
    assert_problem(r, 422, code)


def test_admin_reset_ends_every_session_of_the_user(client, login, dbs):
    from server.accounts.models import User

    phone = Session.login(client, "scjg-insp3", DEMO_PASSWORD, "reset-phone-0001")
    tablet = Session.login(client, "scjg-insp3", DEMO_PASSWORD, "reset-tablet-001")
    assert client.get("/api/v1/me", headers=phone.headers).status_code == 200
    with dbs() as s:
        uid = s.query(User.id).filter(User.username == "scjg-insp3").scalar()
    assert client.post(f"/api/v1/users/{uid}/password", headers=login("office"),
                       json={"password": "Xinzhou-2026-check"}).status_code == 204
    for sess in (phone, tablet):
        assert_problem(client.get("/api/v1/me", headers=sess.headers), 401, "session_revoked")
        r = client.post("/api/v1/auth/refresh", json={"refresh_token": sess.refresh_token, "device_id": sess.device_id})
        assert r.status_code == 401
    assert Session.login(client, "scjg-insp3", "Xinzhou-2026-check", "reset-phone-0001").headers


def test_self_service_change_keeps_this_session_and_ends_the_others(client):
    here = Session.login(client, "scjg-insp3", DEMO_PASSWORD, "self-desk-000001")
    there = Session.login(client, "scjg-insp3", DEMO_PASSWORD, "self-phone-00001")
    assert_problem(client.post("/api/v1/me/password", headers=here.headers,
                               json={"current_password": "not-it-at-all", "new_password": "Xinzhou-2026-check"}),
                   422, "wrong_password")
    assert_problem(client.post("/api/v1/me/password", headers=here.headers,
                               json={"current_password": DEMO_PASSWORD, "new_password": "12345678"}),
                   422, "password_too_simple")
    r = client.post("/api/v1/me/password", headers=here.headers,
                    json={"current_password": DEMO_PASSWORD, "new_password": "Xinzhou-2026-check"})
    assert r.status_code == 204, r.get_json()
    assert client.get("/api/v1/me", headers=here.headers).status_code == 200
    assert_problem(client.get("/api/v1/me", headers=there.headers), 401, "session_revoked")
    assert client.post("/api/v1/auth/login", json={"username": "scjg-insp3", "password": DEMO_PASSWORD,
                                                   "device_id": "self-phone-00001", "device_name": "x"}).status_code == 401
