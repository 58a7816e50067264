"""Statistics of the checks, per department and per task; each department counts its own entries
(a joint record is entered once by every department that checked it).

- completion: a visit counts as completed only when its result was entered within the
  20-working-day deadline (rules Art. 20: not entered in time = not completed);
  ``completion_rate`` = completed / visits drawn;
- ``on_time_rate`` = entered on time / entered;
- open records: due soon, overdue, deadline unknown;
- problem rate per item and checkpoint: "fail" answers / pass-or-fail answers, over sealed records;
- outcome code distribution over sealed records, each department's own codes (the result it
  entered, or, while its entry is open, what approving would enter);
- returned for rework: how many times records were returned to the team (and how many records).
Also rendered as SVG charts (no script, our own origin) and as an XLSX workbook.
"""
from __future__ import annotations

import io
from collections import Counter, defaultdict
from xml.sax.saxutils import escape

from sqlalchemy import func, select

from openpyxl import Workbook
from openpyxl.styles import Font

from ..accounts.auth import Principal
from ..accounts.models import Department
from ..calendar.service import deadline_state
from ..catalog.models import CheckItem, CheckItemVersion
from ..draws.access import of_department
from ..draws.models import InspectionTask
from ..extensions import db
from ..types import local_today
from ..visits.models import Visit, Answer, VisitRecord
from ..visits.rules import RESULT_CODES
from .entries import departments_that_checked
from .models import Review, ReviewComment
from .service import ENTERED, OPEN, due_of, entered_on_time
from .stats_breakdown import breakdown


def _rate(n: int, d: int) -> float | None:
    return None if d == 0 else round(n / d, 4)


def _blank() -> dict:
    return {"visits": 0, "sealed": 0, "entered": 0, "entered_on_time": 0, "entered_deadline_unknown": 0, "completed": 0,
            "open": 0, "due_soon": 0, "overdue": 0, "deadline_unknown": 0, "returned_records": 0, "returns": 0}


def _finish(c: dict) -> dict:
    c["completion_rate"] = _rate(c["completed"], c["visits"])
    # Results entered while the deadline was (and still is) unknown are neither on time nor late.
    c["on_time_rate"] = _rate(c["entered_on_time"], c["entered"] - c["entered_deadline_unknown"])
    return c


def visible_tasks(principal: Principal, department_id: int | None = None, task_id: int | None = None):
    """Tasks of the principal's department (initiated or taken part in); the office's: all, or one department's."""
    stmt = select(InspectionTask).order_by(InspectionTask.id)
    if not principal.sees_everything:
        stmt = stmt.where(of_department(principal.department_id))
    if department_id is not None:
        stmt = stmt.where(of_department(department_id))
    if task_id is not None:
        stmt = stmt.where(InspectionTask.id == task_id)
    return list(db.session.execute(stmt).scalars())


def counted_departments(principal: Principal, task: InspectionTask, department_id: int | None) -> list[int]:
    """The departments whose own entries of the task's records count here: each department counts
    its own (谁检查、谁录入); the office every department's, or the one it asked for."""
    wanted = {principal.department_id} if not principal.sees_everything else \
        ({department_id} if department_id is not None else None)
    return [d.department_id for d in departments_that_checked(task) if wanted is None or d.department_id in wanted]


