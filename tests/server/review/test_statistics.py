"""Statistics per department and task on a known scenario: JSON, SVG charts, XLSX export."""
from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from tests.support.field import Phone, complete_inspection
from tests.support.http import assert_problem
from tests.support.tamper import drop_append_only_guards


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def scenario(client, login, dbs):
    """Three sealed records of task T01 (scjg): A entered on time with one failed checkpoint;
    B returned once, entered late as A+E; C still pending and overdue."""

    office, rev = login("office"), login("scjg-reviewer")
    scout = Phone(client, "scjg-insp1")
    scout.pull()
    a, b, c = [v["id"] for v in scout.visits()[:3]]
    for vid in (a, b, c):
        complete_inspection(client, office, vid)
    today = dt.date.today()
    with dbs() as s:
        failed = s.execute(text("SELECT id, item_id, checkpoint_key FROM visit_answers WHERE visit_id = :v "
                                "AND value = 'pass' ORDER BY id LIMIT 1"), {"v": a}).one()
        drop_append_only_guards(s)
        s.execute(text("UPDATE visit_answers SET value = 'fail' WHERE id = :i"), {"i": failed.id})
        for vid, due in ((a, today + dt.timedelta(days=30)), (b, today - dt.timedelta(days=2)),
                         (c, today - dt.timedelta(days=1))):
            s.execute(text("UPDATE reviews SET due_on = :d WHERE visit_id = :v"), {"d": due, "v": vid})
        s.commit()
        visits = s.execute(text("SELECT COUNT(*) FROM visits WHERE task_id = "
                                "(SELECT task_id FROM visits WHERE id = :v)"), {"v": a}).scalar_one()
    assert client.post(f"/api/v1/reviews/{a}/approve", headers=rev).status_code == 200
    assert client.post(f"/api/v1/reviews/{b}/return", headers=rev, json={"comments": [
        {"target": "general", "text": "请补充说明"}]}).status_code == 200
    # The reviewer enters codes of its own for B (the outcome counts each department's own codes).
    assert client.post(f"/api/v1/reviews/{b}/approve", headers=rev, json={"result_codes": ["A", "E"]}).status_code == 200
    assert client.post(f"/api/v1/reviews/{c}/request-evidence", headers=rev, json={"comments": [
        {"target": "general", "text": "请补充营业执照照片"}]}).status_code == 200  # not a rework
    return {"visits": visits, "failed": (failed.item_id, failed.checkpoint_key)}


def test_statistics_json_svg_and_xlsx(client, login, scenario):
    rev = login("scjg-reviewer")
    body = client.get("/api/v1/statistics", headers=rev).get_json()
    (dept,) = body["departments"]
    n = scenario["visits"]
    expected = {"department_code": "scjg", "tasks": 1, "visits": n, "sealed": 3, "entered": 2, "entered_on_time": 1,
                "completed": 1, "open": 1, "overdue": 1, "due_soon": 0, "deadline_unknown": 0, "returned_records": 1,
                "returns": 1, "on_time_rate": 0.5, "completion_rate": round(1 / n, 4)}
    assert {k: dept[k] for k in expected} == expected
    assert dept["outcomes"] == {"1": 2, "A": 1, "E": 1}
    (task,) = body["tasks"]
    assert {k: task[k] for k in expected if k not in ("department_code", "tasks")} == \
        {k: v for k, v in expected.items() if k not in ("department_code", "tasks")}
    item_id, key = scenario["failed"]
    row = next(p for p in body["problems"] if p["item_id"] == item_id and p["checkpoint_key"] == key)
    assert (row["answered"], row["fail"], row["problem_rate"]) == (3, 1, 0.3333)
    assert all(p["fail"] == 0 for p in body["problems"] if p is not row)
    assert {o["code"]: o["count"] for o in body["outcomes"]} == {"1": 2, "A": 1, "E": 1}

    # Scoping: another department sees nothing of scjg's; the office sees it.
    assert client.get("/api/v1/statistics", headers=login("sthj-admin")).get_json()["departments"] == []
    assert client.get("/api/v1/statistics", headers=login("office")).get_json()["departments"][0]["sealed"] == 3
    assert client.get(f"/api/v1/statistics?task_id={task['task_id'] + 99}", headers=rev).get_json()["tasks"] == []
    assert_problem(client.get("/api/v1/statistics", headers=login("scjg-insp1")), 403)

    # Server-rendered SVG charts.
    for kind in ("completion", "deadlines", "outcomes", "problems"):
        r = client.get(f"/api/v1/statistics/charts/{kind}.svg", headers=rev)
        assert r.status_code == 200 and r.mimetype == "image/svg+xml"
        root = ET.fromstring(r.data)
        assert root.tag.endswith("svg")
    svg = client.get("/api/v1/statistics/charts/completion.svg", headers=rev).get_data(as_text=True)
    assert "忻州市市场监督管理局" in svg and "50%" in svg
    assert "发现问题经责令已改正" in client.get("/api/v1/statistics/charts/outcomes.svg", headers=rev).get_data(as_text=True)
    assert_problem(client.get("/api/v1/statistics/charts/pie.svg", headers=rev), 404, "chart_not_found")

    # The XLSX export carries the same numbers.
    r = client.get("/api/v1/statistics/export.xlsx", headers=rev)
    assert r.status_code == 200 and r.data[:2] == b"PK"
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["部门", "任务", "检查要点问题率", "结果代码分布"]
    ws = wb["部门"]
    head = [c.value for c in ws[1]]
    values = dict(zip(head, [c.value for c in ws[2]]))
    assert values["部门"] == "忻州市市场监督管理局" and values["抽取对象数"] == n and values["已封存记录"] == 3
    assert values["已录入结果"] == 2 and values["已完成（按时录入）"] == 1 and values["按时录入率"] == 0.5
    assert values["已逾期"] == 1 and values["退回返工次数"] == 1 and values["完成率"] == round(1 / n, 4)
    assert ws.cell(2, head.index("完成率") + 1).number_format == "0.0%"
    ws = wb["检查要点问题率"]
    head = [c.value for c in ws[1]]
    rows = [dict(zip(head, [c.value for c in r])) for r in ws.iter_rows(min_row=2)]
    failed = [r for r in rows if r["不合格数"]]
    assert len(failed) == 1 and failed[0]["要点"] == key and failed[0]["作答数"] == 3 and failed[0]["问题发现率"] == 0.3333
    ws = wb["结果代码分布"]
    head = [c.value for c in ws[1]]
    assert head == ["部门", "1 未发现问题", "A 发现问题待后续处理", "E 发现问题经责令已改正"]
    assert [c.value for c in ws[2]] == ["忻州市市场监督管理局", 2, 1, 1]
    assert [c.value for c in ws[3]] == ["合计", 2, 1, 1]


