"""Crash safety: a real gunicorn worker SIGKILLed in the middle of a push batch.

The server runs in a subprocess (gunicorn, one gthread worker) against this test's
own database (a SQLite file, or the PostgreSQL clone). Every mutation must end up
either applied together with its counter or not at all; the phone's replay then
completes, and nothing is lost or doubled.
"""
from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.visits.models import Answer
from sync.models import SyncClient, SyncMutation
from tests.conftest import DEMO_PASSWORD
from tests.server.visits.team import answer_args, counts, finding_args, team_of
from tests.support.field import phone_time
from tests.support.http import Session
from tests.sync.live_server import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture
def seed_level():
    return "field"


def _server(app, tmp_path, **env):
    return LiveServer(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path),
                      env={"SECRET_KEY": app.config["SECRET_KEY"], "DEMO_PASSWORD": DEMO_PASSWORD, **env})


def _media(team, phone):
    mid = str(uuid.uuid4())
    return phone.mutation("media.attach", visit_id=team.visit_id, media_id=mid, sha256=uuid.uuid4().hex * 2, kind="photo",
                          target={"type": "visit", "id": None}, claim={"captured_at": phone_time(15)})


def _applied_ids_in_audit(s, client_id) -> list[int]:
    rows = s.execute(select(AuditEntry.payload).where(AuditEntry.action == "sync.push",
                                                      AuditEntry.target_id == client_id)).scalars()
    return [m["id"] for p in rows for m in json.loads(p)["data"]["mutations"]]


def test_worker_killed_mid_batch_then_replay(app, dbs, tmp_path):
    marker = tmp_path / "stall.pid"
    with _server(app, tmp_path, CRASH_MARKER=str(marker)) as srv:
        http = srv.client()
        team = team_of(http, Session.login(http, "office", DEMO_PASSWORD).headers)
        lead, vid = team.lead, team.visit_id
        batch = [
            lead.mutation("visit.arrive", visit_id=vid, at=phone_time(30), gps=None, method="onsite"),
            lead.mutation("visit.present", visit_id=vid, inspector_ids=team.inspectors()),
            lead.mutation("answer.set", **answer_args(team, "scjg", 0)),
            lead.mutation("finding.add", **finding_args(team)),
            _media(team, lead),
            lead.mutation("test.stall", key="here the worker dies"),
            lead.mutation("visit.credentials_shown", visit_id=vid, at=phone_time(29)),
            lead.mutation("answer.set", **answer_args(team, "scjg", 1)),
            lead.mutation("visit.rights_informed", visit_id=vid, at=phone_time(28)),
        ]
        with dbs() as s:
            before = counts(s, vid)
        failure: list = []

        def send():
            try:
                failure.append(lead.push(*batch))
            except OSError as err:  # the connection dies with the worker
                failure.append(err)

        t = threading.Thread(target=send)
        t.start()
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "the batch never reached the stalling mutation"
        worker = int(marker.read_text())
        assert worker != srv.proc.pid
        os.kill(worker, signal.SIGKILL)
        t.join(timeout=60)
        assert isinstance(failure[0], OSError), failure  # the phone never got an answer

        # Nothing of the batch is in the database: not the five mutations before the crash, not the counter.
        with dbs() as s:
            assert counts(s, vid) == before
            client = s.get(SyncClient, lead.client_id)
            assert client is None or client.last_mutation_id == 0
            assert s.query(SyncMutation).filter_by(client_id=lead.client_id).count() == 0

        # gunicorn starts a new worker; the phone replays its outbox.
        srv.wait_ready()
        body = lead.push(*batch)
        assert [r["status"] for r in body["results"]] == ["applied"] * len(batch) and body["last_mutation_id"] == len(batch)
        assert [r["status"] for r in lead.push(*batch)["results"]] == ["duplicate"] * len(batch)
        with dbs() as s:
            after = counts(s, vid)
            assert after["visit_answers"] == 2 and after["visit_findings"] == 1 and after["visit_media"] == 1
            assert after["visit_version"] == before["visit_version"] + len(batch) - 1  # every visit mutation once
            assert sorted(_applied_ids_in_audit(s, lead.client_id)) == list(range(1, len(batch) + 1))


