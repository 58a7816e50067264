"""A documentary check done at the back office's desk (server/visits/desk_check.py): who may,
what it needs, nothing half-written on bad input, sealed like a phone's record, and the result
deadline counted from the day of the desk review."""
from __future__ import annotations

import base64
import datetime as dt
import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.review.models import Review
from server.types import local_today
from server.visits.models import Visit, VisitRecord
from server.visits.verification import check_record
from tests.server.visits.team import team_of
from tests.support.field import image_bytes
from tests.support.http import assert_problem

VALUES = {"pass_fail_na": "pass", "number": "4.5", "text": "材料齐全"}


def _answers(form: dict, value: str | None = None) -> list[dict]:
    return [{"item_id": i["item_id"], "checkpoint_key": c["key"], "note": None,
             "value": value or VALUES.get(c["answer_type"]) or (c["choices"] or ["x"])[0]}
            for i in form["items"] for c in i["checkpoints"]]


def _day(form: dict) -> dt.date:
    today = local_today()
    start = dt.date.fromisoformat(form["window_start"])
    return max(start, today - dt.timedelta(days=3))


def _body(form: dict, **over) -> dict:
    body = {"documents_received": "营业执照复印件 1 份、进货查验记录 12 页（12 月 1 日提交）", "reviewed_by": "王晓明、李静",
            "review_date": _day(form).isoformat(), "answers": _answers(form), "findings": [], "codes": ["1"],
            "followup": "none",
            "scans": [{"content_type": "image/png", "data": base64.b64encode(image_bytes("scan-1")).decode()}]}
    body.update(over)
    return body


def _untouched(dbs, vid):
    with dbs() as s:
        assert s.get(Visit, vid).status == "not_started" and s.get(VisitRecord, vid) is None


def test_the_desk_does_a_documentary_check_and_seals_it(client, login, dbs, runner):
    team = team_of(client, login("office"))
    vid = team.visit_id
    desk, url = login("scjg-reviewer"), f"/api/v1/visits/{vid}/desk-check"
    # Not a documentary check yet: refused, and not listed.
    assert_problem(client.get(url, headers=desk), 409, "method_not_planned")
    assert vid not in [r["visit_id"] for r in client.get("/api/v1/visits/desk-checks", headers=desk).get_json()]
    team.lead.plan_method(vid, "documentary")
    assert vid in [r["visit_id"] for r in client.get("/api/v1/visits/desk-checks", headers=desk).get_json()]
    form = client.get(url, headers=desk).get_json()
    assert form["items"] and all(i["checkpoints"] for i in form["items"])
    # Only the plan's department's desk staff.
    assert_problem(client.get(url, headers=login("yjgl-reviewer")), 403, "not_desk_staff")
    assert_problem(client.post(url, headers=team.lead.headers, json=_body(form)), 403, "not_desk_staff")
    assert_problem(client.post(url, headers=login("sthj-admin"), json=_body(form)), 404, "visit_not_found")
    assert client.get("/api/v1/visits/desk-checks", headers=team.lead.headers).get_json() == []
    # Bad input: refused with a stable code, nothing written.
    future = (local_today() + dt.timedelta(days=1)).isoformat()
    assert_problem(client.post(url, headers=desk, json=_body(form, review_date=future)), 422, "check_date_in_future")
    assert_problem(client.post(url, headers=desk, json=_body(form, answers=_answers(form)[1:])), 422, "evidence_required")
    bad = _answers(form)
    bad[0]["value"] = "maybe" if form["items"][0]["checkpoints"][0]["answer_type"] == "pass_fail_na" else "x" * 3000
    assert_problem(client.post(url, headers=desk, json=_body(form, answers=bad)), 422, "validation_failed")
    stray = _answers(form) + [{"item_id": 999999, "checkpoint_key": "nope", "value": "pass"}]
    assert_problem(client.post(url, headers=desk, json=_body(form, answers=stray)), 422, "validation_failed")
    body = assert_problem(client.post(url, headers=desk, json=_body(form, findings=[{"description": "进货查验记录缺 11 月 3 日"}])),
                          422, "result_inconsistent")
    assert "未发现问题" in body["detail"]
    assert_problem(client.post(url, headers=desk, json=_body(form, codes=["8"])), 422, "validation_failed")
    assert_problem(client.post(url, headers=desk, json=_body(form, scans=[{"content_type": "image/png", "data": "%%%%"}])),
                   422, "validation_failed")
    assert_problem(client.post(url, headers=desk, json=_body(form, reviewed_by="")), 422, "validation_failed")
    _untouched(dbs, vid)

    r = client.post(url, headers=desk, json=_body(form, codes=["A"], followup="rectify",
                                                  findings=[{"description": "进货查验记录缺 11 月 3 日的票据", "legal_basis": None}]))
    assert r.status_code == 201, r.get_json()
    day = _day(form)
    assert r.get_json()["check_ended_on"] == day.isoformat()
    with dbs() as s:
        visit, rec = s.get(Visit, vid), s.get(VisitRecord, vid)
        assert visit.status == "sealed" and rec.method == "documentary" and rec.check_ended_on == day
        assert check_record(visit, rec) is None
        reviews = s.execute(select(Review).where(Review.visit_id == vid)).scalars().all()
        assert reviews and all(rv.check_ended_on == day for rv in reviews)  # the deadline counts from the desk review
        actions = [e.action for e in s.execute(select(AuditEntry).where(AuditEntry.target_id == vid)).scalars()]
        assert "visit.desk_check" in actions and "visit.seal" in actions
    detail = client.get(f"/api/v1/reviews/{vid}", headers=desk).get_json()
    assert detail["binding_verified"] is True
    record = client.get(f"/api/v1/visits/{vid}", headers=desk).get_json()["record"]
    assert record["method_details"]["reviewed_by"] == "王晓明、李静"
    assert [s["role"] for s in record["signatures"]] == ["desk_reviewer"]
    assert [m["target"]["type"] for m in record["media"]] == ["method"]
    pdf = client.get(f"/api/v1/reviews/{vid}/record.pdf", headers=desk)
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    assert "书面检查" in text and "审查人员" in text and "王晓明、李静" in text and "后台书面审查人员" in text
    # Done: the desk cannot do it twice, the phones cannot change it.
    assert_problem(client.post(url, headers=desk, json=_body(form)), 409, "visit_started")
    res = team.lead.do("visit.present", visit_id=vid, inspector_ids=[team.visit["team"][0]["inspector_id"]])
    assert res["status"] == "rejected" and res["problem"]["code"] == "record_sealed"
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_the_desk_cannot_take_over_a_started_visit(client, login, dbs):
    team = team_of(client, login("office"), index=1)
    vid = team.visit_id
    team.lead.plan_method(vid, "documentary")
    team.lead.ok("visit.present", visit_id=vid, inspector_ids=[team.visit["team"][0]["inspector_id"]])
    assert_problem(client.get(f"/api/v1/visits/{vid}/desk-check", headers=login("scjg-admin")), 409, "visit_started")
    assert vid not in [r["visit_id"] for r in client.get("/api/v1/visits/desk-checks", headers=login("scjg-admin")).get_json()]
