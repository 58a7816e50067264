"""`eligibility_pool`, `lenders_for` and `inspector_for_user`: what the draw relies on."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from server.accounts import admin
from server.errors import Invalid
from server.identifiers import make_credit_code
from server.inspectors import borrowing, declarations, directory, service
from server.types import local_today

D = dt.date
WINDOW = (D(2031, 3, 1), D(2031, 6, 30))
ON = D(2031, 1, 15)
CODE = make_credit_code("91140923MA0P5Q6R7")  # a 代县 enterprise


@pytest.fixture
def seed_level():
    """Conflict declarations name real objects of the directory (the "field" demo data)."""
    return "field"


@pytest.fixture
def pool_db(dbs):
    """A department of its own, so the demo inspectors stay out of these pools."""
    with dbs() as s:
        dept = admin.create_department({"code": "pooltest", "name": "抽取测试局", "level": "city", "region_code": "140900"})
        s.commit()
        dept_id = dept.id
    counter = iter(range(1, 1000))

    def add(name, **kw):
        data = {"name": name, "department_id": dept_id, "cert_no": f"PT{next(counter):06d}",
                "cert_valid_from": D(2020, 1, 1), "cert_valid_until": D(2035, 12, 31), **kw}
        if data.get("is_expert"):
            data.update(cert_no=None, cert_valid_from=None, cert_valid_until=None)
        return directory.create_inspector(None, data).id

    return dept_id, add


def _floats(value) -> list:
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return [value] if isinstance(value, float) else []


def _pool(dept_ids, window=WINDOW, **kw):
    kw.setdefault("on", ON)
    return {row["id"]: row for row in service.eligibility_pool(dept_ids, *window, **kw)}


def test_rows_are_plain_sorted_and_deterministic(dbs, pool_db):
    dept, add = pool_db
    with dbs() as s:
        b = add("乙", qualification_tags=["食品安全执法", "广告监管"])
        a = add("甲", qualification_tags=["价格监督检查"])
        s.commit()
    with dbs():
        rows = service.eligibility_pool([dept, dept], *WINDOW, on=ON)
        again = service.eligibility_pool([dept], *WINDOW, on=ON)
    assert rows == again and [r["id"] for r in rows] == sorted([a, b])
    assert rows[0] == {"id": b, "department": "pooltest", "qualifications": ["广告监管", "食品安全执法"], "active": True,
                       "available": True, "conflicts": {"object_ids": [], "credit_codes": []}, "is_expert": False}
    # JSON-ready and float-free, so it hashes the same everywhere.
    assert json.loads(json.dumps(rows)) == rows and not _floats(rows)
    with dbs():
        assert service.eligibility_pool([], *WINDOW, on=ON) == []
        assert service.eligibility_pool([987654], *WINDOW, on=ON) == []


def test_active_needs_the_flag_and_a_certificate_valid_across_the_window(dbs, pool_db):
    dept, add = pool_db
    with dbs() as s:
        ok = add("有效")
        expired = add("已过期", cert_valid_from=D(2019, 1, 1), cert_valid_until=D(2030, 12, 31))
        mid_window = add("窗口内到期", cert_valid_until=D(2031, 5, 31))
        starts_late = add("窗口内生效", cert_valid_from=D(2031, 4, 1))
        last_day = add("窗口末日到期", cert_valid_until=D(2031, 6, 30))
        no_cert = add("无证", cert_no=None, cert_valid_from=None, cert_valid_until=None)
        off = add("已停用")
        directory.set_active(None, off, False, "退休")
        expert = add("专家", is_expert=True, expert_org="忻州师范学院", expert_org_type="university")
        s.commit()
    with dbs():
        pool = _pool([dept], include_experts=True)
    active = {i for i, row in pool.items() if row["active"]}
    assert active == {ok, last_day, expert}
    assert {expired, mid_window, starts_late, no_cert, off} <= set(pool)  # listed, but not active


def test_unavailable_when_a_period_overlaps_the_window(dbs, pool_db):
    dept, add = pool_db
    with dbs() as s:
        ids = {name: add(name) for name in ("窗口前", "首日", "窗口中", "末日", "窗口后", "冻结前")}
        for name, start, end in [("窗口前", D(2031, 2, 1), D(2031, 2, 28)), ("首日", D(2031, 2, 20), D(2031, 3, 1)),
                                 ("窗口中", D(2031, 4, 1), D(2031, 4, 3)), ("末日", D(2031, 6, 30), D(2031, 7, 9)),
                                 ("窗口后", D(2031, 7, 1), D(2031, 7, 9)), ("冻结前", D(2031, 3, 1), D(2031, 3, 9))]:
            declarations.add_unavailability(None, ids[name], {"start_date": start, "end_date": end, "reason": "leave"})
        s.commit()
    with dbs():
        pool = _pool([dept])
        # Frozen on 10 March: leave that is over by then no longer matters.
        later = _pool([dept], on=D(2031, 3, 10))
    available = {i for i, row in pool.items() if row["available"]}
    assert available == {ids["窗口前"], ids["窗口后"]}
    assert ids["冻结前"] in {i for i, row in later.items() if row["available"]}
    assert ids["首日"] in {i for i, row in later.items() if row["available"]}


def test_declared_conflicts_appear_and_withdrawn_ones_do_not(dbs, pool_db):
    dept, add = pool_db
    with dbs() as s:
        a, b = add("甲"), add("乙")
        declarations.declare_conflict(None, a, {"object_id": 31, "reason": "亲属任法定代表人", "valid_from": D(2030, 1, 1)})
        declarations.declare_conflict(None, a, {"credit_code": CODE, "reason": "曾任该企业顾问", "valid_from": D(2030, 1, 1),
                                                "valid_until": D(2031, 3, 1)})
        declarations.declare_conflict(None, a, {"object_id": 5, "reason": "已过期", "valid_from": D(2029, 1, 1),
                                                "valid_until": D(2031, 2, 28)})
        declarations.declare_conflict(None, a, {"object_id": 6, "reason": "以后才有", "valid_from": D(2031, 7, 1)})
        gone = declarations.declare_conflict(None, b, {"object_id": 31, "credit_code": CODE, "reason": "误报",
                                                       "valid_from": D(2030, 1, 1)})
        declarations.declare_conflict(None, b, {"object_id": 2, "reason": "同学经营", "valid_from": D(2030, 1, 1)})
        declarations.withdraw_conflict(None, b, gone.id, "申报有误")
        s.commit()
    with dbs():
        pool = _pool([dept])
    assert pool[a]["conflicts"] == {"object_ids": [31], "credit_codes": [CODE]}
    assert pool[b]["conflicts"] == {"object_ids": [2], "credit_codes": []}
    # Conflicts do not make an inspector inactive or unavailable: they only bar that object.
    assert pool[a]["active"] and pool[a]["available"]


def test_experts_only_when_the_plan_allows_them(dbs, pool_db):
    dept, add = pool_db
    with dbs() as s:
        staff = add("在编")
        expert = add("专家", is_expert=True, expert_org="山西省食品药品检验所", expert_org_type="lab",
                     qualification_tags=["食品安全执法"])
        s.commit()
    with dbs():
        assert set(_pool([dept])) == {staff}
        both = _pool([dept], include_experts=True)
    assert set(both) == {staff, expert} and both[expert]["is_expert"] is True and both[expert]["active"] is True


def test_window_is_checked(dbs, pool_db):
    dept, _ = pool_db
    with dbs():
        with pytest.raises(Invalid) as err:
            service.eligibility_pool([dept], D(2031, 6, 30), D(2031, 3, 1), on=ON)
        assert err.value.code == "window_reversed"
        with pytest.raises(Invalid) as err:
            service.eligibility_pool([dept], *WINDOW, on=D(2031, 7, 1))
        assert err.value.code == "window_ended"


def test_demo_pool_matches_the_demo_story(dbs, ids):
    year = local_today().year + 1  # the demo's training course is in March next year
    with dbs():
        pool = {r["id"]: r for r in service.eligibility_pool(list(ids["dept"].values()), D(year, 3, 1), D(year, 3, 31),
                                                             on=D(year, 2, 1))}
    assert pool[ids["insp"]["scjg-insp2"]]["conflicts"]["credit_codes"] == [make_credit_code("91140902MA0K3Q7R2")]
    assert not pool[ids["insp"]["wl-insp6"]]["active"]  # certificate expired
    assert not pool[ids["insp"]["yjgl-insp2"]]["available"] and pool[ids["insp"]["yjgl-insp2"]]["active"]  # training
    assert not any(r["is_expert"] for r in pool.values()) and len(pool) == 36


def test_lenders_for(dbs, ids):
    wl, sw, yjgl = ids["dept"]["wl"], ids["dept"]["sw"], ids["dept"]["yjgl"]
    today = local_today()
    with dbs() as s:
        assert service.lenders_for(wl, today) == [sw]  # demo: 文旅 may borrow from 商务
        assert service.lenders_for(sw, today) == []  # borrowing is one-way
        from server.accounts.models import Department
        from server.types import utcnow

        s.get(Department, yjgl).industry_tags = ["安全生产", "文化市场"]  # now of one field with 文旅
        row = borrowing.create_agreement(None, {"lender_department_id": yjgl, "reason": "执法力量不足",
                                                "valid_from": today, "valid_until": D(2031, 12, 31)}, borrower_id=wl)
        s.commit()
        assert service.lenders_for(wl, today) == [sw]  # not before the lender consents
        row.consented_at = utcnow()
        s.commit()
        assert service.lenders_for(wl, today) == sorted([sw, yjgl])
        assert service.lenders_for(wl, D(2031, 6, 1)) == [yjgl]
        assert service.lenders_for(wl, D(2032, 1, 1)) == []


def test_inspector_for_user(dbs, ids):
    with dbs():
        assert service.inspector_for_user(ids["user"]["scjg-insp3"]).id == ids["insp"]["scjg-insp3"]
        assert service.inspector_for_user(ids["user"]["scjg-leader"]) is None
