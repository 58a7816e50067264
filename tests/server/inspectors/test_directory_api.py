"""Keeping the directory through the API: create, change, deactivate, search, scoping."""
from __future__ import annotations

import datetime as dt

from server.types import local_today
from tests.support.http import assert_problem

BASE = "/api/v1/inspectors"


def _body(dept_id, **over):
    body = {"name": "赵立新", "phone": "13912345678", "department_id": dept_id, "cert_no": "14090020251234",
            "cert_valid_from": "2025-03-01", "cert_valid_until": "2031-12-31", "post": "综合行政执法队队员",
            "kind": "specialist", "qualification_tags": ["食品安全执法", " 特种设备安全监察 ", "食品安全执法"],
            "expertise_tags": ["电梯"]}
    body.update(over)
    return body


def test_create_read_update_with_audit(client, login, ids, audit_entries):
    h = login("scjg-admin")
    r = client.post(BASE, headers=h, json=_body(ids["dept"]["scjg"]))
    assert r.status_code == 201, r.get_json()
    insp = r.get_json()
    # Tags are trimmed, de-duplicated and sorted.
    assert insp["qualification_tags"] == ["特种设备安全监察", "食品安全执法"]
    assert insp["department"]["code"] == "scjg" and insp["user_id"] is None
    assert insp["cert_status"] == "valid" and insp["active"] is True
    assert client.get(f"{BASE}/{insp['id']}", headers=login("scjg-leader")).get_json()["name"] == "赵立新"

    r = client.patch(f"{BASE}/{insp['id']}", headers=h, json={"post": "特种设备安全监察科科长",
                                                             "qualification_tags": ["特种设备安全监察", "无人机巡查"]})
    assert r.status_code == 200
    assert r.get_json()["qualification_tags"] == ["无人机巡查", "特种设备安全监察"]  # unknown tags are fine

    (created,) = audit_entries("inspector.create", insp["id"])
    assert created["name"] == "赵立新" and created["cert_no"] == "14090020251234"
    assert created["phone"] == "139****5678"  # the audit log keeps no phone numbers in clear
    (changed,) = audit_entries("inspector.update", insp["id"])
    assert changed == {"post": "特种设备安全监察科科长", "qualification_tags": ["无人机巡查", "特种设备安全监察"]}
    # A PATCH that changes nothing writes nothing.
    client.patch(f"{BASE}/{insp['id']}", headers=h, json={"post": "特种设备安全监察科科长"})
    assert len(audit_entries("inspector.update", insp["id"])) == 1


def test_validation_messages(client, login, ids):
    h, scjg = login("scjg-admin"), ids["dept"]["scjg"]
    r = client.post(BASE, headers=h, json=_body(scjg, cert_valid_from="2030-01-01", cert_valid_until="2029-12-31"))
    body = assert_problem(r, 422, "dates_reversed")
    assert body["errors"][0]["field"] == "cert_valid_until"
    assert "截止日期早于起始日期" in body["detail"]
    r = client.post(BASE, headers=h, json=_body(scjg, qualification_tags=["食品安全执法", "   "]))
    body = assert_problem(r, 422, "validation_failed")
    assert "标签不能为空白。" in [e["message"] for e in body["errors"]]
    assert_problem(client.post(BASE, headers=h, json=_body(scjg, cert_valid_until=None)), 422, "cert_dates_required")
    assert_problem(client.post(BASE, headers=h, json=_body(scjg, cert_no=None)), 422, "cert_no_required")
    assert_problem(client.post(BASE, headers=h, json=_body(scjg, cert_no="证号")), 422, "bad_cert_no")
    assert_problem(client.post(BASE, headers=h, json=_body(scjg, kind="expert")), 422, "validation_failed")
    # Experts name their organisation and have no account; staff have no organisation.
    assert_problem(client.post(BASE, headers=h, json=_body(scjg, is_expert=True)), 422, "expert_org_required")
    r = client.post(BASE, headers=h, json=_body(scjg, is_expert=True, expert_org="山西大学", expert_org_type="university",
                                                user_id=ids["user"]["scjg-reviewer"]))
    assert_problem(r, 422, "expert_has_no_account")
    assert_problem(client.post(BASE, headers=h, json=_body(scjg, expert_org="山西大学")), 422, "not_an_expert")
    # The linked account belongs to the same department and to one inspector only.
    assert_problem(client.post(BASE, headers=h, json=_body(scjg, user_id=ids["user"]["sthj-reviewer"])),
                   422, "user_other_department")
    assert_problem(client.post(BASE, headers=h, json=_body(scjg, user_id=ids["user"]["scjg-insp1"])),
                   409, "user_already_linked")
    assert_problem(client.post(BASE, headers=h, json=_body(scjg, department_id=999999)), 422, "department_not_found")
    # Certificate numbers are unique, compared after normalising full-width input.
    assert client.post(BASE, headers=h, json=_body(scjg)).status_code == 201
    body = assert_problem(client.post(BASE, headers=h, json=_body(scjg, name="钱多多", cert_no="１４０９００２０２５１２３４")),
                          409, "cert_no_taken")
    assert "14090020251234" in body["detail"]


