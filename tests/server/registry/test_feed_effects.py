"""What a feed changes beyond the directory (issue 22), on the "field" demo: the next draw's
candidates, the credit data the draw's weight rule reads, and the open visits of closed objects."""
from __future__ import annotations

import json
import zlib

import pytest
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.draws import snapshot
from server.draws.models import DrawSnapshot
from server.registry.models import InspectionObject, ObjectSubLibrary, SubLibrary
from server.registry.search import scope_select
from server.types import local_today
from server.visits.models import Visit
from tests.server.draws.draw_support import launched
from tests.server.registry.feed_support import jsonl, post
from tests.server.visits.team import team_of


@pytest.fixture
def seed_level():
    return "field"


def _t02_candidates(s) -> list[InspectionObject]:
    """Active enterprises of the special-equipment sub-library: the demo task T02's scope."""
    lib = s.execute(select(SubLibrary.id).where(SubLibrary.code == "special_equipment")).scalar_one()
    return list(s.execute(select(InspectionObject).join(ObjectSubLibrary, ObjectSubLibrary.object_id == InspectionObject.id)
                          .where(ObjectSubLibrary.sub_library_id == lib, InspectionObject.object_type == "enterprise",
                                 InspectionObject.registration_status.in_(["active", "operating"]))
                          .order_by(InspectionObject.id)).scalars())


def test_a_deregistered_object_leaves_the_next_draw_with_its_reason(client, login, dbs):
    with dbs() as s:
        gone, listed = [(o.id, o.credit_code) for o in _t02_candidates(s)[:2]]
    month = local_today().strftime("%Y-%m")
    r = post(client, login("office"), jsonl("e-1", "sxgs", 1, [
        {"kind": "status", "credit_code": gone[1], "status": "deregistered", "date": "2026-12-01", "reason": "注销"},
        {"kind": "list", "credit_code": listed[1], "list": "serious_violation", "action": "enter", "date": "2026-11-20",
         "reason": "列入严重违法失信名单"},
        {"kind": "complaints", "credit_code": listed[1], "period": month, "count": 4}]))
    assert r.status_code == 201 and r.get_json()["applied"] == 3, r.get_json()
    # The credit data stands where the draw reads it (the scope query behind the snapshot).
    with dbs() as s:
        rows = {row.id: row for row in s.execute(scope_select({}, None, ("id", "abnormal_list", "serious_violation_list",
                                                                         "complaint_count")))}
        assert (rows[listed[0]].serious_violation_list, rows[listed[0]].complaint_count) == (True, 4)
    task = launched(client, login)["task"]
    with dbs() as s:
        stored = s.get(DrawSnapshot, task["id"])
        lines = {row["id"]: row for row in map(json.loads, zlib.decompress(stored.content).decode().splitlines())}
    assert lines[snapshot.row_id(gone[0])]["excluded"] == "deregistered"
    assert lines[snapshot.row_id(listed[0])]["excluded"] is None


def test_an_open_visit_of_a_closed_object_is_flagged_to_its_leader(client, login, dbs):
    team = team_of(client, login("office"))
    with dbs() as s:
        visit = s.get(Visit, team.visit_id)
        assert visit.status in ("not_started", "in_progress")
        credit_code = s.get(InspectionObject, visit.object_id).credit_code
    r = post(client, login("office"), jsonl("v-1", "sxgs", 1, [
        {"kind": "status", "credit_code": credit_code, "status": "revoked", "date": "2026-12-02", "reason": "吊销营业执照"}]))
    body = r.get_json()
    assert r.status_code == 201 and body["closed_objects"] == 1 and body["flagged_visits"] >= 1, body
    team.lead.pull()
    flag = team.lead.visit(team.visit_id)["object_closed"]
    assert (flag["status"], flag["on"], flag["batch_id"]) == ("revoked", "2026-12-02", "v-1")
    assert "直接作出检查结果" in flag["note"]
    with dbs() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "visit.object_closed",
                                                   AuditEntry.target_id == team.visit_id)).scalar_one()
        assert json.loads(entry.payload)["data"]["batch_id"] == "v-1"
    # Replaying the batch flags nothing again; a later status of the same kind is no new closure.
    assert post(client, login("office"), jsonl("v-1", "sxgs", 1, [
        {"kind": "status", "credit_code": credit_code, "status": "revoked", "date": "2026-12-02",
         "reason": "吊销营业执照"}])).get_json()["replayed"] is True
    again = post(client, login("office"), jsonl("v-2", "sxgs", 2, [
        {"kind": "status", "credit_code": credit_code, "status": "deregistered"}])).get_json()
    assert again["closed_objects"] == 0 and again["flagged_visits"] == 0
