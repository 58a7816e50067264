"""Exactly-once on the real record: lost responses, replays, gaps and rejections.

The sync core's own tests (tests/sync/test_push_pull.py) use test mutators; these
drive the visit mutators, so "no row doubles" is checked on answers, findings,
media, history, the change feed, the audit log and the versions.
"""
from __future__ import annotations

import hashlib
import uuid

from sync.models import SyncMutation
from tests.server.visits.team import answer_args, chinese, counts, finding_args, team_of
from tests.support.field import phone_time


def _day_batch(team, phone):
    fid = str(uuid.uuid4())
    mid = str(uuid.uuid4())
    return [
        phone.mutation("visit.arrive", visit_id=team.visit_id, at=phone_time(30),
                       gps={"lat": 38.41, "lon": 112.73, "accuracy": 8.0}, method="onsite"),
        phone.mutation("visit.present", visit_id=team.visit_id, inspector_ids=team.inspectors()),
        phone.mutation("answer.set", **answer_args(team, "scjg", 0, note="未悬挂许可证")),
        phone.mutation("answer.set", **answer_args(team, "scjg", 0, value="pass", note="已当场整改", base_version=1)),
        phone.mutation("media.attach", visit_id=team.visit_id, media_id=mid, sha256=hashlib.sha256(mid.encode()).hexdigest(),
                       kind="photo", target={"type": "finding", "id": fid}, claim={"captured_at": phone_time(15)}),
        phone.mutation("finding.add", **finding_args(team, finding_id=fid, media_ids=[mid])),
        phone.mutation("finding.update", visit_id=team.visit_id, finding_id=fid, description="冷藏柜温度 12℃，已责令整改",
                       base_version=1),
    ]


def test_lost_response_replay_is_duplicate_and_nothing_doubles(client, login, dbs):
    team = team_of(client, login("office"))
    lead = team.lead
    batch = _day_batch(team, lead)
    first = lead.push(*batch)
    assert [r["status"] for r in first["results"]] == ["applied"] * len(batch)
    assert first["last_mutation_id"] == len(batch)
    with dbs() as s:
        after_first = counts(s, team.visit_id)
    assert after_first["visit_answers"] == 1 and after_first["visit_findings"] == 1 and after_first["visit_media"] == 1

    # The response never reached the phone: it sends the same batch again, twice.
    for _ in range(2):
        again = lead.push(*batch)
        assert [r["status"] for r in again["results"]] == ["duplicate"] * len(batch)
        assert [r["original_status"] for r in again["results"]] == ["applied"] * len(batch)
        assert again["last_mutation_id"] == len(batch)
        with dbs() as s:
            assert counts(s, team.visit_id) == after_first

    # A batch that overlaps the processed ones: only the new tail is applied.
    tail = lead.mutation("visit.credentials_shown", visit_id=team.visit_id, at=phone_time(29))
    body = lead.push(*batch[-2:], tail)
    assert [r["status"] for r in body["results"]] == ["duplicate", "duplicate", "applied"]
    with dbs() as s:
        c = counts(s, team.visit_id)
    assert c["visit_findings"] == 1 and c["visit_version"] == after_first["visit_version"] + 1
    lead.pull()
    rec = lead.visit(team.visit_id)["record"]
    assert rec["findings"][0]["description"] == "冷藏柜温度 12℃，已责令整改"
    assert list(rec["answers"].values())[0]["value"] == "pass"


def test_replay_returns_the_stored_conflict_and_problem(client, login, dbs):
    team = team_of(client, login("office"))
    yj = team.phones["yjgl"]
    yj.ok("answer.set", **answer_args(team, "yjgl", 0, value="pass"))
    lead = team.lead
    m_bad = lead.mutation("answer.set", **answer_args(team, "yjgl", 0, value="fail"))  # not the lead's department
    body = lead.push(m_bad)
    assert body["results"][0]["status"] == "rejected"
    replay = lead.push(m_bad)["results"][0]
    assert replay["status"] == "duplicate" and replay["original_status"] == "rejected"
    assert replay["problem"] == body["results"][0]["problem"]