def test_department_boundaries(client, login, ids):
    scjg, sthj = ids["dept"]["scjg"], ids["dept"]["sthj"]
    admin = login("scjg-admin")
    assert_problem(client.post(BASE, headers=admin, json=_body(sthj)), 403, "other_department")
    assert_problem(client.patch(f"{BASE}/{ids['insp']['scjg-insp3']}", headers=admin, json={"department_id": sthj}),
                   403, "other_department")
    # Another department's inspector is invisible: 404 for reading and for writing.
    assert_problem(client.get(f"{BASE}/{ids['insp']['sthj-insp1']}", headers=admin), 404, "inspector_not_found")
    assert_problem(client.patch(f"{BASE}/{ids['insp']['sthj-insp1']}", headers=admin, json={"post": "x"}),
                   404, "inspector_not_found")
    # The office moves an expert (no account) but not staff away from their account's department.
    office = login("office")
    expert = ids["experts"]["忻州师范学院"]
    r = client.patch(f"{BASE}/{expert}", headers=office, json={"department_id": ids["dept"]["wsjk"]})
    assert r.status_code == 200 and r.get_json()["department"]["code"] == "wsjk"
    assert_problem(client.patch(f"{BASE}/{ids['insp']['scjg-insp3']}", headers=office, json={"department_id": sthj}),
                   422, "user_other_department")
    assert client.get(f"{BASE}/{ids['insp']['scjg-insp3']}", headers=office).get_json()["department_id"] == scjg


def test_inspectors_see_only_themselves(client, login, ids):
    h = login("scjg-insp1")
    me = client.get(f"{BASE}/me", headers=h)
    assert me.status_code == 200 and me.get_json()["id"] == ids["insp"]["scjg-insp1"]
    assert client.get(f"{BASE}/{ids['insp']['scjg-insp1']}", headers=h).status_code == 200
    assert_problem(client.get(f"{BASE}/{ids['insp']['scjg-insp2']}", headers=h), 404, "inspector_not_found")
    assert_problem(client.get(BASE, headers=h), 403, "role_required")
    assert_problem(client.get(f"{BASE}/me", headers=login("scjg-leader")), 404, "inspector_not_found")


def test_deactivate_and_reactivate(client, login, ids, audit_entries):
    h, target = login("scjg-admin"), ids["insp"]["scjg-insp5"]
    r = client.post(f"{BASE}/{target}/deactivate", headers=h, json={"reason": "调离执法岗位"})
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert_problem(client.post(f"{BASE}/{target}/deactivate", headers=h, json={"reason": "调离执法岗位"}),
                   409, "inspector_state_unchanged")
    active = client.get(f"{BASE}?active=true&limit=500", headers=h).get_json()["items"]
    inactive = client.get(f"{BASE}?active=false&limit=500", headers=h).get_json()["items"]
    assert target not in {i["id"] for i in active} and [i["id"] for i in inactive] == [target]
    assert client.post(f"{BASE}/{target}/reactivate", headers=h, json={"reason": "回到执法岗位"}).get_json()["active"]
    assert audit_entries("inspector.deactivate", target) == [{"reason": "调离执法岗位"}]
    assert audit_entries("inspector.reactivate", target) == [{"reason": "回到执法岗位"}]


