"""Check items: working guides, versioning, the joint list, scoping and the public list."""
from __future__ import annotations

from sqlalchemy import select

from server.audit.models import AuditEntry
from tests.server.catalog.matrix import item_body
from tests.support.http import assert_problem


def _create(client, h, **over):
    r = client.post("/api/v1/items", headers=h, json=item_body(**over))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_create_item_with_working_guide(client, login):
    h = login("scjg-admin")
    item = _create(client, h, code="SCJG-X-001", name="计量器具检查", level="key", max_ratio=None,
                   required_qualifications=["计量执法"], documents_to_request=["计量器具检定证书"],
                   checkpoints=[
                       {"key": "cp1", "prompt": "计量器具是否经检定合格", "answer_type": "pass_fail_na", "photo_required": True,
                        "legal_basis": "《计量法》第九条"},
                       {"key": "cp2", "prompt": "电子秤示值误差", "answer_type": "number", "unit": "g"},
                       {"key": "cp3", "prompt": "检定标识状态", "answer_type": "choice", "choices": ["完好", "破损", "缺失"]},
                       {"key": "cp4", "prompt": "其他情况说明", "answer_type": "text", "hint": "如实记录"},
                   ])
    assert item["current_version"] == 1 and item["department_code"] == "scjg"
    cps = item["current"]["checkpoints"]
    assert [c["position"] for c in cps] == [1, 2, 3, 4]
    assert cps[0]["photo_required"] is True and cps[1]["unit"] == "g" and cps[2]["choices"] == ["完好", "破损", "缺失"]
    assert len(item["current"]["content_sha256"]) == 64


def test_validation_messages(client, login):
    h = login("scjg-admin")
    cases = [
        (dict(level="general", max_ratio=None), "max_ratio", "一般检查事项须设定最高抽查比例"),
        (dict(level="key", max_ratio="0.1"), "max_ratio", "不设上限"),
        (dict(max_ratio="1.5"), "max_ratio", "0 到 1"),
        (dict(checkpoints=[{"key": "a", "prompt": "选一个", "answer_type": "choice", "choices": ["是"]}]), "checkpoints.0.choices", "两个选项"),
        (dict(checkpoints=[{"key": "a", "prompt": "多少", "answer_type": "number"}]), "checkpoints.0.unit", "单位"),
        (dict(checkpoints=[{"key": "a", "prompt": "一致吗", "answer_type": "text"}] * 2), "checkpoints", "不能重复"),
        (dict(object_types=["spaceship"]), "object_types.0", "取值须为以下之一"),
        (dict(checkpoints=[]), "checkpoints", "长度"),
    ]
    for over, field, text in cases:
        body = assert_problem(client.post("/api/v1/items", headers=h, json=item_body(**over)), 422, "validation_failed")
        messages = {e["field"]: e["message"] for e in body["errors"]}
        assert field in messages and text in messages[field], (over, messages)


def test_editing_creates_a_version_and_old_versions_stay(client, login, dbs):
    h = login("scjg-admin")
    item = _create(client, h)
    body = item_body(name="修订后的名称", change_note="依据新规修订")
    body.pop("code")
    r = client.put(f"/api/v1/items/{item['id']}", headers=h, json=body)
    assert r.status_code == 200
    assert r.get_json()["current_version"] == 2 and r.get_json()["versions"] == [1, 2]
    v1 = client.get(f"/api/v1/items/{item['id']}/versions/1", headers=h).get_json()
    v2 = client.get(f"/api/v1/items/{item['id']}/versions/2", headers=h).get_json()
    assert v1["name"] == "测试事项" and v2["name"] == "修订后的名称" and v2["change_note"] == "依据新规修订"
    assert v1["content_sha256"] != v2["content_sha256"]
    # Saving identical content makes no new version.
    assert client.put(f"/api/v1/items/{item['id']}", headers=h, json=body).get_json()["current_version"] == 2
    assert_problem(client.get(f"/api/v1/items/{item['id']}/versions/9", headers=h), 404, "item_version_not_found")
    with dbs() as s:
        actions = s.execute(select(AuditEntry.action).where(AuditEntry.target_type == "check_item",
                                                            AuditEntry.target_id == str(item["id"]))).scalars().all()
    assert actions == ["item.create", "item.revise"]


def test_department_scoping_and_joint_list(client, login):
    item = _create(client, login("scjg-admin"))
    body = item_body()
    body.pop("code")
    assert_problem(client.put(f"/api/v1/items/{item['id']}", headers=login("sthj-admin"), json=body), 404, "item_not_found")
    assert_problem(client.post("/api/v1/items", headers=login("scjg-admin"), json=item_body(is_joint=True)),
                   403, "joint_list_office_only")
    joint = _create(client, login("office"), is_joint=True, department_id=item["department_id"])
    assert joint["is_joint"] is True and joint["department_code"] == "scjg"
    # The authority's admin cannot edit the joint-list entry; the office can.
    assert_problem(client.put(f"/api/v1/items/{joint['id']}", headers=login("scjg-admin"), json=body), 404)
    assert client.put(f"/api/v1/items/{joint['id']}", headers=login("office"), json=body).status_code == 200
    listed = client.get("/api/v1/items?joint=true&limit=500", headers=login("scjg-insp1")).get_json()["items"]
    assert joint["id"] in [i["id"] for i in listed] and all(i["is_joint"] for i in listed)


def test_retire_hides_from_lists_but_keeps_versions(client, login):
    h = login("scjg-admin")
    item = _create(client, h)
    assert client.post(f"/api/v1/items/{item['id']}/retire", headers=h, json={"reason": "法规废止"}).get_json()["retired"]
    ids = [i["id"] for i in client.get("/api/v1/items?limit=500", headers=h).get_json()["items"]]
    assert item["id"] not in ids
    assert client.get(f"/api/v1/items/{item['id']}/versions/1", headers=h).status_code == 200
    body = item_body()
    body.pop("code")
    assert_problem(client.put(f"/api/v1/items/{item['id']}", headers=h, json=body), 409, "item_retired")


def test_public_items_need_no_login(client):
    r = client.get("/api/v1/public/items")
    assert r.status_code == 200
    codes = {i["code"] for i in r.get_json()}
    assert {"SCJG-SP-001", "YJGL-AQ-001", "STHJ-PW-001"} <= codes
    scjg = client.get("/api/v1/public/items?department=scjg").get_json()
    assert scjg and all(i["department_code"] == "scjg" for i in scjg)
    assert client.get("/api/v1/public/items?department=nope").get_json() == []
    sp = next(i for i in r.get_json() if i["code"] == "SCJG-SP-001")
    assert sp["current"]["documents_to_request"] and sp["current"]["checkpoints"]
