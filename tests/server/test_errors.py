"""Every error is RFC 9457 problem+json; garbage input never produces a 5xx."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.support.http import assert_problem

LOGIN = "/api/v1/auth/login"


def test_404_405(client):
    body = assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert body["type"] == "/problems/not_found"
    assert body["title"] == "未找到"
    r = client.delete("/api/v1/auth/login")
    assert_problem(r, 405, "method_not_allowed")
    assert "POST" in r.headers["Allow"]


def test_413_names_the_limit(client, app):
    r = client.post(LOGIN, data=b"{" + b" " * (app.config["MAX_CONTENT_LENGTH"] + 10) + b"}",
                    content_type="application/json")
    body = assert_problem(r, 413, "payload_too_large")
    assert body["limit_bytes"] == app.config["MAX_CONTENT_LENGTH"]
    assert str(app.config["MAX_CONTENT_LENGTH"]) in body["detail"]


def test_invalid_json_and_utf8(client):
    assert_problem(client.post(LOGIN, data=b"{not json", content_type="application/json"), 400, "invalid_json")
    assert_problem(client.post(LOGIN, data=b'{"username": "\xff\xfe"}', content_type="application/json"),
                   400, "invalid_json")
    assert_problem(client.post(LOGIN, data=b"[" * 100000 + b"]" * 100000, content_type="application/json"),
                   400, "invalid_json")
    assert_problem(client.post(LOGIN, data=b'{"username": ' + b"9" * 6000 + b"}", content_type="application/json"),
                   400, "invalid_json")


def test_non_json_body_is_415(client):
    r = client.post(LOGIN, data="username=a&password=b", content_type="application/x-www-form-urlencoded")
    body = assert_problem(r, 415, "unsupported_media_type")
    assert "application/json" in body["detail"]


def test_validation_errors_are_per_field_and_chinese(client):
    r = client.post(LOGIN, json={"username": 5, "password": "x", "device_id": "short", "color": "red"})
    body = assert_problem(r, 422, "validation_failed")
    by_field = {e["field"]: e["message"] for e in body["errors"]}
    assert by_field["username"] == "不是有效的字符串。"
    assert by_field["color"] == "不允许的字段。"
    assert by_field["device_name"] == "缺少必填字段。"
    assert "8–64" in by_field["device_id"]
    assert all(e["location"] == "json" for e in body["errors"])
    assert_problem(client.post(LOGIN, json=[1, 2, 3]), 422, "validation_failed")
    assert_problem(client.post(LOGIN, json="a string"), 422, "validation_failed")
    assert_problem(client.post(LOGIN, json=None), 422, "validation_failed")


def test_unhandled_error_is_500_problem_and_rolled_back(app, dbs):
    from server.accounts.models import Department
    from server.extensions import db

    def boom():
        db.session.add(Department(code="boom", name="半途部门", level="city", region_code="140900",
                                  industry_tags=[]))
        db.session.flush()
        raise RuntimeError("kaboom")

    app.add_url_rule("/api/v1/_test/boom", "boom", boom, methods=["POST"])
    client = app.test_client()
    body = assert_problem(client.post("/api/v1/_test/boom"), 500, "internal_error")
    assert "kaboom" not in body["detail"]
    assert body["instance"].startswith("urn:request:")
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(Department).where(Department.code == "boom")) == 0


def test_request_id_round_trip(client):
    r = client.get("/api/v1/nothing", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"
    assert r.get_json()["instance"] == "urn:request:abc-123"
    r = client.get("/api/v1/nothing", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["X-Request-ID"] != "bad id with spaces"


def test_bad_query_parameters(client, login):
    h = login("office")
    assert_problem(client.get("/api/v1/users?limit=abc", headers=h), 422, "validation_failed")
    assert_problem(client.get("/api/v1/users?limit=100000", headers=h), 422, "validation_failed")
    assert_problem(client.get("/api/v1/users?cursor=%%%", headers=h), 400, "invalid_cursor")
    assert_problem(client.get("/api/v1/users?cursor=WyJ4Il0", headers=h), 400, "invalid_cursor")  # ["x"]


def test_nul_and_lone_surrogates_and_deep_nesting_refused(client):
    body = assert_problem(client.post(LOGIN, json={"username": "a\u0000b", "password": "x", "device_id": "dddddddd",
                                                   "device_name": "x"}), 400, "invalid_text")
    assert "username" in body["detail"]
    assert_problem(client.post(LOGIN, data=b'{"username": "\\ud800"}', content_type="application/json"),
                   400, "invalid_text")
    deep = b'{"a":' * 500 + b"1" + b"}" * 500
    assert_problem(client.post(LOGIN, data=deep, content_type="application/json"), 400, "json_too_deep")
