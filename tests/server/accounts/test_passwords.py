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


def _forced(client, username: str, password: str, device: str) -> Session:
    """Log in with an administrator-set password: the login says a change is due, and until it is
    made every call but /me, the change itself and logout answers 403 password_change_required."""
    sess = Session.login(client, username, password, device)
    assert sess.body["password_change_required"] is True
    assert client.get("/api/v1/me", headers=sess.headers).get_json()["user"]["must_change_password"] is True
    for method, url in (("get", "/api/v1/me/devices"), ("get", "/api/v1/visits/mine"), ("get", "/api/v1/sync/pull")):
        assert_problem(getattr(client, method)(url, headers=sess.headers, json={}), 403, "password_change_required")
    return sess


def test_an_account_an_administrator_created_must_change_its_password_first(client, login, dbs):
    from server.accounts.models import Department

    with dbs() as s:
        scjg = s.query(Department.id).filter(Department.code == "scjg").scalar()
    r = client.post("/api/v1/users", headers=login("scjg-admin"), json={
        "username": "scjg-newbie", "display_name": "新同事", "department_id": scjg, "roles": ["inspector"],
        "password": "Chosen-by-Admin-1"})
    assert r.status_code == 201, r.get_json()
    sess = _forced(client, "scjg-newbie", "Chosen-by-Admin-1", "newbie-phone-001")
    other = Session.login(client, "scjg-newbie", "Chosen-by-Admin-1", "newbie-desk-0001")
    assert_problem(client.post("/api/v1/me/password", headers=sess.headers,
                               json={"current_password": "Chosen-by-Admin-1", "new_password": "scjg-newbie-2026"}),
                   422, "password_contains_username")
    r = client.post("/api/v1/me/password", headers=sess.headers,
                    json={"current_password": "Chosen-by-Admin-1", "new_password": "Mine-Only-2026"})
    assert r.status_code == 204, r.get_json()
    assert client.get("/api/v1/me/devices", headers=sess.headers).status_code == 200
    assert client.get("/api/v1/me", headers=sess.headers).get_json()["user"]["must_change_password"] is False
    # The other session opened with the administrator's password ended with the change.
    assert_problem(client.get("/api/v1/me", headers=other.headers), 401, "session_revoked")
    again = Session.login(client, "scjg-newbie", "Mine-Only-2026", "newbie-desk-0001")
    assert again.body["password_change_required"] is False


def test_a_reset_password_must_be_changed_at_the_next_login(client, login, dbs):
    from server.accounts.models import User

    with dbs() as s:
        uid = s.query(User.id).filter(User.username == "scjg-insp4").scalar()
    assert Session.login(client, "scjg-insp4", DEMO_PASSWORD, "reset4-phone-001").body["password_change_required"] is False
    assert client.post(f"/api/v1/users/{uid}/password", headers=login("scjg-admin"),
                       json={"password": "Reset-by-Admin-7"}).status_code == 204
    sess = _forced(client, "scjg-insp4", "Reset-by-Admin-7", "reset4-phone-001")
    assert client.post("/api/v1/auth/logout", headers=sess.headers).status_code == 204
    sess = _forced(client, "scjg-insp4", "Reset-by-Admin-7", "reset4-phone-001")
    assert client.post("/api/v1/me/password", headers=sess.headers,
                       json={"current_password": "Reset-by-Admin-7", "new_password": "Field-Work-2026"}).status_code == 204
    assert client.get("/api/v1/visits/mine", headers=sess.headers).status_code == 200


def test_logout_and_a_revoked_device_clear_the_browsers_cache(client, login, dbs):
    """Evidence photos are served `private, no-cache`: the browser keeps them in its HTTP cache until
    told otherwise. Logging out and the answer to a revoked phone tell it (Clear-Site-Data)."""
    sess = Session.login(client, "scjg-insp3", DEMO_PASSWORD, "clear-cache-0001")
    r = client.post("/api/v1/auth/logout", headers=sess.headers)
    assert r.status_code == 204 and r.headers["Clear-Site-Data"] == '"cache"'
    phone = Session.login(client, "scjg-insp3", DEMO_PASSWORD, "clear-cache-0002")
    device = client.get("/api/v1/me", headers=phone.headers).get_json()["device"]["id"]
    assert client.post(f"/api/v1/devices/{device}/revoke", headers=login("scjg-admin"),
                       json={"reason": "遗失"}).status_code == 200
    r = client.get("/api/v1/me", headers=phone.headers)
    assert_problem(r, 401, "device_revoked")
    assert r.headers["Clear-Site-Data"] == '"cache"'
