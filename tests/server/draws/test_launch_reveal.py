"""Issue 4, points 1-2: launching from an approved plan (T0 commitment) and entering the public
randomness exactly once, through the HTTP API."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.server.draws.draw_support import (BEACON, BEACON_VALUE, audit_entries, launch, just_published,
                                             launched, principal, reveal)
from tests.support.http import assert_problem


def test_launch_records_hashes_and_commitment_before_any_randomness(client, login, dbs):
    body = launched(client, login)
    tid = body["task"]["id"]
    assert body["task"]["status"] == "committed"
    for key in ("plan_hash", "snapshot_hash", "commitment"):
        assert len(body[key]) == 64 and int(body[key], 16) >= 0
    # Nothing random is known yet: no beacon value, no nonce, no seed, no selection.
    assert body["beacon"] == BEACON
    assert (body["beacon_value"], body["nonce"], body["seed"], body["selected"], body["counts"]) == (None, None, None, [], {})
    assert body["committed_at"] and body["snapshot_size"] > 0

    # The audit log holds all three, recorded at launch.
    (commit,) = audit_entries(dbs, "draw.commit", tid)
    assert {k: commit[k] for k in ("plan_hash", "snapshot_hash", "commitment")} == \
        {k: body[k] for k in ("plan_hash", "snapshot_hash", "commitment")}
    assert commit["beacon"] == BEACON and commit["snapshot_size"] == body["snapshot_size"]
    assert audit_entries(dbs, "draw.reveal", tid) == []

    # The public view (no login) shows the same values before the draw.
    pub = client.get(f"/api/v1/public/draws/{tid}")
    assert pub.status_code == 200
    pub = pub.get_json()
    assert {k: pub[k] for k in ("plan_hash", "snapshot_hash", "commitment", "committed_at")} == \
        {k: body[k] for k in ("plan_hash", "snapshot_hash", "commitment", "committed_at")}
    assert pub["nonce"] is None and pub["seed"] is None

    # The staff view too.
    staff = client.get(f"/api/v1/draws/{tid}", headers=login("scjg-leader")).get_json()
    assert staff["commitment"] == body["commitment"]


def test_reveal_derives_seed_and_selection_and_logs_after_commit(client, login, dbs):
    tid = launched(client, login)["task"]["id"]
    r = reveal(client, login, tid)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["task"]["status"] == "drawn"
    assert body["beacon_value"] == BEACON_VALUE and len(body["nonce"]) == 64 and len(body["seed"]) == 64
    assert sum(c["n"] for c in body["counts"].values()) == len(body["selected"]) > 0
    (commit,) = audit_entries(dbs, "draw.commit", tid)
    (rev,) = audit_entries(dbs, "draw.reveal", tid)
    assert commit["seq"] < rev["seq"]
    assert rev["seed"] == body["seed"] and rev["nonce"] == body["nonce"] and rev["beacon_value"] == BEACON_VALUE


def test_reveal_refused_for_a_value_published_before_the_commitment(client, login):
    body = launched(client, login)
    committed = dt.datetime.fromisoformat(body["committed_at"].replace("Z", "+00:00"))
    for when in ("2020-01-01T00:00:00+08:00", committed.isoformat()):
        r = reveal(client, login, body["task"]["id"], published_at=when)
        assert_problem(r, 422, "beacon_before_commitment")
    # Still undrawn: the refusal changed nothing.
    assert client.get(f"/api/v1/public/draws/{body['task']['id']}").get_json()["seed"] is None


def test_reveal_refused_for_a_value_published_in_the_future(client, login):
    tid = launched(client, login)["task"]["id"]
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    assert_problem(reveal(client, login, tid, published_at=later), 422, "beacon_in_future")
    assert client.get(f"/api/v1/public/draws/{tid}").get_json()["seed"] is None
    # A few seconds ahead (the operator's clock runs fast) is tolerated.
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30)).isoformat()
    assert reveal(client, login, tid, published_at=soon).status_code == 200


def test_reveal_refused_when_the_snapshot_was_altered_after_the_commitment(client, login, dbs):
    from tests.server.draws.test_tampering import alter_stored_snapshot

    tid = launched(client, login)["task"]["id"]
    alter_stored_snapshot(dbs, tid, lambda lines: lines.pop())
    body = assert_problem(reveal(client, login, tid), 409, "snapshot_altered")
    assert "快照哈希" in body["detail"]
    public = client.get(f"/api/v1/public/draws/{tid}").get_json()
    assert (public["seed"], public["selected"]) == (None, [])
    assert audit_entries(dbs, "draw.reveal", tid) == []


def test_reveal_refused_with_another_reference_than_announced(client, login):
    tid = launched(client, login)["task"]["id"]
    body = assert_problem(reveal(client, login, tid, reference="第2026331期"), 422, "beacon_reference_mismatch")
    assert BEACON["reference"] in body["detail"]


def test_reveal_of_an_unlaunched_task_is_not_found(client, login):
    assert_problem(reveal(client, login, 99999), 404, "task_not_found")


def test_reveal_refused_for_unauthorised_roles(client, login):
    tid = launched(client, login)["task"]["id"]
    for user in ("scjg-leader", "scjg-reviewer", "scjg-insp1", "office", "auditor"):
        assert_problem(reveal(client, login, tid, user=user), 403, "role_required")
    # Another department's admin does not even see the task.
    assert_problem(reveal(client, login, tid, user="sthj-admin"), 404, "task_not_found")
    r = client.post(f"/api/v1/draws/{tid}/reveal", json={"beacon_value": "1", "reference": BEACON["reference"],
                                                         "published_at": just_published()})
    assert r.status_code == 401
    assert reveal(client, login, tid).status_code == 200


def test_launch_refused_for_unauthorised_roles_and_twice(client, login):
    for user in ("scjg-leader", "scjg-insp1", "office", "auditor"):
        assert_problem(launch(client, login, user=user), 403, "role_required")
    assert_problem(launch(client, login, user="sthj-admin"), 404, "task_not_found")
    assert launch(client, login).status_code == 201
    assert_problem(launch(client, login), 409, "task_already_launched")


def test_a_second_reveal_is_refused_with_a_stable_code(client, login, dbs):
    tid = launched(client, login)["task"]["id"]
    first = reveal(client, login, tid).get_json()
    for value in (BEACON_VALUE, "0 0 0"):
        assert_problem(reveal(client, login, tid, value=value), 409, "draw_already_done")
    again = client.get(f"/api/v1/public/draws/{tid}").get_json()
    assert (again["seed"], again["selected"]) == (first["seed"], first["selected"])
    assert len(audit_entries(dbs, "draw.reveal", tid)) == 1


def _result(task_id):
    from server.draws.models import DrawRanking
    from server.visits.models import Visit
    from server.extensions import db

    rankings = {r.stratum: (r.ranking, r.selected) for r in db.session.execute(
        select(DrawRanking).where(DrawRanking.task_id == task_id)).scalars()}
    visits = sorted((v.id, v.object_id, v.stratum, v.rank, tuple((m.inspector_id, m.role) for m in v.members))
                    for v in db.session.execute(select(Visit).where(Visit.task_id == task_id)).scalars())
    return rankings, visits


def test_a_retry_after_a_crash_gives_the_identical_result(app, client, login):
    from server.draws import service
    from server.draws.models import Draw
    from server.extensions import db

    tid = launched(client, login)["task"]["id"]
    published = dt.datetime.now(dt.timezone.utc)
    with app.app_context():
        # First attempt: everything computed and written, then the process "crashes" before commit.
        admin = principal("scjg-admin")
        service.reveal(admin, tid, BEACON_VALUE, published, BEACON["reference"])
        db.session.flush()
        crashed_seed = db.session.get(Draw, tid).seed_hex
        crashed = _result(tid)
        db.session.rollback()
        assert db.session.get(Draw, tid).seed_hex is None
        # Re-running the pure compute step twice gives the very same result as well.
        draw = db.session.get(Draw, tid)
        a, b = service.compute(draw, BEACON_VALUE), service.compute(draw, BEACON_VALUE)
        assert a["seed"] == b["seed"] == crashed_seed
        assert a["strata"] == b["strata"] and a["teams"] == b["teams"]
        db.session.remove()
    # The retry (through the API) reproduces seed, rankings, visits (same ids) and teams.
    r = reveal(client, login, tid, published_at=published.isoformat())
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["seed"] == crashed_seed
    with app.app_context():
        assert _result(tid) == crashed
        db.session.remove()