def test_chart_labels_wrap_instead_of_losing_their_codes():
    """Long result labels are wrapped from their start: the codes 6 and F stay on the chart, and
    every line fits the label column."""
    from server.review.statistics import _text_width, chart, wrap_label
    from server.visits.rules import RESULT_CODES

    for code, label in RESULT_CODES.items():
        lines = wrap_label(f"{code} {label}", 196)
        assert "".join(lines) == f"{code} {label}" and lines[0].startswith(f"{code} ")
        assert all(_text_width(x) <= 196 for x in lines)
    svg = chart({"outcomes": [{"code": c, "label": RESULT_CODES[c], "count": 2} for c in ("6", "F", "5")]}, "outcomes")
    assert ">6 通过登记的住所" in svg and ">F 未发现开展本次抽查" in svg and ">5 违反其他部门相关规定<" in svg
    long = wrap_label("很" * 100, 100)
    assert len(long) == 3 and long[-1].endswith("…")


def test_on_time_rate_ignores_unknown_deadlines_and_breakdowns(client, login, app):
    """A result entered while its deadline is unknown (next year's calendar missing) does not read
    as late: the on-time rate leaves it out until the office enters the year, then judges it.
    Figures per county and per inspector come with the per-department ones."""
    import datetime as dt

    from tests.support import field

    office, rv = login("office"), login("scjg-reviewer")
    scout = field.Phone(client, "scjg-insp1")
    scout.pull()
    vid = scout.visits()[0]["id"]
    ctx = field.complete_inspection(client, office, vid)
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rv).status_code == 200
    row = client.get("/api/v1/reviews", headers=rv).get_json()
    due_known = next(r for r in row if r["visit_id"] == vid)["due_on"] is not None
    stats = client.get("/api/v1/statistics", headers=rv).get_json()
    dept = stats["departments"][0]
    if not due_known:
        assert dept["entered"] == 1 and dept["entered_deadline_unknown"] == 1 and dept["on_time_rate"] is None
        year = dt.date.today().year + 1
        assert client.post("/api/v1/calendar/overrides", headers=office,
                           json={"from": f"{year}-01-01", "is_workday": False, "note": "元旦"}).status_code == 200
        assert client.put(f"/api/v1/calendar/years/{year}", headers=office,
                          json={"declared_complete": True, "source": "国务院办公厅通知"}).status_code == 200
        dept = client.get("/api/v1/statistics", headers=rv).get_json()["departments"][0]
    assert dept["entered_deadline_unknown"] == 0 and dept["on_time_rate"] == 1.0
    stats = client.get("/api/v1/statistics", headers=rv).get_json()
    assert sum(r["visits"] for r in stats["regions"]) == dept["visits"]
    # Counties by name (the desk shows names, never bare division codes).
    assert all(r["region_name"].endswith(("区", "县", "市")) for r in stats["regions"])
    assert all(len(r["region_code"]) == 6 for r in stats["regions"])
    team = {m["name"] for m in ctx["visit"]["team"]}
    entered = {i["name"] for i in stats["inspectors"] if i["entered"] == 1}
    assert team == entered