def compute(principal: Principal, department_id: int | None = None, task_id: int | None = None) -> dict:
    """Each department's own entries: a joint record counts once for every department that checked
    it (one entry each), in that department's row and in the task's."""
    visible = visible_tasks(principal, department_id, task_id)
    depts_of = {t.id: counted_departments(principal, t, department_id) for t in visible}
    tasks = [t for t in visible if depts_of[t.id]]
    task_ids = [t.id for t in tasks]
    today = local_today()
    per_task: dict[int, dict] = {t.id: _blank() for t in tasks}
    outcomes_task: dict[int, Counter] = {t.id: Counter() for t in tasks}
    names = {d.id: d for d in db.session.execute(select(Department)).scalars()}
    dept_rows: dict[int, dict] = {}
    dept_outcomes: dict[int, Counter] = defaultdict(Counter)

    def dept_row(did: int) -> dict:
        return dept_rows.setdefault(did, {"department_id": did, "department": names[did].name,
                                          "department_code": names[did].code, "tasks": 0, **_blank()})

    for t in tasks:
        for did in depts_of[t.id]:
            dept_row(did)["tasks"] += 1
    problems: dict[tuple, dict] = {}
    if task_ids:
        for tid, n in db.session.execute(select(Visit.task_id, func.count()).where(Visit.task_id.in_(task_ids))
                                         .group_by(Visit.task_id)).all():
            per_task[tid]["visits"] = n * len(depts_of[tid])
            for did in depts_of[tid]:
                dept_row(did)["visits"] += n
        sealed = db.session.execute(select(Visit.id, Visit.task_id)
                                    .join(VisitRecord, VisitRecord.visit_id == Visit.id)
                                    .where(Visit.task_id.in_(task_ids), VisitRecord.sealed_at.is_not(None))).all()
        sealed_ids = {vid: tid for vid, tid in sealed}
        for vid, tid in sealed:
            per_task[tid]["sealed"] += len(depts_of[tid])
            for did in depts_of[tid]:
                dept_row(did)["sealed"] += 1
        returns = Counter({(vid, did): n for vid, did, n in db.session.execute(
            select(ReviewComment.visit_id, ReviewComment.department_id, func.count(func.distinct(ReviewComment.round)))
            .where(ReviewComment.kind == "return", ReviewComment.visit_id.in_(list(sealed_ids) or [""]))
            .group_by(ReviewComment.visit_id, ReviewComment.department_id)).all()})
        for r in db.session.execute(select(Review).where(Review.task_id.in_(task_ids))).scalars():
            if r.department_id not in depts_of[r.task_id]:
                continue
            if r.visit_id in sealed_ids:  # the department's own codes: entered, or those it would enter
                outcomes_task[r.task_id].update(r.result_codes or [])
                dept_outcomes[r.department_id].update(r.result_codes or [])
            for c in (per_task[r.task_id], dept_row(r.department_id)):
                if r.status in ENTERED:
                    c["entered"] += 1
                    on_time = entered_on_time(r)
                    if on_time is None:
                        c["entered_deadline_unknown"] += 1
                    elif on_time:
                        c["entered_on_time"] += 1
                        c["completed"] += 1
                elif r.status in OPEN:
                    c["open"] += 1
                    state = deadline_state(due_of(r)[0], today)
                    key = {"due_soon": "due_soon", "overdue": "overdue", "unknown": "deadline_unknown"}.get(state)
                    if key:
                        c[key] += 1
                if returns.get((r.visit_id, r.department_id)):
                    c["returned_records"] += 1
                    c["returns"] += returns[(r.visit_id, r.department_id)]
        # Problem rate per item and checkpoint, over sealed records' pass/fail answers.
        rows = db.session.execute(select(Answer.visit_id, Answer.item_id, Answer.item_version, Answer.checkpoint_key,
                                         Answer.value).where(Answer.visit_id.in_(list(sealed_ids) or [""]))).all()
        for vid, item_id, version, key, value in rows:
            if value not in ("pass", "fail"):
                continue
            p = problems.setdefault((sealed_ids[vid], item_id, key), {"answered": 0, "fail": 0, "version": version})
            p["answered"] += 1
            p["fail"] += value == "fail"
    task_rows = []
    for t in tasks:
        c = _finish(per_task[t.id])
        task_rows.append({"task_id": t.id, "task_code": t.code, "task_name": t.name,
                          "department_id": t.initiating_department_id,
                          "department": names[t.initiating_department_id].name, **c,
                          "outcomes": dict(sorted(outcomes_task[t.id].items()))})
    departments = []
    for did, d in sorted(dept_rows.items()):
        departments.append({**_finish(d), "outcomes": dict(sorted(dept_outcomes[did].items()))})
    problem_rows = []
    item_cache: dict = {}
    for (tid, item_id, key), p in sorted(problems.items()):
        if item_id not in item_cache:
            item = db.session.get(CheckItem, item_id)
            item_cache[item_id] = item
        item = item_cache[item_id]
        v = db.session.execute(select(CheckItemVersion).where(CheckItemVersion.item_id == item_id,
                                                              CheckItemVersion.version == p["version"])).scalar_one_or_none()
        prompt = next((c.prompt for c in (v.checkpoints if v else []) if c.key == key), key)
        problem_rows.append({"task_id": tid, "item_id": item_id, "item_code": item.code,
                             "item_name": v.name if v else item.code, "checkpoint_key": key, "checkpoint": prompt,
                             "department": names[item.department_id].name if item.department_id in names else None,
                             "answered": p["answered"], "fail": p["fail"], "problem_rate": _rate(p["fail"], p["answered"])})
    total = Counter()
    for d in departments:
        total.update(d["outcomes"])
    return {"as_of": today.isoformat(), "departments": departments, "tasks": task_rows, "problems": problem_rows,
            **breakdown(task_ids, depts_of),
            "outcomes": [{"code": c, "label": RESULT_CODES.get(c, c), "count": n} for c, n in sorted(total.items())]}


