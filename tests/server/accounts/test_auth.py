"""Login, /me, refresh rotation, reuse detection, logout, device revocation."""
from __future__ import annotations

import datetime as dt

import jwt
import pytest

from tests.conftest import DEMO_PASSWORD
from tests.support.http import Session, assert_problem


def test_login_then_me(client):
    s = Session.login(client, "scjg-insp1", DEMO_PASSWORD, "phone-aaaa-0001", "华为 Mate")
    assert s.body["token_type"] == "Bearer"
    assert 0 < s.body["expires_in"] <= 20 * 60
    r = client.get("/api/v1/me", headers=s.headers)
    assert r.status_code == 200
    me = r.get_json()
    assert me["user"]["username"] == "scjg-insp1"
    assert "password" not in me["user"]
    assert me["department"]["code"] == "scjg"
    assert me["roles"] == ["inspector"]
    assert me["device"]["device_id"] == "phone-aaaa-0001"
    assert me["device"]["name"] == "华为 Mate"


def test_username_is_case_insensitive(client):
    Session.login(client, "SCJG-Insp1", DEMO_PASSWORD)


def test_wrong_password_is_problem(client):
    r = client.post("/api/v1/auth/login", json={"username": "scjg-insp1", "password": "nope-nope",
                                                 "device_id": "phone-aaaa-0001", "device_name": "x"})
    body = assert_problem(r, 401, "invalid_credentials")
    assert body["detail"] == "用户名或密码错误。"
    r = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "nope-nope",
                                                 "device_id": "phone-aaaa-0001", "device_name": "x"})
    assert_problem(r, 401, "invalid_credentials")


def test_refresh_rotates_and_reuse_revokes_family(client):
    s = Session.login(client, "scjg-insp2", DEMO_PASSWORD, "phone-bbbb-0002")
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": s.refresh_token, "device_id": s.device_id})
    assert r.status_code == 200
    second = r.get_json()
    assert second["refresh_token"] != s.refresh_token
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer " + second["access_token"]}).status_code == 200

    # The first token again: theft or replay. The whole family dies.
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": s.refresh_token, "device_id": s.device_id})
    assert_problem(r, 401, "refresh_reused")
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"], "device_id": s.device_id})
    assert_problem(r, 401, "session_revoked")
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer " + second["access_token"]})
    assert_problem(r, 401, "session_revoked")


def test_refresh_token_is_bound_to_its_device(client):
    s = Session.login(client, "scjg-insp2", DEMO_PASSWORD, "phone-bbbb-0002")
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": s.refresh_token, "device_id": "other-device-9"})
    assert_problem(r, 401, "refresh_invalid")
    # It still works from its own device.
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": s.refresh_token, "device_id": s.device_id})
    assert r.status_code == 200


def test_refresh_tokens_are_stored_hashed(dbs, client):
    from sqlalchemy import select

    from server.accounts.models import RefreshToken

    s = Session.login(client, "scjg-insp3", DEMO_PASSWORD)
    with dbs() as db:
        hashes = db.execute(select(RefreshToken.token_hash)).scalars().all()
    assert s.refresh_token not in hashes
    assert all(len(h) == 64 for h in hashes)


def test_logout_ends_the_session(client):
    s = Session.login(client, "scjg-insp1", DEMO_PASSWORD)
    assert client.post("/api/v1/auth/logout", headers=s.headers).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=s.headers), 401, "session_revoked")
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": s.refresh_token, "device_id": s.device_id})
    assert_problem(r, 401, "session_revoked")


def test_revoked_device_gets_device_revoked(client):
    phone = Session.login(client, "scjg-insp4", DEMO_PASSWORD, "lost-phone-0004")
    admin = Session.login(client, "scjg-admin", DEMO_PASSWORD, "desk-admin-0001")
    devices = client.get("/api/v1/devices", headers=admin.headers).get_json()
    target = next(d for d in devices if d["device_id"] == "lost-phone-0004")
    r = client.post(f"/api/v1/devices/{target['id']}/revoke", json={"reason": "手机丢失"}, headers=admin.headers)
    assert r.status_code == 200 and r.get_json()["revoked_at"]
    assert_problem(client.get("/api/v1/me", headers=phone.headers), 401, "device_revoked")
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": phone.refresh_token, "device_id": phone.device_id})
    assert_problem(r, 401, "device_revoked")
    # The same device cannot log in again; a new installation (new id) can.
    r = client.post("/api/v1/auth/login", json={"username": "scjg-insp4", "password": DEMO_PASSWORD,
                                                 "device_id": "lost-phone-0004", "device_name": "x"})
    assert_problem(r, 401, "device_revoked")
    Session.login(client, "scjg-insp4", DEMO_PASSWORD, "new-phone-0005")


