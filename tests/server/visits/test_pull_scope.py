"""Pull is scoped to the caller's view: the day's package, `del` when a visit leaves
the view, `reset` for an unknown or too-old cursor, and the limits advertised."""
from __future__ import annotations

from server.extensions import db
from server.settings import set_setting
from sync.changes import current_seq
from tests.server.visits.team import answer_args, team_of
from tests.support.field import Phone, phone_time
from tests.support.http import assert_problem


def test_first_pull_is_the_whole_offline_package(client, login):
    phone = Phone(client, "scjg-insp1")
    body = phone.pull()
    assert body["reset"] is True and body["more"] is False
    assert body["limits"]["max_mutations"] == 100 and body["limits"]["max_body_bytes"] > 0
    kinds = {e for e, _ in phone.entities}
    assert kinds == {"me", "task", "visit"}
    # Only the caller's own visits: every one has them in its active team.
    me = next(d for (e, _), d in phone.entities.items() if e == "me")
    visits = phone.visits()
    assert visits and all(any(m["user_id"] == me["user_id"] for m in v["team"]) for v in visits)
    for v in visits:
        task = phone.task(v["task_id"])  # the task of every visit came in the same pull
        assert v["schedule"]["date"] and v["team"]
        brief = v["object"]
        assert brief["name"] and brief["registered_address"] and "legal_rep_name" in brief
        assert brief["risk_class"] is None  # inspectors do not see the internal credit class
        assert isinstance(brief["previous_results"], list)
        for item in task["items"]:
            assert item["checkpoints"] and item["documents_to_request"]
    assert me["result_codes"] and me["outcomes"] and me["signer_roles"]


def test_unknown_or_too_old_cursor_answers_reset(app, client, login):
    team = team_of(client, login("office"))
    lead = team.lead
    good = lead.cursor
    lead.ok("answer.set", **answer_args(team, "scjg", 0))
    delta = client.get(f"/api/v1/sync/pull?client_id={lead.client_id}&cursor={good}", headers=lead.headers).get_json()
    assert delta["reset"] is False and {c["entity"] for c in delta["changes"]} == {"task", "visit"}
    for bad in ("", "v0.12", "v1.", "v1.-1", "v1.99999999999", "x" * 40):
        body = client.get(f"/api/v1/sync/pull?client_id={lead.client_id}&cursor={bad}", headers=lead.headers).get_json()
        assert body["reset"] is True, bad
        assert {c["entity"] for c in body["changes"]} == {"me", "task", "visit"}
    # The feed was pruned below the phone's cursor: it gets a complete snapshot, not a partial delta.
    with app.app_context():
        set_setting("sync_feed_floor", current_seq(db.session))
        db.session.commit()
    body = client.get(f"/api/v1/sync/pull?client_id={lead.client_id}&cursor={good}", headers=lead.headers).get_json()
    assert body["reset"] is True and team.visit_id in {c["id"] for c in body["changes"] if c["entity"] == "visit"}
    assert assert_problem(client.get(f"/api/v1/sync/pull?client_id={lead.client_id}&limit=5000", headers=lead.headers),
                          422, "validation_failed")


def test_a_replaced_member_gets_del_and_the_newcomer_gets_the_visit(client, login):
    team = team_of(client, login("office"))
    gone = team.phones["yjgl"]
    member = next(m for m in team.visit["team"] if m["department_code"] == "yjgl")
    # Every other yjgl inspector's phone is up to date before the change (the draw picks the newcomer).
    inside = {m["user_id"] for m in team.visit["team"]}
    others = {uid: Phone(client, u) for uid, u in team.names.items() if u.startswith("yjgl-insp") and uid not in inside}
    for p in others.values():
        p.pull()
        assert team.visit_id not in {v["id"] for v in p.visits()}
    gone.pull()
    assert team.visit_id in {v["id"] for v in gone.visits()}

    r = client.post(f"/api/v1/draws/{team.visit['task_id']}/replacements", headers=login("yjgl-admin"),
                    json={"object_id": team.visit["object"]["id"], "inspector_id": member["inspector_id"],
                          "reason_code": "health", "reason": "因病住院"})
    assert r.status_code == 201, r.get_json()
    r = client.post(f"/api/v1/draws/{team.visit['task_id']}/events/{r.get_json()['id']}/decision",
                    headers=login("yjgl-leader"), json={"approve": True, "note": "同意"})
    assert r.status_code == 200, r.get_json()

    body = gone.pull()
    assert body["reset"] is False
    assert ("visit", team.visit_id, "del") in {(c["entity"], c["id"], c["op"]) for c in body["changes"]}
    assert team.visit_id not in {v["id"] for v in gone.visits()}
    res = gone.do("answer.set", **answer_args(team, "yjgl", 0))
    assert res["status"] == "rejected" and res["problem"]["code"] == "not_in_team"

    team.lead.pull()
    new_member = next(m for m in team.lead.visit(team.visit_id)["team"] if m["department_code"] == "yjgl")
    assert new_member["inspector_id"] != member["inspector_id"]
    newcomer = others[new_member["user_id"]]
    body = newcomer.pull()
    assert body["reset"] is False
    v = newcomer.visit(team.visit_id)
    assert newcomer.task(v["task_id"])["items"]
    assert newcomer.do("answer.set", **answer_args(team, "yjgl", 0))["status"] == "applied"
    # The rest of the team sees the new member on their next pull.
    assert {m["inspector_id"] for m in team.lead.visit(team.visit_id)["team"]} == {m["inspector_id"] for m in v["team"]}


def test_changes_reach_only_the_team(client, login):
    team = team_of(client, login("office"))
    stranger = Phone(client, team.outsider("scjg"))
    stranger.pull()
    cursor = stranger.cursor
    arrived = phone_time(30)
    team.lead.ok("visit.arrive", visit_id=team.visit_id, at=arrived, gps=None, method="onsite")
    body = client.get(f"/api/v1/sync/pull?client_id={stranger.client_id}&cursor={cursor}", headers=stranger.headers).get_json()
    assert body["changes"] == [] and body["reset"] is False
    for phone in team.phones.values():
        before = phone.cursor
        body = phone.pull()
        assert body["reset"] is False and phone.cursor != before
        assert phone.visit(team.visit_id)["record"]["arrival"]["at"] == arrived