# --- SVG charts ---------------------------------------------------------------------------

FONT = 'font-family="Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"'


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(title)}" {FONT} font-size="13">'
            f'<title>{escape(title)}</title><rect width="100%" height="100%" fill="#fff"/>'
            f'<text x="12" y="22" font-size="15" font-weight="bold">{escape(title)}</text>' + "".join(body) + "</svg>")


def _text_width(text: str, size: float = 13) -> float:
    """Rough rendered width: a CJK character is one em, anything else about 0.58 em."""
    return sum(size if ord(ch) > 0x2e7f else size * 0.58 for ch in text)


def wrap_label(label: str, width: float, max_lines: int = 3) -> list[str]:
    """The label in lines that fit `width` pixels, from its start (so a leading code such as "6" or
    "F" is never lost); a label longer than `max_lines` lines ends with "…"."""
    lines, line = [], ""
    for ch in label:
        if line and _text_width(line + ch) > width:
            lines.append(line)
            line = ""
        line += ch
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _text_width(last + "…") > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _bars(title: str, rows: list[tuple[str, list[tuple[str, float | None, str]]]], percent: bool = True,
          width: int = 640) -> str:
    """Horizontal bars: rows of (label, [(series, value, colour)])."""
    label_w, top, bar_h, gap, line_h = 210, 40, 16, 10, 16
    series = rows[0][1] if rows else []
    maxv = 1.0 if percent else max([v or 0 for _, vals in rows for _, v, _ in vals] + [1])
    plot_w = width - label_w - 70
    body, y = [], top
    for label, vals in rows:
        lines = wrap_label(label, label_w - 14)
        row_h = max(bar_h * len(vals), line_h * len(lines))
        first = y + row_h / 2 - line_h * (len(lines) - 1) / 2 + 4
        body.append(f'<text x="{label_w - 8}" y="{first:.1f}" text-anchor="end">' + "".join(
            f'<tspan x="{label_w - 8}" dy="{0 if i == 0 else line_h}">{escape(t)}</tspan>' for i, t in enumerate(lines))
            + "</text>")
        y0 = y
        for name, v, colour in vals:
            w = 0 if v is None else plot_w * (v / maxv)
            shown = "—" if v is None else (f"{v * 100:.0f}%" if percent else f"{v:g}")
            body.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{colour}">'
                        f'<title>{escape(label)} {escape(name)}：{shown}</title></rect>')
            body.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4}" font-size="11">{shown}</text>')
            y += bar_h
        y = y0 + row_h + gap
    lx = label_w
    for name, _, colour in series:
        body.append(f'<rect x="{lx}" y="{y + 2}" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{lx + 14}" y="{y + 11}" font-size="11">{escape(name)}</text>')
        lx += 30 + 13 * len(name)
    return _svg(width, y + 24, title, body)