def _worker_pids(master: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def test_random_kills_during_a_day_of_pushes(app, dbs, tmp_path):
    """Workers are killed at random moments while a phone pushes its day; it retries until acknowledged."""
    rng = random.Random(5)
    with _server(app, tmp_path) as srv:
        http = srv.client(timeout=30)
        team = team_of(http, Session.login(http, "office", DEMO_PASSWORD).headers)
        lead, vid = team.lead, team.visit_id
        item = team.item("scjg")
        cps = [c for c in item["checkpoints"] if c["answer_type"] == "pass_fail_na"]
        outbox, final, n_findings, n_media = [], {}, 0, 0
        for i in range(120):
            kind = i % 4
            if kind in (0, 1):
                cp = cps[rng.randrange(len(cps))]
                value = rng.choice(["pass", "fail", "na"])
                final[cp["key"]] = value
                outbox.append(lead.mutation("answer.set", visit_id=vid, item_id=item["item_id"], checkpoint_key=cp["key"],
                                            value=value, note=f"第{i}次", base_version=None))
            elif kind == 2:
                outbox.append(lead.mutation("finding.add", **finding_args(team, description=f"问题{i}：记录不全")))
                n_findings += 1
            else:
                outbox.append(_media(team, lead))
                n_media += 1
        with dbs() as s:
            before = counts(s, vid)

        kills: list = []

        def kill_worker():
            for pid in _worker_pids(srv.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                    kills.append(pid)
                except ProcessLookupError:
                    pass

        # Half of the attempts get a SIGKILL at a random moment inside the time a push takes (every attempt
        # until one has landed: a fast push may answer before its timer fires; a push takes a few
        # milliseconds, so the moment follows the last push's time, and after 20 attempts without a kill
        # the worker is killed as the push is sent).
        acked, attempts, failures, took = 0, 0, 0, 0.01
        while acked < len(outbox):
            batch = outbox[acked:acked + rng.randint(5, 20)]
            attempts += 1
            assert attempts < 500
            delay = rng.uniform(0, took * 1.2) if kills or attempts <= 20 else 0.0
            timer = threading.Timer(delay, kill_worker) if rng.random() < 0.5 or not kills else None
            t0 = time.monotonic()
            if timer:
                timer.start()
            try:
                r = lead.client.post("/api/v1/sync/push", headers=lead.headers,
                                     json={"client_id": lead.client_id, "schema_version": 1, "mutations": batch})
            except OSError:
                r = None
            finally:
                if timer:
                    timer.cancel()
                    timer.join()
            if r is None or r.status_code != 200:  # the response is lost, or 503 while things recover: resend
                failures += 1
                continue
            took = max(0.002, time.monotonic() - t0)
            acked = r.get_json()["last_mutation_id"]
        assert kills, "no worker was killed"

        with dbs() as s:
            after = counts(s, vid)
            rows = s.query(SyncMutation).filter_by(client_id=lead.client_id).all()
            assert sorted(r.mutation_id for r in rows) == list(range(1, len(outbox) + 1))
            assert {r.status for r in rows} == {"applied"}
            assert s.get(SyncClient, lead.client_id).last_mutation_id == len(outbox)
            assert sorted(_applied_ids_in_audit(s, lead.client_id)) == list(range(1, len(outbox) + 1))
            assert after["visit_findings"] == before["visit_findings"] + n_findings
            assert after["visit_media"] == before["visit_media"] + n_media
            assert after["visit_version"] == before["visit_version"] + len(outbox)
            got = {a.checkpoint_key: a.value for a in s.execute(select(Answer).where(Answer.visit_id == vid)).scalars()}
            assert got == final
        print(f"{len(kills)} workers killed, {attempts} push attempts, {failures} failed and retried")
