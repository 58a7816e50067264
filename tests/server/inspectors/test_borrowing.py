"""Same-industry borrowing agreements (Art. 17) through the API."""
from __future__ import annotations

import datetime as dt

import pytest

from server.errors import Invalid
from server.inspectors import service
from tests.support.http import assert_problem

BASE = "/api/v1/inspectors/borrowing"


def _body(lender, start="2031-01-01", end="2031-12-31", reason="专业执法人员不足"):
    return {"lender_department_id": lender, "reason": reason, "valid_from": start, "valid_until": end}


def _pairs(client, h, query=""):
    r = client.get(f"{BASE}?limit=500{query}", headers=h)
    assert r.status_code == 200, r.get_json()
    return [(a["department"]["code"], a["lender"]["code"]) for a in r.get_json()["items"]]


def test_each_party_sees_its_agreements_and_the_office_all(client, login, ids):
    assert _pairs(client, login("wl-admin")) == [("wl", "sw")]  # demo
    assert _pairs(client, login("sw-leader")) == [("wl", "sw")]  # the lender sees it too
    assert _pairs(client, login("sthj-admin")) == []
    demo = client.get(BASE, headers=login("office")).get_json()["items"][0]
    assert demo["reason"] == "同行业执法力量不足"
    assert client.get(f"{BASE}/{demo['id']}", headers=login("auditor")).status_code == 200
    assert_problem(client.get(f"{BASE}/{demo['id']}", headers=login("sthj-admin")), 404, "borrowing_not_found")
    assert_problem(client.get(BASE, headers=login("wl-insp1")), 403, "role_required")


def _share_field(dbs, *codes):
    from sqlalchemy import select

    from server.accounts.models import Department

    with dbs() as s:
        for d in s.execute(select(Department).where(Department.code.in_(codes))).scalars():
            d.industry_tags = [*d.industry_tags, "安全生产"]
        s.commit()


