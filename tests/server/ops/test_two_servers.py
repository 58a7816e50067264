"""Two app servers, one PostgreSQL database, one shared media directory (issue 21).

Two gunicorn instances on two ports: phones alternate between them for pushes, pulls and the
tus chunks of one upload; a batch pushed to both at once is applied exactly once; the upload
completes byte-exact; a draw revealed through both at once is revealed once; two delivery
worker processes send each message once (SKIP LOCKED)."""
from __future__ import annotations

import hashlib
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import text

from tests.conftest import DEMO_PASSWORD, ROOT, base_config
from tests.media.tus_support import OFFSET_STREAM, TUS, UPLOADS, metadata
from tests.server.delivery.receiver import Receiver
from tests.server.draws import draw_support
from tests.support.field import Phone, complete_inspection, image_bytes, phone_time
from tests.support.http import Session

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
def seed_level():
    return "field"


class Reply:
    """A requests response with the few methods of Flask's test response the helpers use."""

    def __init__(self, resp: requests.Response) -> None:
        self.resp, self.status_code, self.headers = resp, resp.status_code, resp.headers

    def get_json(self):
        return self.resp.json()

    def get_data(self, as_text: bool = False):
        return self.resp.text if as_text else self.resp.content


class Servers:
    """An HTTP client that sends each request to the next server in turn (a round-robin balancer)."""

    def __init__(self, bases: list[str]) -> None:
        self.bases, self.turn, self.used = bases, itertools.cycle(range(len(bases))), []
        self.session = requests.Session()

    def open(self, path: str, method: str, *, server: int | None = None, json=None, data=None, headers=None):
        i = next(self.turn) if server is None else server
        self.used.append(i)
        path = urlsplit(path).path + (("?" + urlsplit(path).query) if urlsplit(path).query else "")
        return Reply(self.session.request(method, self.bases[i] + path, json=json, data=data, headers=headers,
                                          timeout=120))

    def get(self, path, **kw):
        return self.open(path, "GET", **kw)

    def post(self, path, **kw):
        return self.open(path, "POST", **kw)

    def patch(self, path, **kw):
        return self.open(path, "PATCH", **kw)

    def head(self, path, **kw):
        return self.open(path, "HEAD", **kw)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def servers(app, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("several app servers share one PostgreSQL database (SQLite has one writer)")
    env = {**os.environ, "APP_ENV": "testing", "DSR_INSTANCE_PATH": app.instance_path,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "MEDIA_ROOT": app.config["MEDIA_ROOT"],
           "SECRET_KEY": base_config(tmp_path)["SECRET_KEY"], "PYTHONIOENCODING": "utf-8"}
    procs, bases = [], []
    for n in range(2):
        port = _port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", "1", "--worker-class", "gthread",
             "--threads", "4", "--timeout", "300", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"server{n}.log", "wb")))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for proc, base in zip(procs, bases):
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(base + "/healthz", timeout=10).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert proc.poll() is None, "gunicorn exited (its log is in the test's tmp_path)"
                assert time.monotonic() < deadline, "gunicorn did not become healthy within 120 s"
                time.sleep(0.2)
        yield Servers(bases), env
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.communicate(timeout=60)


