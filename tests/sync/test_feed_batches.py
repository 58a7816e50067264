"""Changes of a push batch are numbered once, at its commit.

Each mutation runs in a SAVEPOINT, and SQLAlchemy fires "before_commit" and
"after_rollback" for savepoints too. Numbering at a savepoint's release held the
counter row's lock from the batch's first mutation to its end, in the opposite
order to the audit chain head's lock when a later mutation audits: concurrent
pushes deadlocked on PostgreSQL. Discarding at a savepoint's rollback would drop
the changes of the batch's earlier, applied mutations.
"""
from __future__ import annotations

import threading
import uuid

import pytest
from marshmallow import fields
from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.extensions import db
from server.schemas import BaseSchema
from sync import registry
from sync.changes import emit
from sync.models import SyncFeed


class EmitArgs(BaseSchema):
    key = fields.String(required=True)


def _audit_then_fail(ctx, args):
    from server.audit import service as audit
    from server.errors import Conflict

    audit.record(db.session, "test.doomed", "setting", args["key"], {})
    emit(db.session, "setting", "t:doomed", [ctx.principal.user_id])
    raise Conflict("不能保存。", code="record_sealed")


def _emit_only(ctx, args):
    """A change for the caller's feed, without an audit entry."""
    emit(db.session, "setting", "t:" + args["key"], [ctx.principal.user_id])


@pytest.fixture(autouse=True)
def emit_mutator():
    registry.mutator("test.emit", EmitArgs())(_emit_only)
    registry.mutator("test.doomed", EmitArgs())(_audit_then_fail)
    yield
    registry.MUTATORS.pop("test.emit", None)
    registry.MUTATORS.pop("test.doomed", None)


def _push(client, h, cid, muts):
    return client.post("/api/v1/sync/push", headers=h, json={"client_id": cid, "schema_version": 1, "mutations": muts})


def test_a_rejection_mid_batch_keeps_the_earlier_changes(client, login, dbs):
    h, cid = login("scjg-insp1"), str(uuid.uuid4())
    cursor = client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h).get_json()["cursor"]
    muts = [{"id": 1, "name": "test.put", "args": {"key": "a", "value": "1"}},
            {"id": 2, "name": "test.emit", "args": {"key": "b"}},
            {"id": 3, "name": "test.fail", "args": {"key": "x"}},  # emits t:ghost, then is rejected
            {"id": 4, "name": "test.emit", "args": {"key": "c"}},
            {"id": 5, "name": "test.crash", "args": {"key": "y"}},
            {"id": 6, "name": "test.doomed", "args": {"key": "z"}},  # audits and emits, then is rejected
            {"id": 7, "name": "test.put", "args": {"key": "d", "value": "4"}}]
    body = _push(client, h, cid, muts).get_json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied", "rejected", "applied", "rejected", "rejected",
                                                      "applied"]
    delta = client.get(f"/api/v1/sync/pull?client_id={cid}&cursor={cursor}", headers=h).get_json()
    assert [c["id"] for c in delta["changes"]] == ["t:a", "t:b", "t:c", "t:d"]
    with dbs() as s:
        seqs = s.execute(select(SyncFeed.seq).where(SyncFeed.entity_id.in_(["t:a", "t:b", "t:c", "t:d"]))).scalars().all()
        assert len(set(seqs)) == 4
        assert s.scalar(select(func.count()).select_from(SyncFeed).where(SyncFeed.entity_id.in_(["t:ghost", "t:doomed"]))) == 0
        # The audit log: the applied mutations' entries, none of the rejected ones', and the push itself.
        actions = s.execute(select(AuditEntry.action, AuditEntry.target_id).where(
            AuditEntry.action.in_(["test.put", "test.doomed", "sync.push"])).order_by(AuditEntry.seq)).all()
        assert actions == [("test.put", "t:a"), ("test.put", "t:d"), ("sync.push", cid)]


def test_concurrent_pushes_auditing_in_either_order_never_deadlock(app, login, dbs):
    """Half the batches emit before they audit, half after; all on real concurrent connections."""
    users = ["scjg-insp1", "scjg-insp2", "scjg-insp3", "yjgl-insp1", "yjgl-insp2", "wsjk-insp1"]
    heads = {u: login(u) for u in users}
    rounds, errors, statuses = 8, [], []
    barrier = threading.Barrier(len(users))

    def run(n, user):
        c = app.test_client()
        cid = str(uuid.uuid4())
        try:
            barrier.wait(timeout=30)
            for r in range(rounds):
                emit_m = {"id": 2 * r + 1, "name": "test.emit", "args": {"key": f"{user}-{r}-e"}}
                put_m = {"id": 2 * r + 2, "name": "test.put", "args": {"key": f"{user}-{r}-p", "value": "v"}}
                if (n + r) % 2:
                    emit_m["id"], put_m["id"] = put_m["id"], emit_m["id"]
                batch = sorted([emit_m, put_m], key=lambda m: m["id"])
                resp = _push(c, heads[user], cid, batch)
                statuses.append(resp.status_code)
                assert resp.status_code == 200, resp.get_json()
                assert [x["status"] for x in resp.get_json()["results"]] == ["applied", "applied"]
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n, u)) for n, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not errors, errors[:3]
    assert statuses == [200] * (rounds * len(users))
    with dbs() as s:
        rows = s.execute(select(SyncFeed.entity_id, SyncFeed.seq).where(SyncFeed.entity_id.like("t:%-%-%"))).all()
    assert len(rows) == 2 * rounds * len(users)
    assert len({seq for _, seq in rows}) == len(rows)  # every change its own number