def _names(client, h, query):
    r = client.get(f"{BASE}?limit=500&{query}", headers=h)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"]


def test_search_filters(client, login, ids):
    office, scjg = login("office"), ids["dept"]["scjg"]
    # Chinese tags inside JSON lists are matched exactly on both databases.
    holders = _names(client, office, "qualification=特种设备安全监察")
    assert {i["id"] for i in holders} == {ids["insp"]["scjg-insp1"], ids["insp"]["scjg-insp4"]}
    assert _names(client, office, "qualification=特种设备") == []
    assert {i["id"] for i in _names(client, office, "expertise=电梯")} == {ids["insp"]["scjg-insp2"]}
    experts = _names(client, office, "is_expert=true")
    assert len(experts) == 4 and all(e["user_id"] is None for e in experts)
    specialists = _names(client, office, f"kind=specialist&department_id={scjg}&is_expert=false")
    assert {i["id"] for i in specialists} == {ids["insp"]["scjg-insp1"], ids["insp"]["scjg-insp4"]}
    # scjg-insp6 is on leave this month (demo data).
    today = local_today()
    away = _names(client, office, f"department_id={scjg}&available_from={today}&available_to={today}")
    assert ids["insp"]["scjg-insp6"] not in {i["id"] for i in away} and len(away) == 7
    r = client.get(f"{BASE}?available_from={today}", headers=office)
    assert_problem(r, 422, "validation_failed")
    r = client.get(f"{BASE}?available_from={today}&available_to={today - dt.timedelta(days=1)}", headers=office)
    assert_problem(r, 422, "validation_failed")
    name = client.get(f"{BASE}/{ids['insp']['wsjk-insp2']}", headers=office).get_json()["name"]
    assert [i["id"] for i in _names(client, office, f"q={name}")] == [ids["insp"]["wsjk-insp2"]]
    assert _names(client, office, "q=%25") == []  # LIKE wildcards are searched literally


def test_certificates_to_renew(client, login, ids):
    office = login("office")
    due = _names(client, office, "cert_expiring_within=30")
    # One runs out in 20 days, one ran out last month (demo data); both need renewing.
    assert {i["id"]: i["cert_status"] for i in due} == {ids["insp"]["sthj-insp5"]: "expiring",
                                                         ids["insp"]["wl-insp6"]: "expired"}
    assert {i["id"] for i in _names(client, office, "cert_expiring_within=0")} == {ids["insp"]["wl-insp6"]}
    # A department admin sees only their own department's renewals.
    assert [i["id"] for i in _names(client, login("sthj-admin"), "cert_expiring_within=30")] == [ids["insp"]["sthj-insp5"]]


def test_listing_is_scoped_and_paginated(client, login, ids):
    leader = login("scjg-leader")
    seen, cursor = [], None
    while True:
        r = client.get(f"{BASE}?limit=3" + (f"&cursor={cursor}" if cursor else ""), headers=leader).get_json()
        seen += [i["id"] for i in r["items"]]
        cursor = r["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 8 and seen == sorted(seen)  # 6 staff + 2 experts of scjg
    assert _names(client, leader, f"department_id={ids['dept']['sthj']}") == []
    everyone = _names(client, login("auditor"), "")
    assert len(everyone) == 40 and {i["department"]["code"] for i in everyone} == {"scjg", "sthj", "wsjk", "yjgl", "sw", "wl"}
    assert_problem(client.get(f"{BASE}?cursor=bm90LWEtbGlzdA", headers=leader), 400, "invalid_cursor")