def test_user_can_revoke_own_device_but_not_others(client):
    mine = Session.login(client, "wl-insp1", DEMO_PASSWORD, "phone-wl-0001")
    other = Session.login(client, "wl-insp2", DEMO_PASSWORD, "phone-wl-0002")
    own = client.get("/api/v1/me/devices", headers=mine.headers).get_json()
    assert [d["device_id"] for d in own] == ["phone-wl-0001"]
    other_dev = client.get("/api/v1/me", headers=other.headers).get_json()["device"]["id"]
    r = client.post(f"/api/v1/devices/{other_dev}/revoke", json={"reason": "试图停用他人设备"}, headers=mine.headers)
    assert_problem(r, 404, "device_not_found")
    r = client.post(f"/api/v1/devices/{own[0]['id']}/revoke", json={"reason": "换手机了"}, headers=mine.headers)
    assert r.status_code == 200


def test_dept_admin_cannot_revoke_other_departments_devices(client):
    insp = Session.login(client, "sthj-insp1", DEMO_PASSWORD, "phone-sthj-0001")
    dev = client.get("/api/v1/me", headers=insp.headers).get_json()["device"]["id"]
    admin = Session.login(client, "scjg-admin", DEMO_PASSWORD, "desk-admin-0001")
    r = client.post(f"/api/v1/devices/{dev}/revoke", json={"reason": "越权"}, headers=admin.headers)
    assert_problem(r, 404, "device_not_found")
    office = Session.login(client, "office", DEMO_PASSWORD, "desk-office-001")
    assert client.post(f"/api/v1/devices/{dev}/revoke", json={"reason": "丢失"}, headers=office.headers).status_code == 200


def _token(app, **overrides):  # noqa: D401
    now = dt.datetime.now(dt.timezone.utc)
    claims = {"iss": app.config["JWT_ISSUER"], "sub": "1", "dev": 1, "sid": "x",
              "iat": int(now.timestamp()), "exp": int((now + dt.timedelta(minutes=5)).timestamp())}
    claims.update(overrides)
    return jwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS256")


def test_expired_token(app, client):
    s = Session.login(client, "scjg-insp1", DEMO_PASSWORD)
    claims = jwt.decode(s.access_token, options={"verify_signature": False})
    past = int((dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)).timestamp())
    token = _token(app, sub=claims["sub"], dev=claims["dev"], sid=claims["sid"], iat=past - 900, exp=past)
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401, "token_expired")


@pytest.mark.parametrize("mangle", ["signature", "alg_none", "garbage", "wrong_key", "missing"])
def test_tampered_tokens(app, client, mangle):
    s = Session.login(client, "scjg-insp1", DEMO_PASSWORD)
    token = s.access_token
    if mangle == "signature":
        head, body, sig = token.split(".")
        token = f"{head}.{body}.{sig[:-4]}AAAA"
    elif mangle == "alg_none":
        claims = jwt.decode(token, options={"verify_signature": False})
        claims["sub"] = "2"
        token = jwt.encode(claims, None, algorithm="none")
    elif mangle == "garbage":
        token = "not.a.jwt"
    elif mangle == "wrong_key":
        claims = jwt.decode(token, options={"verify_signature": False})
        token = jwt.encode(claims, "another-secret-key-that-is-long-enough", algorithm="HS256")
    headers = {} if mangle == "missing" else {"Authorization": f"Bearer {token}"}
    body = assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert body["code"] in ("token_invalid", "unauthorized")


def test_login_audited(dbs, client):
    from sqlalchemy import select

    from server.audit.models import AuditEntry

    Session.login(client, "scjg-insp1", DEMO_PASSWORD)
    client.post("/api/v1/auth/login", json={"username": "scjg-insp1", "password": "bad-password",
                                             "device_id": "phone-x-00001", "device_name": "x"})
    with dbs() as db:
        actions = db.execute(select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(2)).scalars().all()
    assert actions == ["auth.login_failed", "auth.login"]
