"""Leave and conflict-of-interest declarations: the inspector's own path and the admins'."""
from __future__ import annotations

import pytest

from server.identifiers import make_credit_code
from tests.support.http import assert_problem

BASE = "/api/v1/inspectors"
CODE = make_credit_code("91140981MA0L2B3C4")  # a 原平市 enterprise


@pytest.fixture
def seed_level():
    """Conflict declarations name real objects of the directory (the "field" demo data)."""
    return "field"


def _leave(start, end, reason="leave", note=None):
    return {"start_date": start, "end_date": end, "reason": reason, "note": note}


def test_inspector_records_own_leave(client, login, ids, audit_entries):
    me, h = ids["insp"]["scjg-insp1"], login("scjg-insp1")
    r = client.post(f"{BASE}/{me}/unavailability", headers=h, json=_leave("2031-05-01", "2031-05-07", note="探亲假"))
    assert r.status_code == 201, r.get_json()
    period = r.get_json()
    assert period["created_by"] == ids["user"]["scjg-insp1"] and period["inspector_id"] == me
    # Colleagues' records are invisible to an inspector; leaders see but do not write.
    colleague = ids["insp"]["scjg-insp2"]
    assert_problem(client.post(f"{BASE}/{colleague}/unavailability", headers=h, json=_leave("2031-06-01", "2031-06-02")),
                   404, "inspector_not_found")
    leader = login("scjg-leader")
    assert [p["id"] for p in client.get(f"{BASE}/{me}/unavailability", headers=leader).get_json()] == [period["id"]]
    assert_problem(client.post(f"{BASE}/{me}/unavailability", headers=leader, json=_leave("2031-06-01", "2031-06-02")),
                   403, "not_self_or_admin")
    # Overlaps, reversed dates and unexplained "other" are refused in Chinese.
    body = assert_problem(client.post(f"{BASE}/{me}/unavailability", headers=h, json=_leave("2031-05-07", "2031-05-09")),
                          409, "unavailability_overlap")
    assert "2031-05-01至2031-05-07" in body["detail"]
    body = assert_problem(client.post(f"{BASE}/{me}/unavailability", headers=h, json=_leave("2031-07-02", "2031-07-01")),
                          422, "dates_reversed")
    assert body["detail"] == "结束日期不能早于开始日期。"
    assert_problem(client.post(f"{BASE}/{me}/unavailability", headers=h, json=_leave("2031-08-01", "2031-08-02", "other")),
                   422, "note_required")
    assert_problem(client.post(f"{BASE}/{me}/unavailability", headers=h, json=_leave("2031-01-01", "2035-01-01")),
                   422, "period_too_long")
    # The department admin records sick leave for the inspector; the inspector deletes a period.
    admin = login("scjg-admin")
    assert client.post(f"{BASE}/{me}/unavailability", headers=admin,
                       json=_leave("2031-09-01", "2031-09-03", "sick")).status_code == 201
    assert_problem(client.delete(f"{BASE}/{colleague}/unavailability/{period['id']}", headers=admin),
                   404, "unavailability_not_found")
    assert client.delete(f"{BASE}/{me}/unavailability/{period['id']}", headers=h).status_code == 204
    remaining = client.get(f"{BASE}/{me}/unavailability", headers=h).get_json()
    assert [(p["start_date"], p["reason"]) for p in remaining] == [("2031-09-01", "sick")]
    assert audit_entries("inspector.unavailability_delete", period["id"]) == [
        {"inspector_id": me, "start_date": "2031-05-01", "end_date": "2031-05-07", "reason": "leave", "note": "探亲假"}]


