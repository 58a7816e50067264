"""Two team members answer the same checkpoints offline, then push at the same moment.

Each phone pushes from its own thread through its own client, so on PostgreSQL the
two batches run on two real connections at once. Both are applied, in the order the
server serialised them (the visit row lock); the overwritten values survive in the
history, the later push is told about the conflict, and the team leader sees it.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from server.visits.models import VisitMember
from server.inspectors.models import Inspector
from server.visits.models import Answer, FieldHistory
from tests.support.field import Phone
from tests.server.visits.team import answer_args, team_of


@pytest.fixture(autouse=True)
def no_sync_gate(app, monkeypatch):
    """The two pushes must really meet in the database: the gate (sync/gate.py) would let this one
    process serve them one after the other, but two server processes never queue for each other."""
    monkeypatch.setitem(app.config, "SYNC_CONCURRENCY", 0)


def _second_member(app, dbs, team, username) -> None:
    """Put a second inspector of the leader's department into the team (a larger joint team)."""
    uid = next(i for i, u in team.names.items() if u == username)
    with dbs() as s:
        insp = s.execute(select(Inspector).where(Inspector.user_id == uid)).scalar_one()
        n = s.query(VisitMember).filter_by(visit_id=team.visit_id).count()
        s.add(VisitMember(visit_id=team.visit_id, position=n, inspector_id=insp.id, user_id=uid,
                          department_id=insp.department_id, role="member", active=True))
        s.commit()


def _push_together(phones_and_batches) -> list[dict]:
    barrier = threading.Barrier(len(phones_and_batches))
    out: list = [None] * len(phones_and_batches)
    errors: list = []

    def run(i, phone, batch):
        try:
            barrier.wait(timeout=30)
            out[i] = phone.push(*batch)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, p, b)) for i, (p, b) in enumerate(phones_and_batches)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return out


def _check_round(dbs, team, values_a, values_b, res_a, res_b, keys):
    """Exactly one side conflicts per checkpoint; its value won; the other survives in history."""
    for n, key in enumerate(keys):
        ra, rb = res_a["results"][n], res_b["results"][n]
        assert ra["status"] == rb["status"] == "applied", (ra, rb)
        assert (ra["conflict"] is None) != (rb["conflict"] is None), (ra, rb)
        later, earlier = (ra, values_b[n]) if ra["conflict"] else (rb, values_a[n])
        winner = values_a[n] if ra["conflict"] else values_b[n]
        assert later["conflict"]["server_value"] == earlier and later["conflict"]["your_value"] == winner
        assert later["conflict"]["field"] == f"answers.{key[0]}:{key[1]}"
        with dbs() as s:
            ans = s.execute(select(Answer).where(Answer.visit_id == team.visit_id, Answer.item_id == key[0],
                                                 Answer.checkpoint_key == key[1])).scalar_one()
            assert ans.value == winner  # last writer in arrival order wins
            hist = s.execute(select(FieldHistory).where(FieldHistory.visit_id == team.visit_id,
                                                        FieldHistory.field == f"answers.{key[0]}:{key[1]}",
                                                        FieldHistory.conflict.is_(True))
                             .order_by(FieldHistory.id.desc())).scalars().first()
            assert hist.old_value["value"] == earlier and hist.new_value["value"] == winner  # neither lost


def test_concurrent_offline_answers_conflict_and_leader_sees_it(app, client, login, dbs):
    team = team_of(client, login("office"))
    second = team.outsider("scjg")
    _second_member(app, dbs, team, second)
    a = Phone(app.test_client(), team.lead.username)
    b = Phone(app.test_client(), second)
    a.pull()
    b.pull()
    assert team.visit_id in {v["id"] for v in b.visits()}
    item = team.item("scjg")
    cps = [c for c in item["checkpoints"] if c["answer_type"] == "pass_fail_na"][:3]
    keys = [(item["item_id"], c["key"]) for c in cps]

    # Round 1: neither phone had an answer (no base_version); both answer offline.
    va, vb = ["pass", "fail", "na"], ["fail", "na", "pass"]
    batch_a = [a.mutation("answer.set", visit_id=team.visit_id, item_id=k[0], checkpoint_key=k[1], value=v, note="甲",
                          base_version=None) for k, v in zip(keys, va)]
    batch_b = [b.mutation("answer.set", visit_id=team.visit_id, item_id=k[0], checkpoint_key=k[1], value=v, note="乙",
                          base_version=None) for k, v in zip(keys, vb)]
    res_a, res_b = _push_together([(a, batch_a), (b, batch_b)])
    _check_round(dbs, team, va, vb, res_a, res_b, keys)

    # Round 2: both pulled the same version, both change it offline again.
    a.pull()
    b.pull()
    seen = {k: a.visit(team.visit_id)["record"]["answers"][f"{k[0]}:{k[1]}"]["version"] for k in keys}
    assert seen == {k: b.visit(team.visit_id)["record"]["answers"][f"{k[0]}:{k[1]}"]["version"] for k in keys}
    va2, vb2 = ["na", "pass", "fail"], ["pass", "na", "na"]
    batch_a = [a.mutation("answer.set", visit_id=team.visit_id, item_id=k[0], checkpoint_key=k[1], value=v, note="甲2",
                          base_version=seen[k]) for k, v in zip(keys, va2)]
    batch_b = [b.mutation("answer.set", visit_id=team.visit_id, item_id=k[0], checkpoint_key=k[1], value=v, note="乙2",
                          base_version=seen[k]) for k, v in zip(keys, vb2)]
    res_a, res_b = _push_together([(a, batch_a), (b, batch_b)])
    _check_round(dbs, team, va2, vb2, res_a, res_b, keys)

    # The leader's view: the visit's conflict count and the conflicting values, both kept.
    progress = client.get("/api/v1/visits/team", headers=team.lead.headers).get_json()
    row = next(r for r in progress if r["id"] == team.visit_id)
    assert row["conflicts"] == 6 and row["status"] == "in_progress"
    listed = client.get(f"/api/v1/visits/{team.visit_id}/conflicts", headers=team.lead.headers).get_json()
    assert len(listed) == 6
    for k in keys:
        mine = [c for c in listed if c["field"] == f"answers.{k[0]}:{k[1]}"]
        assert len(mine) == 2
        assert all(c["old_value"]["value"] and c["new_value"]["value"] for c in mine)
    # The phones converge on the server's value after their next pull.
    a.pull()
    b.pull()
    assert a.visit(team.visit_id)["record"]["answers"] == b.visit(team.visit_id)["record"]["answers"]


def test_same_member_rewriting_is_not_a_conflict(client, login, dbs):
    team = team_of(client, login("office"))
    lead = team.lead
    lead.ok("answer.set", **answer_args(team, "scjg", 0, value="pass"))
    res = lead.ok("answer.set", **answer_args(team, "scjg", 0, value="fail", base_version=None))
    assert res["conflict"] is None
    with dbs() as s:
        hist = s.execute(select(FieldHistory).where(FieldHistory.visit_id == team.visit_id)).scalars().all()
        assert [(h.old_value["value"], h.new_value["value"], h.conflict) for h in hist] == [("pass", "fail", False)]