def chart(stats: dict, kind: str) -> str:
    if kind == "completion":
        rows = [(d["department"], [("完成率（按时录入）", d["completion_rate"], "#2f6fb0"),
                                   ("按时录入率", d["on_time_rate"], "#3a9a5b")]) for d in stats["departments"]]
        rows += [(t["task_code"].split("-")[-1] + " " + t["task_name"], [("完成率（按时录入）", t["completion_rate"], "#2f6fb0"),
                                                                        ("按时录入率", t["on_time_rate"], "#3a9a5b")])
                 for t in stats["tasks"]]
        return _bars("完成率与按时录入率（部门、任务）", rows)
    if kind == "outcomes":
        rows = [(f"{o['code']} {o['label']}", [("记录数", float(o["count"]), "#8a5cb8")]) for o in stats["outcomes"]]
        return _bars("检查结果代码分布", rows, percent=False)
    if kind == "problems":
        top = sorted(stats["problems"], key=lambda p: (-(p["problem_rate"] or 0), p["item_code"], p["checkpoint_key"]))[:12]
        rows = [("-".join(p["item_code"].split("-")[-2:]) + f"·{p['checkpoint']}", [("问题发现率", p["problem_rate"], "#c0392b")])
                for p in top]
        return _bars("检查要点问题发现率（前 12 项）", rows)
    if kind == "deadlines":
        rows = [(d["department"], [("临近截止", float(d["due_soon"]), "#e0a000"), ("已逾期", float(d["overdue"]), "#c0392b"),
                                   ("退回返工次数", float(d["returns"]), "#777")]) for d in stats["departments"]]
        return _bars("待录入：临近截止、已逾期与退回返工", rows, percent=False)
    raise KeyError(kind)


CHARTS = ("completion", "deadlines", "outcomes", "problems")


# --- XLSX -----------------------------------------------------------------------------------

DEPT_COLUMNS = [("department", "部门"), ("tasks", "任务数"), ("visits", "抽取对象数"), ("sealed", "已封存记录"),
                ("entered", "已录入结果"), ("entered_on_time", "按时录入"), ("completed", "已完成（按时录入）"),
                ("completion_rate", "完成率"), ("on_time_rate", "按时录入率"), ("due_soon", "临近截止"),
                ("overdue", "已逾期"), ("deadline_unknown", "截止日期未知"), ("returned_records", "退回返工记录数"),
                ("returns", "退回返工次数")]
TASK_COLUMNS = [("task_code", "任务编号"), ("task_name", "任务名称")] + DEPT_COLUMNS[:1] + DEPT_COLUMNS[2:]
PROBLEM_COLUMNS = [("task_id", "任务"), ("item_code", "事项编号"), ("item_name", "事项名称"), ("department", "事项所属部门"),
                   ("checkpoint_key", "要点"), ("checkpoint", "检查要点"), ("answered", "作答数"), ("fail", "不合格数"),
                   ("problem_rate", "问题发现率")]


def xlsx(stats: dict) -> bytes:
    wb = Workbook()
    sheets = [("部门", DEPT_COLUMNS, stats["departments"]), ("任务", TASK_COLUMNS, stats["tasks"]),
              ("检查要点问题率", PROBLEM_COLUMNS, stats["problems"])]
    first = True
    for title, columns, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        ws.append([h for _, h in columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([r.get(k) for k, _ in columns])
        for idx, (key, _) in enumerate(columns, start=1):
            if key.endswith("rate"):
                for row in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                    row[0].number_format = "0.0%"
        ws.freeze_panes = "A2"
    ws = wb.create_sheet("结果代码分布")
    codes = sorted({c for d in stats["departments"] for c in d["outcomes"]} | {o["code"] for o in stats["outcomes"]})
    ws.append(["部门"] + [f"{c} {RESULT_CODES.get(c, c)}" for c in codes])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for d in stats["departments"]:
        ws.append([d["department"]] + [d["outcomes"].get(c, 0) for c in codes])
    ws.append(["合计"] + [next((o["count"] for o in stats["outcomes"] if o["code"] == c), 0) for c in codes])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
