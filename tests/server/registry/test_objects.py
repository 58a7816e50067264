"""Single entry, merge by credit code, corrections, permissions per object, and what each role sees."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from server.registry.models import InspectionObject, ObjectCredit
from server.registry.protect import hash_id_number, reveal_id_number
from tests.server.registry.helpers import P, code
from tests.support.http import assert_problem

ID_NUMBER = "360426199101010071"  # the valid example of domain.md


def _audit(client, login, object_id):
    r = client.get(f"/api/v1/audit/entries?target_type=object&target_id={object_id}&limit=100", headers=login("office"))
    return r.get_json()["items"]


@pytest.mark.parametrize("valid", ["91110000600037341L", "91110108551385082Q", "91350100M000100Y43"])
def test_valid_credit_codes_are_accepted(reg, valid):
    body = reg.obj(credit_code=valid.lower(), name=f"代码{valid}有限公司")
    assert body["credit_code"] == valid and body["object_type"] == "enterprise"
    assert body["credit_code_override"] is None


def test_checksum_failure_is_refused_naming_position_18_then_accepted_with_an_audited_override(reg, client, login, dbs):
    bad = "91350100M0001TGQXM"
    r = client.post(f"{P}/objects", headers=login("scjg-admin"), json={"name": "早期代码有限公司", "credit_code": bad})
    body = assert_problem(r, 422, "credit_code_checksum")
    assert body["errors"][0]["field"] == "credit_code" and body["errors"][0]["code"] == "credit_code_checksum"
    assert "第18位" in body["detail"] and "“M”" in body["detail"]

    # A wrong character elsewhere is never overridable, reason or not.
    r = client.post(f"{P}/objects", headers=login("scjg-admin"),
                    json={"name": "错字有限公司", "credit_code": "91350100I000100Y43", "credit_code_override_reason": "老代码"})
    body = assert_problem(r, 422, "credit_code_bad_character")
    assert "第9位字符“I”" in body["detail"]

    reason = "营业执照原件所载代码，经登记机关核实为早期赋码"
    body = reg.obj(name="早期代码有限公司", credit_code=bad, credit_code_override_reason=reason)
    assert body["credit_code"] == bad and body["credit_code_override"] == reason
    entries = _audit(client, login, body["id"])
    override = [e for e in entries if e["action"] == "registry.object.credit_code_override"]
    assert len(override) == 1
    assert override[0]["payload"]["data"] == {"credit_code": bad, "reason": reason}
    assert override[0]["actor_user_id"] is not None
    # The same code again merges into that object (a second override is not needed for identical data).
    again = reg.obj(name="早期代码有限公司", credit_code=bad, credit_code_override_reason=reason, expect=200)
    assert again["id"] == body["id"] and again["outcome"] == "unchanged"
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(InspectionObject)) == 1


def test_duplicate_credit_code_merges_into_the_existing_object(reg, food, client, login, dbs):
    c = code()
    first = reg.obj(name="忻州市兴旺商贸有限公司", credit_code=c, phone="0350-3031234", sub_libraries=["food_business"])
    assert first["outcome"] == "created" and first["version"] == 1
    merged = reg.obj(name="忻州市兴旺商贸有限公司", credit_code=c, industry="批发业", sub_libraries=["价格"], expect=200)
    assert merged["id"] == first["id"] and merged["outcome"] == "updated" and merged["version"] == 2
    assert merged["phone"] == "0350-3031234"  # absent fields keep their values
    assert merged["industry"] == "批发业"
    assert [lib["code"] for lib in merged["sub_libraries"]] == ["food_business", "price"]
    same = reg.obj(name="忻州市兴旺商贸有限公司", credit_code=c, industry="批发业", expect=200)
    assert same["outcome"] == "unchanged" and same["version"] == 2
    with dbs() as s:
        assert s.scalar(select(func.count()).where(InspectionObject.credit_code == c)) == 1
    actions = [e["action"] for e in _audit(client, login, first["id"])]
    assert actions.count("registry.object.create") == 1 and actions.count("registry.object.update") == 1


def test_patch_corrects_clears_and_guards_versions(reg, food, client, login):
    obj = reg.obj(name="原平市晋源机械制造有限公司", credit_code=code("140981"), phone="0350-3030000",
                  industry="通用设备制造业", sub_libraries=["food_business"])
    assert obj["region_code"] == "140981" and obj["region_name"] == "原平市"  # from the code's positions 3–8
    h = login("scjg-admin")
    r = client.patch(f"{P}/objects/{obj['id']}", headers=h,
                     json={"phone": None, "registration_status": "注销", "risk_class": "C", "version": 1})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["phone"] is None and body["registration_status"] == "deregistered"
    assert body["registration_status_label"] == "注销" and body["credit"]["risk_class"] == "C" and body["version"] == 2
    assert_problem(client.patch(f"{P}/objects/{obj['id']}", headers=h, json={"industry": "x", "version": 1}),
                   409, "version_conflict")
    assert_problem(client.patch(f"{P}/objects/{obj['id']}", headers=h, json={"region_code": "110105"}),
                   422, "region_unknown")
    assert_problem(client.patch(f"{P}/objects/{obj['id']}", headers=h, json={"object_type": "individual"}),
                   422, "object_type_mismatch")
    other = reg.obj(name="另一家有限公司")
    assert_problem(client.patch(f"{P}/objects/{obj['id']}", headers=h, json={"credit_code": other["credit_code"]}),
                   409, "object_exists")
    changes = [e["payload"]["data"]["changes"] for e in _audit(client, login, obj["id"])
               if e["action"] == "registry.object.update"]
    assert changes == [{"phone": None, "registration_status": "deregistered", "risk_class": "C"}]


def test_another_department_cannot_edit_your_sub_librarys_objects(reg, food, client, login):
    obj = reg.obj(name="定襄县瑞丰食品有限公司", credit_code=code("140921"), sub_libraries=["food_business"])
    sthj = login("sthj-admin")
    # Visible (staff read the master library) but not theirs to change: 403, not 404.
    assert client.get(f"{P}/objects/{obj['id']}", headers=sthj).status_code == 200
    assert_problem(client.patch(f"{P}/objects/{obj['id']}", headers=sthj, json={"industry": "化工"}),
                   403, "object_not_manageable")
    # Not through a merge either, and not into scjg's sub-library.
    r = client.post(f"{P}/objects", headers=sthj, json={"name": obj["name"], "credit_code": obj["credit_code"],
                                                        "industry": "化工"})
    assert_problem(r, 403, "object_not_manageable")
    r = client.post(f"{P}/objects", headers=sthj, json={"name": obj["name"], "credit_code": obj["credit_code"],
                                                        "sub_libraries": ["价格"]})
    assert_problem(r, 403, "sub_library_not_allowed")
    assert_problem(client.post(f"{P}/sub-libraries/{food['food']['id']}/members", headers=sthj,
                               json={"object_ids": [obj["id"]]}), 403, "sub_library_not_manageable")
    # Tagging it into sthj's own sub-library (same data) is allowed, and then sthj regulates it too.
    r = client.post(f"{P}/objects", headers=sthj, json={"name": obj["name"], "credit_code": obj["credit_code"],
                                                        "sub_libraries": ["pollutant_permit"]})
    assert r.status_code == 200 and r.get_json()["outcome"] == "updated", r.get_json()
    r = client.patch(f"{P}/objects/{obj['id']}", headers=sthj, json={"industry": "食品制造业"})
    assert r.status_code == 200
    # PATCH of sub_libraries by sthj only touches sthj's tags.
    r = client.patch(f"{P}/objects/{obj['id']}", headers=sthj, json={"sub_libraries": []})
    assert [lib["code"] for lib in r.get_json()["sub_libraries"]] == ["food_business"]


def test_inspectors_never_see_credit_data(reg, food, client, login):
    obj = reg.obj(name="五台县恒泰酒店管理有限公司", credit_code=code("140922"), risk_class="D", abnormal_list=True,
                  serious_violation_list=True, complaint_count=7, sub_libraries=["food_business"])
    assert obj["credit"] == {"risk_class": "D", "risk_class_label": "高风险", "abnormal_list": True,
                             "serious_violation_list": True, "complaint_count": 7,
                             "updated_at": obj["credit"]["updated_at"]}
    insp = login("scjg-insp1")
    brief = client.get(f"{P}/objects/{obj['id']}", headers=insp).get_json()
    assert brief["name"] == obj["name"] and "credit" not in brief and "last_checks" not in brief
    page = client.get(f"{P}/objects?q=恒泰", headers=insp).get_json()
    assert page["items"] and all("credit" not in i and "last_checks" not in i for i in page["items"])
    text = json.dumps(page, ensure_ascii=False) + json.dumps(brief, ensure_ascii=False)
    assert "risk_class" not in text and "complaint" not in text and "abnormal" not in text
    assert_problem(client.get(f"{P}/objects?risk_class=D", headers=insp), 403, "credit_data_forbidden")
    for staff in ("scjg-leader", "scjg-reviewer", "auditor", "sthj-admin"):
        assert client.get(f"{P}/objects/{obj['id']}", headers=login(staff)).get_json()["credit"]["risk_class"] == "D"


def test_id_numbers_are_never_returned_in_clear(reg, food, client, login, app, dbs):
    obj = reg.obj(name="忻府区李记餐饮店", credit_code=code(prefix="92"), legal_rep_name="李建国",
                  legal_rep_id_number=ID_NUMBER, sub_libraries=["food_business"])
    assert obj["object_type"] == "individual" and obj["legal_rep_id_masked"] == "3604**********0071"
    h = login("office")
    bodies = [json.dumps(obj, ensure_ascii=False)]
    bodies.append(client.get(f"{P}/objects/{obj['id']}", headers=h).get_data(as_text=True))
    bodies.append(client.get(f"{P}/objects?q=李记", headers=h).get_data(as_text=True))
    bodies.append(client.patch(f"{P}/objects/{obj['id']}", headers=h,
                               json={"legal_rep_id_number": "11010519491231002X"}).get_data(as_text=True))
    bodies.append(client.post(f"{P}/objects/bulk", headers=h, json={"objects": [
        {"name": obj["name"], "credit_code": obj["credit_code"], "legal_rep_id_number": ID_NUMBER}]}).get_data(as_text=True))
    bodies.append(client.get("/api/v1/audit/entries?limit=500", headers=h).get_data(as_text=True))
    for text in bodies:
        assert ID_NUMBER not in text and "11010519491231002X" not in text
    assert "3604**********0071" in bodies[-1]  # the audit log names the masked number
    with dbs() as s:
        stored = s.get(InspectionObject, obj["id"])
        assert ID_NUMBER not in (stored.legal_rep_id_protected or "")
        assert reveal_id_number(stored.legal_rep_id_protected) == ID_NUMBER
        assert stored.legal_rep_id_hash == hash_id_number(ID_NUMBER) != hash_id_number("11010519491231002X")


def test_bulk_feed_is_idempotent_with_per_item_results(reg, food, client, login, dbs):
    h = login("scjg-admin")
    c1, c2 = code(), code("140981", "93")
    items = [
        {"name": "忻州市华通商贸有限公司", "credit_code": c1, "sub_libraries": ["food_business"], "risk_class": "B"},
        {"name": "原平市柳林村杂粮种植专业合作社", "credit_code": c2, "object_type": "农民专业合作社"},
        {"name": "坏代码有限公司", "credit_code": "91350100M0001TGQXM"},
        {"name": "重复的华通", "credit_code": c1},
        {"name": "华通牌预包装小米", "object_type": "product", "region_code": "忻府区"},
    ]
    r = client.post(f"{P}/objects/bulk", headers=h, json={"objects": items})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert [x["status"] for x in body["results"]] == ["created", "created", "rejected", "rejected", "created"]
    assert (body["created"], body["updated"], body["unchanged"], body["rejected"]) == (3, 0, 0, 2)
    assert body["results"][2]["errors"][0]["code"] == "credit_code_checksum"
    assert body["results"][3]["errors"][0]["code"] == "duplicate_in_file"
    assert "第1项" in body["results"][3]["errors"][0]["message"]
    again = client.post(f"{P}/objects/bulk", headers=h, json={"objects": items}).get_json()
    assert [x["status"] for x in again["results"]] == ["unchanged", "unchanged", "rejected", "rejected", "unchanged"]
    assert [x["id"] for x in again["results"]] == [x["id"] for x in body["results"]]
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(InspectionObject)) == 3
        assert s.scalar(select(func.count()).select_from(ObjectCredit)) == 3
    entries = client.get("/api/v1/audit/entries?action=registry.objects.bulk_upsert", headers=login("office")).get_json()
    assert len(entries["items"]) == 1 and len(entries["items"][0]["payload"]["data"]["created"]) == 3
    too_many = client.post(f"{P}/objects/bulk", headers=h, json={"objects": [{"name": "x"}] * 1001})
    assert_problem(too_many, 422, "validation_failed")


def test_sub_library_rules(reg, food, client, login):
    h = login("scjg-admin")
    assert_problem(client.post(f"{P}/sub-libraries", headers=h, json={"code": "food_business", "name": "另一个"}),
                   409, "sub_library_code_taken")
    assert_problem(client.post(f"{P}/sub-libraries", headers=h, json={"code": "food2", "name": "食品经营"}),
                   409, "sub_library_name_taken")
    assert_problem(client.post(f"{P}/sub-libraries", headers=h, json={"code": "x_other", "name": "别人的",
                                                                       "department_id": food["pollution"]["department_id"]}),
                   403, "other_department")
    joint = reg.lib("joint_key", "联合抽查重点对象", user="office")
    assert joint["department_id"] != food["food"]["department_id"]
    obj = reg.obj(name="被标注有限公司")
    lib_id = food["price"]["id"]
    r = client.post(f"{P}/sub-libraries/{lib_id}/members", headers=h, json={"object_ids": [obj["id"], obj["id"]]})
    assert r.get_json() == {"added": [obj["id"]], "already": []}
    assert client.post(f"{P}/sub-libraries/{lib_id}/members", headers=h,
                       json={"object_ids": [obj["id"]]}).get_json() == {"added": [], "already": [obj["id"]]}
    assert_problem(client.post(f"{P}/sub-libraries/{lib_id}/members", headers=h, json={"object_ids": [999999]}),
                   422, "object_not_found")
    assert client.get(f"{P}/sub-libraries/{lib_id}", headers=h).get_json()["member_count"] == 1
    assert_problem(client.delete(f"{P}/sub-libraries/{lib_id}", headers=h), 409, "sub_library_not_empty")
    assert client.delete(f"{P}/sub-libraries/{lib_id}/members/{obj['id']}", headers=h).status_code == 204
    assert_problem(client.delete(f"{P}/sub-libraries/{lib_id}/members/{obj['id']}", headers=h), 404, "member_not_found")
    assert client.get(f"{P}/objects/{obj['id']}", headers=h).get_json()["version"] == 3
    r = client.patch(f"{P}/sub-libraries/{lib_id}", headers=h, json={"name": "价格监督", "description": "明码标价"})
    assert r.get_json()["code"] == "price" and r.get_json()["name"] == "价格监督"
    assert client.delete(f"{P}/sub-libraries/{lib_id}", headers=h).status_code == 204
    actions = {e["action"] for e in client.get("/api/v1/audit/entries?target_type=sub_library&limit=100",
                                               headers=login("office")).get_json()["items"]}
    assert {"registry.sub_library.create", "registry.sub_library.update", "registry.sub_library.delete",
            "registry.sub_library.add_members", "registry.sub_library.remove_member"} <= actions


def test_a_lost_insert_race_is_retried_as_a_merge(reg, food, app, monkeypatch):
    """Another transaction creates the object between our read and our insert: the batch is redone."""
    from server.registry import upsert
    from server.registry.access import Editor
    from server.registry.service import bulk_upsert

    existing = reg.obj(name="并发商贸有限公司", phone="0350-1000000")
    real = upsert.load_states
    calls = []

    def stale_first_read(keys, lock=False):
        calls.append(1)
        return {} if len(calls) == 1 else real(keys, lock=lock)  # the first read misses the concurrent insert

    monkeypatch.setattr(upsert, "load_states", stale_first_read)
    with app.app_context():
        from server.extensions import db

        result = bulk_upsert(Editor(None, True), [{"name": "并发商贸有限公司", "credit_code": existing["credit_code"],
                                                   "phone": "0350-2000000"}])
        db.session.commit()
    assert len(calls) == 2
    assert result["results"][0]["status"] == "updated" and result["results"][0]["id"] == existing["id"]
