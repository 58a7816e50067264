"""JSON logs (issue 21): one line per request and per worker job, with the request id (also in
problem+json bodies), the user id, route, status and duration; never a password, token, ID
number or phone number."""
from __future__ import annotations

import json
import logging

import pytest

from server.observability.logs import JOB_LOGGER, REQUEST_LOGGER, JsonFormatter
from tests.conftest import DEMO_PASSWORD
from tests.server.delivery.receiver import Receiver


def lines(caplog, logger: str) -> list[dict]:
    fmt = JsonFormatter()
    return [json.loads(fmt.format(r)) for r in caplog.records if r.name == logger]


def test_one_json_line_per_request_without_secrets(app, client, login, caplog):
    caplog.set_level(logging.INFO)
    r = client.post("/api/v1/auth/login", json={"username": "office", "password": DEMO_PASSWORD,
                                                "device_id": "log-device-0001", "device_name": "手机"},
                    headers={"X-Request-ID": "req-login-1"})
    assert r.status_code == 200
    token = r.get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/auth/me", headers=headers)
    bad = client.get("/api/v1/plans/999999", headers={**headers, "X-Request-ID": "req-missing-7"})
    assert bad.mimetype == "application/problem+json"
    # The id a user's screenshot of the error shows is the id of the log line.
    assert bad.get_json()["instance"] == "urn:request:req-missing-7"

    got = lines(caplog, REQUEST_LOGGER)
    raw = "\n".join(JsonFormatter().format(rec) for rec in caplog.records)
    assert DEMO_PASSWORD not in raw and token not in raw
    by_id = {line["request_id"]: line for line in got}
    login_line = by_id["req-login-1"]
    assert login_line["route"] == "/api/v1/auth/login" and login_line["status"] == 200
    assert login_line["duration_ms"] >= 0 and login_line["method"] == "POST"
    missing = by_id["req-missing-7"]
    assert missing["status"] == bad.status_code and missing["user_id"] is not None
    assert "999999" not in missing["route"]  # the route template, not the path
    assert any(line["user_id"] == missing["user_id"] and line["status"] == me.status_code for line in got)


def test_careless_extra_fields_never_reach_the_line():
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    rec.__dict__.update({"password": "p@ss", "access_token": "tok", "id_number": "140902199001011234",
                         "phone": "13800000000", "legal_rep_mobile": "13900000000", "visit_id": "v-1"})
    line = json.loads(JsonFormatter().format(rec))
    assert line["visit_id"] == "v-1" and line["msg"] == "hello"
    assert not {"password", "access_token", "id_number", "phone", "legal_rep_mobile"} & set(line)


@pytest.fixture
def seed_level():
    return "base"


def test_one_json_line_per_worker_job(app, delivery, caplog):
    caplog.set_level(logging.INFO)
    with Receiver(script=[]) as rx:
        _, secret = delivery.endpoint("sthj", rx.url)
        rx.secrets = [secret]
        msg_id = delivery.enqueue("sthj", "p1")
        delivery.run_once()
    jobs = lines(caplog, JOB_LOGGER)
    sent = [j for j in jobs if j["job"] == "delivery"]
    assert [(j["message_id"], j["outcome"], j["status"]) for j in sent] == [(msg_id, "delivered", 200)]
    assert sent[0]["duration_ms"] >= 0 and secret not in json.dumps(jobs)