def test_borrower_admin_records_and_either_side_revokes(client, login, ids, dbs, audit_entries):
    h, yjgl, scjg = login("scjg-admin"), ids["dept"]["yjgl"], ids["dept"]["scjg"]
    # Not of one field: refused (Art. 17: 同行业部门).
    assert_problem(client.post(BASE, headers=h, json=_body(yjgl)), 422, "borrow_not_same_field")
    _share_field(dbs, "scjg")  # 应急管理局 lists 安全生产
    r = client.post(BASE, headers=h, json=_body(yjgl))
    assert r.status_code == 201, r.get_json()
    row = r.get_json()
    assert row["department"]["code"] == "scjg" and row["created_by"] == ids["user"]["scjg-admin"]
    assert audit_entries("inspector.borrow_create", row["id"]) == [
        {"department_id": scjg, "lender_department_id": yjgl, "reason": "专业执法人员不足",
         "valid_from": "2031-01-01", "valid_until": "2031-12-31"}]
    assert_problem(client.post(BASE, headers=h, json=_body(yjgl, "2031-06-01", "2032-06-01")), 409, "borrow_exists")
    assert_problem(client.post(BASE, headers=h, json=_body(scjg)), 422, "borrow_from_self")
    assert_problem(client.post(BASE, headers=h, json=_body(yjgl, "2033-02-01", "2033-01-01")), 422, "dates_reversed")
    assert_problem(client.post(BASE, headers=h, json=_body(999999)), 422, "department_not_found")
    assert_problem(client.post(BASE, headers=login("office"), json=_body(yjgl)), 403, "role_required")
    assert _pairs(client, h, "&active_on=2031-05-01") == []  # not in force until the lender consents
    with dbs():
        assert service.lenders_for(scjg, dt.date(2031, 5, 1)) == []
    consent = f"{BASE}/{row['id']}/consent"
    assert_problem(client.post(consent, headers=h, json={}), 403, "not_lender_admin")  # the borrower cannot
    assert_problem(client.post(consent, headers=login("yjgl-leader"), json={}), 403, "role_required")
    assert_problem(client.post(consent, headers=login("sthj-admin"), json={}), 404, "borrowing_not_found")
    assert_problem(client.post(consent, headers=login("yjgl-admin"), json={"note": "x" * 201}), 422)
    assert_problem(client.post(consent, headers=login("yjgl-admin"), json=[]), 422)
    assert_problem(client.post(f"{BASE}/999999/consent", headers=login("yjgl-admin"), json={}), 404,
                   "borrowing_not_found")
    r = client.post(consent, headers=login("yjgl-admin"), json={"note": " 同意借调 "})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["consented_by"] == ids["user"]["yjgl-admin"] and r.get_json()["consent_note"] == "同意借调"
    assert audit_entries("inspector.borrow_consent", row["id"]) == [{"lender_department_id": yjgl, "note": "同意借调"}]
    assert_problem(client.post(consent, headers=login("yjgl-admin"), json={}), 409, "borrowing_already_consented")
    assert _pairs(client, h, "&active_on=2031-05-01") == [("scjg", "yjgl")]
    assert _pairs(client, h, "&active_on=2032-05-01") == []
    with dbs():
        assert service.lenders_for(scjg, dt.date(2031, 5, 1)) == [yjgl]
        with pytest.raises(Invalid) as err:
            service.usable_agreement(scjg, ids["dept"]["wsjk"], dt.date(2031, 5, 1))
        assert err.value.code == "borrow_not_allowed"
        assert service.usable_agreement(scjg, yjgl, dt.date(2031, 5, 1)).id == row["id"]
    # A third department cannot even see it; the lender's admin may end it.
    assert_problem(client.post(f"{BASE}/{row['id']}/revoke", headers=login("sthj-admin"), json={"reason": "无关"}),
                   404, "borrowing_not_found")
    assert_problem(client.post(f"{BASE}/{row['id']}/revoke", headers=login("yjgl-leader"), json={"reason": "不同意"}),
                   403, "role_required")
    r = client.post(f"{BASE}/{row['id']}/revoke", headers=login("yjgl-admin"), json={"reason": "本局专项整治，人员紧张"})
    assert r.status_code == 200 and r.get_json()["revoke_reason"] == "本局专项整治，人员紧张"
    assert_problem(client.post(f"{BASE}/{row['id']}/revoke", headers=h, json={"reason": "再撤"}), 409,
                   "borrowing_already_revoked")
    with dbs():
        assert service.lenders_for(scjg, dt.date(2031, 5, 1)) == []
    assert audit_entries("inspector.borrow_revoke", row["id"]) == [{"reason": "本局专项整治，人员紧张"}]
    assert_problem(client.post(consent, headers=login("yjgl-admin"), json={}), 409, "borrowing_already_revoked")
    # Once revoked, the same pair may agree again.
    again = client.post(BASE, headers=h, json=_body(yjgl))
    assert again.status_code == 201
    # A consented agreement whose departments no longer share a field is not usable in a draw.
    assert client.post(f"{BASE}/{again.get_json()['id']}/consent", headers=login("yjgl-admin"), json={}).status_code == 200
    from sqlalchemy import select

    from server.accounts.models import Department
    with dbs() as s:
        d = s.execute(select(Department).where(Department.code == "scjg")).scalar_one()
        d.industry_tags = [t for t in d.industry_tags if t != "安全生产"]
        s.commit()
    with dbs():
        with pytest.raises(Invalid) as err:
            service.usable_agreement(scjg, yjgl, dt.date(2031, 5, 1))
        assert err.value.code == "borrow_not_same_field"


def test_demo_borrowing_is_consented_and_same_field(client, login, dbs):
    demo = client.get(BASE, headers=login("office")).get_json()["items"][0]
    assert demo["consented_at"] and demo["consented_by"]
    with dbs():
        row = service.usable_agreement(demo["department_id"], demo["lender_department_id"], dt.date.today())
        assert row.id == demo["id"]
