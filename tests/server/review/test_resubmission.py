"""The team's amendment answering a return or an evidence request puts the record back in the
reviewer's pending queue, marked as amended, with the send-back and the resubmission on record
and the result-entry deadline unchanged (it runs from the end of the check, Art. 20(3))."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import text

from server.review.models import Review
from tests.support.field import complete_inspection


@pytest.fixture
def seed_level():
    return "field"


def _pending(client, rev) -> dict[str, dict]:
    return {r["visit_id"]: r for r in client.get("/api/v1/reviews?status=pending", headers=rev).get_json()}


def _amend(lead, vid: str, reason: str) -> str:
    aid = str(uuid.uuid4())
    lead.pull()
    lead.ok("amendment.add", visit_id=vid, amendment_id=aid, reason=reason,
            patch=[{"op": "replace", "path": "/answers/0/note", "value": reason}])
    return aid


def _scjg(dbs) -> int:
    with dbs() as s:
        return s.execute(text("SELECT id FROM departments WHERE code = 'scjg'")).scalar_one()


def _entries(dbs, vid: str) -> list[tuple[str, dict, int | None]]:
    with dbs() as s:
        rows = s.execute(text("SELECT action, payload, actor_user_id FROM audit_entries WHERE target_id = :v ORDER BY seq"),
                         {"v": vid}).all()
    return [(a, json.loads(p)["data"], actor) for a, p, actor in rows]


def test_amendment_after_a_send_back_puts_the_record_back_in_the_pending_queue(client, login, dbs, runner):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = complete_inspection(client, office)
    vid, lead = ctx["visit_id"], ctx["lead"]
    assert _pending(client, rev)[vid]["amended_since_sent_back"] is False
    # A deadline already past: the resubmission must not move it.
    due = dt.date.today() - dt.timedelta(days=2)
    with dbs() as s:
        s.execute(text("UPDATE reviews SET due_on = :d WHERE visit_id = :v"), {"d": due, "v": vid})
        s.commit()

    r = client.post(f"/api/v1/reviews/{vid}/return", headers=rev,
                    json={"comments": [{"target": "general", "text": "请补充说明检查方法"}]})
    assert r.status_code == 200 and r.get_json()["status"] == "returned"
    assert vid not in _pending(client, rev)

    # The team sees the comment on its phone and answers with an amendment through sync.
    lead.pull()
    assert [c["text"] for c in lead.visit(vid)["record"]["review_comments"]] == ["请补充说明检查方法"]
    first = _amend(lead, vid, "按审核意见补充：查阅台账并现场核对")

    row = _pending(client, rev)[vid]
    assert row["status"] == "pending" and row["status_label"] == "待审核"
    assert row["amended_since_sent_back"] is True and row["returned_count"] == 1
    assert row["due_on"] == due.isoformat() and row["deadline_state"] == "overdue"
    detail = client.get(f"/api/v1/reviews/{vid}", headers=rev).get_json()
    assert detail["review"]["status"] == "pending" and detail["review"]["amended_since_sent_back"] is True
    assert detail["review"]["due_on"] == due.isoformat()
    assert [(c["round"], c["kind"], c["text"]) for c in detail["comments"]] == [(1, "return", "请补充说明检查方法")]
    trail = [e["action"] for e in detail["audit_trail"]]
    assert trail.index("review.return") < trail.index("visit.amendment") < trail.index("review.resubmit")
    lead_uid = next(i for i, u in ctx["names"].items() if u == lead.username)
    resubmits = [(data, actor) for action, data, actor in _entries(dbs, vid) if action == "review.resubmit"]
    assert resubmits == [({"department_id": _scjg(dbs), "round": 1, "from_status": "returned", "amendment": first},
                          lead_uid)]

    # Second round: more evidence is asked for; the earlier amendment does not answer it.
    r = client.post(f"/api/v1/reviews/{vid}/request-evidence", headers=rev,
                    json={"comments": [{"target": "general", "text": "请补充店内全景照片"}]})
    assert r.get_json()["status"] == "evidence_requested" and r.get_json()["amended_since_sent_back"] is False
    assert vid not in _pending(client, rev)
    second = _amend(lead, vid, "补充说明：全景照片见执法记录仪截图")
    row = _pending(client, rev)[vid]
    assert row["amended_since_sent_back"] is True and row["returned_count"] == 2 and row["due_on"] == due.isoformat()
    assert [d["from_status"] for a, d, _ in _entries(dbs, vid) if a == "review.resubmit"] == ["returned", "evidence_requested"]
    assert [d["amendment"] for a, d, _ in _entries(dbs, vid) if a == "review.resubmit"] == [first, second]

    # From the queue the reviewer decides as usual; entered late, as the deadline says.
    r = client.post(f"/api/v1/reviews/{vid}/approve", headers=rev)
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    with dbs() as s:
        assert s.get(Review, (vid, _scjg(dbs))).entered_on_time is False
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_amendments_without_a_send_back_leave_the_review_alone(client, login, dbs):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = complete_inspection(client, office)
    vid, lead = ctx["visit_id"], ctx["lead"]
    # Pending, never sent back: still pending, not marked, nothing resubmitted.
    _amend(lead, vid, "出示证件时间更正说明")
    row = _pending(client, rev)[vid]
    assert row["amended_since_sent_back"] is False and row["returned_count"] == 0
    # Approved: an amendment does not reopen the review.
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rev).status_code == 200
    _amend(lead, vid, "审核通过后的补正说明")
    assert vid not in _pending(client, rev)
    assert client.get(f"/api/v1/reviews/{vid}", headers=rev).get_json()["review"]["status"] == "approved"
    assert [a for a, _, _ in _entries(dbs, vid) if a == "review.resubmit"] == []