def both_at_once(fn):
    """Run fn(0) and fn(1) at the same moment in two threads; returns both results."""
    barrier, out = threading.Barrier(2), [None, None]

    def run(i):
        barrier.wait()
        out[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_two_app_servers_share_one_database(app, servers, dbs):
    rr, _ = servers
    office = Session.login(rr, "office", DEMO_PASSWORD, "office-desk-0001").headers

    # A whole inspection with every push, pull and upload alternating between the servers.
    ctx = complete_inspection(rr, office)
    assert set(rr.used) == {0, 1}
    with dbs() as s:
        assert s.execute(text("SELECT sealed_at FROM visit_records WHERE visit_id = :v"),
                         {"v": ctx["visit_id"]}).scalar_one() is not None

    # Another (unsealed) visit of the same inspector for what follows.
    phone = Phone(rr, "scjg-insp1")
    phone.pull()
    other = next(v["id"] for v in phone.visits() if v["id"] != ctx["visit_id"])
    data = image_bytes("two-servers")
    media_id, digest = str(uuid.uuid4()), hashlib.sha256(data).hexdigest()

    # One batch pushed to both servers at once (a phone retrying through the balancer): applied once.
    mutation = phone.mutation("media.attach", visit_id=other, media_id=media_id, sha256=digest, kind="photo",
                              target={"type": "visit", "id": other}, claim={"captured_at": phone_time(minutes_ago=5)})
    body = {"client_id": phone.client_id, "schema_version": 1, "mutations": [mutation]}
    replies = both_at_once(lambda i: rr.post("/api/v1/sync/push", server=i, json=body, headers=phone.headers))
    statuses = sorted(r.get_json()["results"][0]["status"] for r in replies)
    assert all(r.status_code == 200 for r in replies) and statuses == ["applied", "duplicate"], statuses
    with dbs() as s:
        rows = s.execute(text("SELECT COUNT(*) FROM sync_mutations WHERE client_id = :c"),
                         {"c": phone.client_id}).scalar_one()
    assert rows == 1

    # One upload whose chunks arrive through alternating servers completes byte-exact.
    tus = {**phone.headers, **TUS}
    created = rr.post(UPLOADS, server=0, headers={**tus, "Upload-Length": str(len(data)), "Upload-Metadata": metadata(
        media_id=media_id, sha256=digest, content_type="image/png", filename="p.png")})
    assert created.status_code == 201, created.get_data(as_text=True)
    location, step = created.headers["Location"], len(data) // 3 + 1
    for n, offset in enumerate(range(0, len(data), step)):
        r = rr.patch(location, server=(n + 1) % 2, data=data[offset:offset + step],
                     headers={**tus, "Upload-Offset": str(offset), "Content-Type": OFFSET_STREAM})
        assert r.status_code == 204, r.get_data(as_text=True)
        assert rr.head(location, server=n % 2, headers=tus).headers["Upload-Offset"] == str(min(offset + step, len(data)))
    for i in (0, 1):
        got = rr.get(f"/api/v1/media/{media_id}/original", server=i, headers=phone.headers)
        assert got.status_code == 200 and got.get_data() == data

    # A draw revealed through both servers at once is revealed once.
    admin = Session.login(rr, "scjg-admin", DEMO_PASSWORD, "admin-desk-0001").headers
    task_id = draw_support.launched(rr, lambda user: admin if user == "scjg-admin" else office)["task"]["id"]
    body = {"beacon_value": draw_support.BEACON_VALUE, "reference": draw_support.BEACON["reference"],
            "published_at": draw_support.just_published()}
    replies = both_at_once(lambda i: rr.post(f"/api/v1/draws/{task_id}/reveal", server=i, json=body, headers=admin))
    codes = sorted(r.status_code for r in replies)
    assert codes == [200, 409], [r.get_data(as_text=True)[:300] for r in replies]
    assert next(r for r in replies if r.status_code == 409).get_json()["code"] == "draw_already_done"
    with dbs() as s:
        reveals = s.execute(text("SELECT COUNT(*) FROM audit_entries WHERE action = 'draw.reveal' AND target_id = :t"),
                            {"t": str(task_id)}).scalar_one()
    assert reveals == 1


def test_two_workers_send_each_message_once(app, servers, delivery):
    _, env = servers
    with Receiver() as rx:
        rx.secrets = [delivery.endpoint("sthj", rx.url)[1]]
        ids = [delivery.enqueue("sthj", "p1" if n % 2 else "p2") for n in range(12)]
        workers = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--poll-interval", "0.1"],
                                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for _ in range(2)]
        try:
            deadline = time.monotonic() + 180
            while len(rx.accepted) < len(ids) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.communicate(timeout=60)
    assert sorted(rx.accepted) == sorted(ids)
    assert rx.duplicates == 0 and len(rx.requests) == len(ids)
    assert all(delivery.message(m).status == "delivered" for m in ids)
