"""The permission matrix of sync: another user's client_id, another team's visit,
another department's checkpoint, and leader-only rescheduling."""
from __future__ import annotations

import hashlib
import uuid

from tests.server.visits.team import answer_args, chinese, finding_args, team_of
from tests.support.field import Phone, phone_time
from tests.support.http import assert_problem


def test_who_checks_who_enters(client, login):
    team = team_of(client, login("office"))
    depts = sorted(team.phones)
    assert len(depts) >= 3  # a joint team: one department per item
    for mine in depts:
        phone = team.phones[mine]
        for theirs in depts:
            res = phone.do("answer.set", **answer_args(team, theirs, 0))
            if mine == theirs:
                assert res["status"] == "applied", (mine, res)
            else:
                assert res["status"] == "rejected" and res["problem"]["code"] == "not_your_item", (mine, theirs, res)
                assert chinese(res["problem"]["detail"])
    # The pulled task tells each phone which items are its own (the others are read-only).
    for mine, phone in team.phones.items():
        phone.pull()
        me = next(data for (e, _), data in phone.entities.items() if e == "me")
        own = [i for i in phone.task(team.visit["task_id"])["items"] if i["department_id"] == me["department"]["id"]]
        assert len(own) == 1 and me["department"]["code"] == mine
    team.lead.pull()
    answers = team.lead.visit(team.visit_id)["record"]["answers"]
    assert len(answers) == len(depts)
    assert {a["department_id"] for a in answers.values()} == {d["id"] for d in team.task["departments"]}


def test_another_teams_visit_is_invisible_and_refused(client, login):
    team = team_of(client, login("office"))
    stranger = team.busy_outsider("scjg")
    assert team.visit_id not in {v["id"] for v in stranger.visits()}
    vid = team.visit_id
    sha = hashlib.sha256(b"x").hexdigest()
    calls = {
        "visit.arrive": dict(visit_id=vid, at=phone_time(30), gps=None, method="onsite"),
        "visit.present": dict(visit_id=vid, inspector_ids=team.inspectors()),
        "visit.credentials_shown": dict(visit_id=vid, at=phone_time(29)),
        "visit.rights_informed": dict(visit_id=vid, at=phone_time(28)),
        "answer.set": answer_args(team, "scjg", 0),
        "finding.add": finding_args(team),
        "media.attach": dict(visit_id=vid, media_id=str(uuid.uuid4()), sha256=sha, kind="photo",
                             target={"type": "visit", "id": None}, claim={}),
        "outcome.set": dict(visit_id=vid, codes=["1"], followup="none", followup_note=None, case=None),
        "visit.seal": dict(visit_id=vid, content_sha256=sha),
        "schedule.set": dict(visit_id=vid, date="2026-12-15", time_from=None, time_to=None),
        "amendment.add": dict(visit_id=vid, amendment_id=str(uuid.uuid4()), reason="无权补正",
                              patch=[{"op": "replace", "path": "/method", "value": "onsite"}]),
    }
    for name, args in calls.items():
        res = stranger.do(name, **args)
        assert res["status"] == "rejected" and res["problem"]["code"] == "not_in_team", (name, res)
        assert chinese(res["problem"]["detail"])
    # Staff screens hide it too.
    assert_problem(client.get(f"/api/v1/visits/{vid}", headers=stranger.headers), 404, "visit_not_found")
    assert_problem(client.get(f"/api/v1/visits/{vid}/conflicts", headers=stranger.headers), 404, "visit_not_found")
    # Nothing reached the team.
    team.lead.pull()
    rec = team.lead.visit(vid)["record"]
    assert rec["answers"] == {} and rec["findings"] == [] and rec["media"] == [] and rec["outcome"] is None


def test_another_users_client_id_is_refused(client, login):
    team = team_of(client, login("office"))
    lead, other = team.lead, team.phones["yjgl"]
    lead.ok("visit.arrive", visit_id=team.visit_id, at=phone_time(30), gps=None, method="onsite")
    body = {"client_id": lead.client_id, "schema_version": 1,
            "mutations": [other.mutation("answer.set", **answer_args(team, "yjgl", 0))]}
    assert_problem(client.post("/api/v1/sync/push", headers=other.headers, json=body), 403, "client_not_yours")
    assert_problem(client.get(f"/api/v1/sync/pull?client_id={lead.client_id}", headers=other.headers), 403,
                   "client_not_yours")
    # Someone else's rejected mutations are never listed to them.
    assert lead.do("answer.set", **answer_args(team, "yjgl", 0))["status"] == "rejected"
    assert client.get(f"/api/v1/sync/rejections?client_id={lead.client_id}", headers=other.headers).get_json() == []
    assert len(client.get(f"/api/v1/sync/rejections?client_id={lead.client_id}", headers=lead.headers).get_json()) == 1
    # The same user on another device is another client too.
    again = Phone(client, lead.username)
    assert_problem(client.post("/api/v1/sync/push", headers=again.headers, json=body), 403, "client_not_yours")


def test_only_the_leader_reschedules_and_members_get_it_on_their_next_pull(client, login):
    team = team_of(client, login("office"))
    member = team.phones["yjgl"]
    res = member.do("schedule.set", visit_id=team.visit_id, date="2026-12-16", time_from="14:30", time_to="17:00")
    assert res["status"] == "rejected" and res["problem"]["code"] == "not_team_leader"
    res = team.lead.do("schedule.set", visit_id=team.visit_id, date="2026-12-16", time_from="17:00", time_to="14:30")
    assert res["status"] == "rejected" and res["problem"]["code"] == "validation_failed"
    team.lead.ok("schedule.set", visit_id=team.visit_id, date="2026-12-16", time_from="14:30", time_to="17:00")
    before = member.cursor
    body = member.pull()
    assert body["reset"] is False and member.cursor != before
    sched = member.visit(team.visit_id)["schedule"]
    assert (sched["date"], sched["time_from"], sched["time_to"]) == ("2026-12-16", "14:30", "17:00")