def test_gap_and_out_of_order_ids_apply_nothing_past_the_gap(client, login, dbs):
    team = team_of(client, login("office"))
    lead = team.lead
    with dbs() as s:
        before = counts(s, team.visit_id)
    arrive = dict(name="visit.arrive", client_time=None,
                  args={"visit_id": team.visit_id, "at": phone_time(30), "gps": None, "method": "onsite"})
    shown = dict(name="visit.credentials_shown", client_time=None, args={"visit_id": team.visit_id, "at": phone_time(29)})
    informed = dict(name="visit.rights_informed", client_time=None, args={"visit_id": team.visit_id, "at": phone_time(28)})

    # Out of order from the start: nothing at all is applied.
    body = lead.push({"id": 2, **shown}, {"id": 1, **arrive})
    assert body["last_mutation_id"] == 0 and body["results"] == [] and body["stopped_at_gap"] is True
    assert body["problem"]["code"] == "mutation_gap"
    assert body["problem"]["expected_id"] == 1 and body["problem"]["received_id"] == 2
    assert chinese(body["problem"]["title"]) and chinese(body["problem"]["detail"])
    with dbs() as s:
        assert counts(s, team.visit_id) == before

    # 1 applied, then a gap (3 before 2): 3 and everything after it wait.
    body = lead.push({"id": 1, **arrive}, {"id": 3, **informed}, {"id": 2, **shown})
    assert [r["id"] for r in body["results"]] == [1]
    assert body["last_mutation_id"] == 1 and body["problem"]["expected_id"] == 2
    with dbs() as s:
        from server.visits.models import VisitRecord

        rec = s.get(VisitRecord, team.visit_id)
        assert rec.arrival_at and rec.credentials_shown_at is None and rec.rights_informed_at is None
        assert s.query(SyncMutation).filter_by(client_id=lead.client_id).count() == 1

    # The phone resumes from last_mutation_id + 1.
    body = lead.push({"id": 2, **shown}, {"id": 3, **informed})
    assert [r["status"] for r in body["results"]] == ["applied", "applied"] and body["problem"] is None
    assert body["stopped_at_gap"] is False


def test_rejected_mutations_are_listed_in_chinese_and_the_rest_applied(client, login, dbs):
    team = team_of(client, login("office"))
    lead = team.lead
    stranger_visit = str(uuid.uuid4())
    muts = [
        lead.mutation("visit.arrive", visit_id=team.visit_id, at=phone_time(30), gps=None, method="onsite"),
        lead.mutation("answer.set", **answer_args(team, "yjgl", 0)),  # another department's item
        lead.mutation("answer.set", **answer_args(team, "scjg", 0, value="maybe")),  # not pass/fail/na
        lead.mutation("answer.set", **answer_args(team, "scjg", 1, value="pass")),
        lead.mutation("visit.credentials_shown", visit_id=stranger_visit, at=phone_time(29)),
        lead.mutation("visit.present", visit_id=team.visit_id, inspector_ids=[999999]),
        lead.mutation("finding.add", **finding_args(team, description="")),  # too short
        lead.mutation("visit.rights_informed", visit_id=team.visit_id, at=phone_time(28)),
    ]
    body = lead.push(*muts)
    assert body["last_mutation_id"] == len(muts)  # rejections advance the counter: the queue is not blocked
    res = {r["id"]: r for r in body["results"]}
    expected = {2: "not_your_item", 3: "validation_failed", 5: "visit_not_found", 6: "not_in_team", 7: "validation_failed"}
    for mid, code in expected.items():
        assert res[mid]["status"] == "rejected", res[mid]
        assert res[mid]["problem"]["code"] == code, res[mid]
        assert chinese(res[mid]["problem"]["title"]) and chinese(res[mid]["problem"]["detail"]), res[mid]["problem"]
    assert res[3]["problem"]["errors"][0]["field"] == "value" and chinese(res[3]["problem"]["errors"][0]["message"])
    assert {e["field"] for e in res[7]["problem"]["errors"]} == {"description"}
    assert all(res[m]["status"] == "applied" for m in (1, 4, 8))

    # The phone's "needs attention" list: every rejection, with its payload and the server's message.
    listed = client.get(f"/api/v1/sync/rejections?client_id={lead.client_id}", headers=lead.headers).get_json()
    assert sorted(x["mutation_id"] for x in listed) == sorted(expected)
    for x in listed:
        assert x["problem"]["code"] == expected[x["mutation_id"]]
        assert x["args"] == muts[x["mutation_id"] - 1]["args"]
        assert x["name"] == muts[x["mutation_id"] - 1]["name"]
    # Another user never sees them.
    other = team.phones["yjgl"]
    assert client.get("/api/v1/sync/rejections", headers=other.headers).get_json() == []

    lead.pull()
    rec = lead.visit(team.visit_id)["record"]
    assert rec["arrival"] and rec["rights_informed_at"] and rec["credentials_shown_at"] is None
    assert [a["value"] for a in rec["answers"].values()] == ["pass"]
    assert rec["findings"] == [] and rec["present"] == []
