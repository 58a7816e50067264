"""Search with stable cursors; the draw's candidate stream; the last check per department."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server.accounts.models import Department
from server.errors import Invalid, NotFound
from server.registry.search import objects_in_scope
from server.registry.service import record_check
from tests.server.registry.helpers import P, code
from tests.support.http import assert_problem

COUNTIES = ["140902", "140981", "140921", "140922"]


def _seed(client, login, n=60):
    items = []
    for i in range(n):
        division = COUNTIES[i % 4]
        items.append({"name": f"{'甲乙丙丁'[i % 4]}检索样本{i:03d}有限公司", "credit_code": code(division),
                      "risk_class": [None, "A", "B", "C", "D"][i % 5], "registration_status": "注销" if i % 7 == 0 else "存续",
                      "sub_libraries": ["food_business"] if i % 3 == 0 else [], "online": i % 10 == 0})
    items.append({"name": "乙检索样本牌小米", "object_type": "product", "region_code": "140921"})
    r = client.post(f"{P}/objects/bulk", headers=login("scjg-admin"), json={"objects": items})
    assert r.get_json()["created"] == n + 1, r.get_json()
    return {x["index"]: x["id"] for x in r.get_json()["results"]}, items


def _all(client, h, query, limit=7, between=None):
    seen, cursor, pages = [], None, 0
    while True:
        url = f"{P}/objects?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=h).get_json()
        seen += [o["id"] for o in page["items"]]
        pages += 1
        if between:
            between(pages)
        cursor = page["next_cursor"]
        if not cursor:
            return seen


def test_cursor_paging_has_no_duplicates_or_skips_while_the_data_changes(reg, food, client, login):
    ids, _ = _seed(client, login)
    h = login("scjg-leader")
    admin = login("scjg-admin")
    expected = sorted(ids.values())
    touched = iter(expected)

    def churn(page):
        # Between pages: edit an object already seen and one not yet seen, and add a new one.
        client.patch(f"{P}/objects/{next(touched)}", headers=admin, json={"industry": f"变更{page}"})
        client.patch(f"{P}/objects/{expected[-page]}", headers=admin, json={"phone": "0350-3000000"})
        reg.obj(name=f"翻页中新增{page}有限公司")

    got = _all(client, h, "q=检索样本", between=churn)
    assert got == expected  # every match exactly once, in id order, despite the changes
    assert len(got) == len(set(got)) == 61


def test_search_filters(reg, food, client, login):
    ids, items = _seed(client, login)
    h = login("scjg-admin")

    def search(query):
        return set(_all(client, h, query, limit=100))

    assert search("q=甲检索") == {ids[i] for i in range(60) if i % 4 == 0}
    prefix = items[5]["credit_code"][:12]
    assert ids[5] in search(f"q={prefix.lower()}")
    assert search(f"credit_code={items[7]['credit_code']}") == {ids[7]}
    assert search("region=140981") == {ids[i] for i in range(60) if i % 4 == 1}
    assert search("region=140900") == set(ids.values())  # the city covers its counties
    assert search("sub_library=food_business") == {ids[i] for i in range(60) if i % 3 == 0}
    assert search("risk_class=D") == {ids[i] for i in range(60) if i % 5 == 4}
    assert search("risk_class=U&object_type=enterprise") == {ids[i] for i in range(60) if i % 5 == 0}
    assert search("status=deregistered") == {ids[i] for i in range(60) if i % 7 == 0}
    assert search("object_type=product") == {ids[60]}
    assert search("online=true") == {ids[i] for i in range(60) if i % 10 == 0}
    assert search("q=%25") == set() and search("q=_") == set()  # LIKE wildcards are literal
    assert_problem(client.get(f"{P}/objects?sub_library=nope", headers=h), 422, "sub_library_unknown")
    assert_problem(client.get(f"{P}/objects?cursor=bad!", headers=h), 400, "invalid_cursor")
    assert_problem(client.get(f"{P}/objects?region=14", headers=h), 422, "validation_failed")


def test_objects_in_scope_streams_light_rows_with_the_departments_last_check(reg, food, client, login, app):
    ids, items = _seed(client, login, n=40)
    with app.app_context():
        from server.extensions import db

        scjg = db.session.execute(select(Department.id).where(Department.code == "scjg")).scalar_one()
        sthj = db.session.execute(select(Department.id).where(Department.code == "sthj")).scalar_one()
        record_check(ids[0], scjg, dt.date(2023, 5, 1))
        record_check(ids[0], scjg, dt.date(2022, 1, 1))  # an older date never replaces a newer one
        record_check(ids[0], sthj, dt.date(2025, 1, 1))
        record_check(ids[3], scjg, dt.date(2024, 2, 2))
        db.session.commit()
        with pytest.raises(NotFound):
            record_check(999999, scjg, dt.date(2024, 1, 1))

        scope = {"sub_libraries": ["food_business"], "object_types": ["enterprise", "individual"], "regions": ["140900"],
                 "statuses": ["active", "operating"], "online": None}
        rows = list(objects_in_scope(scope, scjg))
        expected = sorted(ids[i] for i in range(40) if i % 3 == 0 and i % 7 != 0)
        assert [r.id for r in rows] == expected
        first = rows[0]
        assert first._fields == ("id", "credit_code", "name", "object_type", "region_code", "registration_status",
                                 "risk_class", "abnormal_list", "serious_violation_list", "complaint_count",
                                 "last_checked_on")
        by_id = {r.id: r for r in rows}
        assert by_id[ids[3]].last_checked_on == dt.date(2024, 2, 2) and by_id[ids[3]].risk_class == "C"
        assert by_id[ids[6]].last_checked_on is None
        assert [r.id for r in objects_in_scope({"regions": ["140981"]}, None)] == sorted(
            ids[i] for i in range(40) if i % 4 == 1)
        assert all(r.last_checked_on is None for r in objects_in_scope({}, None))
        assert len(list(objects_in_scope({}, sthj))) == 41
        assert [r.last_checked_on for r in objects_in_scope({}, sthj) if r.id == ids[0]] == [dt.date(2025, 1, 1)]
        with pytest.raises(Invalid):
            objects_in_scope({"sub_libraries": ["no_such_library"]}, scjg)  # refused at once, not at first next()
    # Credit data shows the last checks to staff.
    body = client.get(f"{P}/objects/{ids[0]}", headers=login("auditor")).get_json()
    assert {c["last_checked_on"] for c in body["last_checks"]} == {"2023-05-01", "2025-01-01"}
    checked = client.get(f"/api/v1/audit/entries?action=registry.object.checked", headers=login("office")).get_json()
    assert len(checked["items"]) == 3