def test_inspector_declares_own_conflict(client, login, ids, audit_entries):
    me, h = ids["insp"]["scjg-insp1"], login("scjg-insp1")
    # Input as people type it: lower case, spaces; stored normalised.
    typed = f"{CODE[:6].lower()} {CODE[6:]}"
    r = client.post(f"{BASE}/{me}/conflicts", headers=h, json={"credit_code": typed, "reason": "本人曾在该企业任职"})
    assert r.status_code == 201, r.get_json()
    c = r.get_json()
    assert c["credit_code"] == CODE and c["declared_by"] == ids["user"]["scjg-insp1"] and c["valid_until"] is None
    assert audit_entries("inspector.conflict_declare", c["id"])[0]["credit_code"] == CODE
    assert_problem(client.post(f"{BASE}/{me}/conflicts", headers=h, json={"credit_code": CODE, "reason": "重复申报"}),
                   409, "conflict_already_declared")
    # A bad credit code names the faulty character.
    wrong = CODE[:17] + ("0" if CODE[17] != "0" else "1")
    body = assert_problem(client.post(f"{BASE}/{me}/conflicts", headers=h, json={"credit_code": wrong, "reason": "亲属"}),
                          422, "bad_credit_code")
    assert "第18位校验码应为" in body["detail"] and body["errors"][0]["field"] == "credit_code"
    body = assert_problem(client.post(f"{BASE}/{me}/conflicts", headers=h,
                                      json={"credit_code": "91140902MA0K3Q7RSX", "reason": "亲属"}), 422, "bad_credit_code")
    assert "第17位字符“S”" in body["detail"]
    assert_problem(client.post(f"{BASE}/{me}/conflicts", headers=h, json={"reason": "亲属"}), 422, "conflict_target_required")
    assert_problem(client.post(f"{BASE}/{me}/conflicts", headers=h,
                               json={"object_id": 7, "reason": "亲属", "valid_from": "2031-01-02", "valid_until": "2031-01-01"}),
                   422, "dates_reversed")
    # An inspector cannot declare a conflict for a colleague: the colleague is invisible.
    colleague = ids["insp"]["scjg-insp2"]
    assert_problem(client.post(f"{BASE}/{colleague}/conflicts", headers=h, json={"object_id": 7, "reason": "替同事申报"}),
                   404, "inspector_not_found")
    # Withdrawn, not deleted; a second withdrawal is refused.
    r = client.post(f"{BASE}/{me}/conflicts/{c['id']}/withdraw", headers=h, json={"reason": "已从该企业离职满三年"})
    assert r.status_code == 200 and r.get_json()["withdrawn_at"] and r.get_json()["withdraw_reason"] == "已从该企业离职满三年"
    assert_problem(client.post(f"{BASE}/{me}/conflicts/{c['id']}/withdraw", headers=h, json={"reason": "再撤"}),
                   409, "conflict_already_withdrawn")
    assert audit_entries("inspector.conflict_withdraw", c["id"]) == [{"inspector_id": me, "reason": "已从该企业离职满三年"}]
    listed = client.get(f"{BASE}/{me}/conflicts", headers=h).get_json()
    assert [x["id"] for x in listed] == [c["id"]]
    assert client.get(f"{BASE}/{me}/conflicts?include_withdrawn=false", headers=h).get_json() == []
    # Withdrawn, the same target may be declared again.
    assert client.post(f"{BASE}/{me}/conflicts", headers=h, json={"credit_code": CODE, "reason": "又去兼职"}).status_code == 201


def test_admin_declared_conflicts_are_the_admins_to_withdraw(client, login, ids):
    me, h, admin = ids["insp"]["scjg-insp1"], login("scjg-insp1"), login("scjg-admin")
    r = client.post(f"{BASE}/{me}/conflicts", headers=admin, json={"object_id": 1203, "reason": "举报反映其亲属经营该店"})
    assert r.status_code == 201 and r.get_json()["declared_by"] == ids["user"]["scjg-admin"]
    cid = r.get_json()["id"]
    assert_problem(client.post(f"{BASE}/{me}/conflicts/{cid}/withdraw", headers=h, json={"reason": "不属实"}),
                   403, "declared_by_admin")
    assert client.post(f"{BASE}/{me}/conflicts/{cid}/withdraw", headers=admin, json={"reason": "经核实不属实"}).status_code == 200
    # Experts have no account: the admin declares for them.
    expert = ids["experts"]["山西省食品药品检验所"]
    assert client.post(f"{BASE}/{expert}/conflicts", headers=admin,
                       json={"object_id": 88, "reason": "该所曾为该企业出具检验报告"}).status_code == 201


def test_who_reads_conflict_declarations(client, login, ids):
    me = ids["insp"]["scjg-insp1"]
    client.post(f"{BASE}/{me}/conflicts", headers=login("scjg-insp1"), json={"object_id": 42, "reason": "同学开办"})
    for who in ("scjg-admin", "office", "auditor", "scjg-insp1"):
        assert [c["object_id"] for c in client.get(f"{BASE}/{me}/conflicts", headers=login(who)).get_json()] == [42], who
    assert_problem(client.get(f"{BASE}/{me}/conflicts", headers=login("scjg-leader")), 403, "conflicts_restricted")
    assert_problem(client.get(f"{BASE}/{me}/conflicts", headers=login("sthj-admin")), 404, "inspector_not_found")
    # The directory-wide listing: own department for admins, everything for office and auditors.
    scjg = client.get(f"{BASE}/conflicts", headers=login("scjg-admin")).get_json()["items"]
    assert sorted((c["inspector_id"], c["object_id"]) for c in scjg) == [(me, 42), (ids["insp"]["scjg-insp2"], None)]
    assert client.get(f"{BASE}/conflicts", headers=login("sthj-admin")).get_json()["items"] == []
    demo = make_credit_code("91140902MA0K3Q7R2")
    found = client.get(f"{BASE}/conflicts?credit_code={demo.lower()}", headers=login("auditor")).get_json()["items"]
    assert [c["inspector_id"] for c in found] == [ids["insp"]["scjg-insp2"]]
    assert [c["inspector_id"] for c in client.get(f"{BASE}/conflicts?object_id=42", headers=login("office")).get_json()["items"]] == [me]
