"""Public HTML pages (results, record verification) and the CSV export (no login)."""
from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, abort, render_template_string, request
from marshmallow import ValidationError
from sqlalchemy import select

from ..accounts.models import Department
from ..errors import Invalid, NotFound, field_error
from ..extensions import db
from ..objections import service as objections
from ..objections.api import file_limit, lookup_limit
from ..objections.schemas import ObjectionFileSchema
from ..review.models import PublishedResult
from ..review.publication import public_row
from ..types import SHANGHAI
from .verification import verification
from .api import verify_rate_limit
from .results import search

bp = Blueprint("public_pages", __name__)

CSV_HEADERS = ["计划编号", "计划名称", "任务编号", "任务名称", "抽查类型", "检查机关", "完成日期", "检查结果",
               "统一社会信用代码", "名称", "结果类型"]

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{{ title }}</title>
<style>*{box-sizing:border-box}body{font:16px/1.6 system-ui,"Noto Sans CJK SC","Noto Sans SC",sans-serif;margin:1rem auto;
max-width:72rem;padding:0 1rem;color:#111;overflow-wrap:anywhere}h1{font-size:1.35rem;line-height:1.4}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.4rem;text-align:left;vertical-align:top}
th{background:#eef}form{margin:1rem 0;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end}
form label{display:flex;flex-direction:column;flex:1 1 14rem}input,button{font-size:16px;padding:.4rem}
.hash{font-family:monospace;word-break:break-all}
.cards{list-style:none;padding:0;margin:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:.8rem}
.card{border:1px solid #c9d1dc;border-radius:.5rem;padding:.7rem .9rem;background:#fff}
.card h2{font-size:1.1rem;margin:0 0 .2rem}.card .code{font-family:monospace;color:#445;font-size:.9rem}
.card dl{display:grid;grid-template-columns:5.5em 1fr;gap:.15rem .6rem;margin:.5rem 0 0}.card dt{color:#556}.card dd{margin:0}
.result{font-weight:600}.object{margin:.5rem 0 0;text-align:right}textarea{font:inherit;width:100%;padding:.4rem}
.notice{border:2px solid #2f6fb0;border-radius:.5rem;padding:.7rem .9rem;background:#f2f7fd}.ref{font:700 1.3rem monospace;letter-spacing:.05em}
.error{color:#b00}.revised{color:#8a5a00;font-size:.9rem}
@media (max-width:40rem){.kv th{width:6.5em}}</style>
</head><body><h1>{{ title }}</h1>{{ body|safe }}</body></html>"""

# One card per published result, the business name first: readable on a 390 px phone and laid out
# in columns on a desktop.
RESULTS = """<form method="get"><label>统一社会信用代码 <input name="credit_code" value="{{ q.credit_code or '' }}"></label>
<label>名称 <input name="name" value="{{ q.name or '' }}"></label> <button>查询</button>
<a href="/api/v1/public/results.csv">下载 CSV</a> <a href="/public/objections">查询异议处理结果</a></form>
<ul class="cards">{% for r in rows %}<li class="card result-card"><h2>{{ r.object_name }}</h2>
{% if r.credit_code %}<div class="code">{{ r.credit_code }}</div>{% endif %}
<dl><dt>检查结果</dt><dd class="result">{{ r.result }}{% if r.corrected_on %}<div class="revised corrected">已更正（{{ r.corrected_on }}）</div>
{% elif r.revised_on %}<div class="revised">（{{ r.revised_on }} 更新）</div>{% endif %}</dd>
<dt>结果类型</dt><dd class="kind">{{ r.kind_label }}</dd>
<dt>完成日期</dt><dd>{{ r.completed_on }}</dd><dt>检查机关</dt><dd>{{ r.authority }}</dd>
<dt>抽查任务</dt><dd>{{ r.task_name }}<br><small>{{ r.task_no }} · {{ r.check_type }}</small></dd>
<dt>抽查计划</dt><dd>{{ r.plan_name }}<br><small>{{ r.plan_no }}</small></dd></dl>
<p class="object"><a href="/public/objections/new?result={{ r.id }}">对此结果提出异议</a></p></li>
{% else %}<li>暂无公示结果</li>{% endfor %}</ul>"""


@bp.get("/public/results")
def results_page():
    q = {"credit_code": request.args.get("credit_code", "")[:18] or None, "name": request.args.get("name", "")[:100] or None}
    rows, _ = search(q["credit_code"], q["name"], None, True, None, 500)
    body = render_template_string(RESULTS, rows=[public_row(r) for r in rows], q=q)
    return render_template_string(PAGE, title="“双随机、一公开”抽查结果公示", body=body)


@bp.get("/public/departments/<code>/results")
def department_results(code: str):
    """Non-market objects (products, projects, behaviours, other organisations): the department's page
    (its own results, and the summaries of joint checks it initiated)."""
    dept = db.session.execute(select(Department).where(Department.code == code[:32])).scalar_one_or_none()
    if dept is None:
        abort(404)
    rows, _ = search(None, None, None, False, dept.id, 500)
    body = render_template_string(RESULTS, rows=[public_row(r) for r in rows], q={})
    return render_template_string(PAGE, title=f"{dept.name}：非市场主体抽查结果公示", body=body)


@bp.get("/api/v1/public/results.csv")
def results_csv():
    """Bulk file for submission to the national enterprise credit publicity system (market entities).

    ``since=YYYY-MM-DD``: only rows published or revised on or after that day (Beijing time), so the
    back office can submit what is new or changed since its last upload."""
    since = request.args.get("since")
    try:
        since_day = dt.date.fromisoformat(since) if since else None
    except ValueError:
        raise Invalid("since 须为日期，格式 YYYY-MM-DD。", code="validation_failed",
                      errors=[field_error("since", "须为 YYYY-MM-DD 格式的日期。")])
    rows, _ = search(None, None, request.args.get("task", "")[:80] or None, True, None, 100000,
                     changed_since=since_day)
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf)
    w.writerow(CSV_HEADERS)
    for r in rows:
        p = public_row(r)
        w.writerow([p["plan_no"], p["plan_name"], p["task_no"], p["task_name"], p["check_type"], p["authority"],
                    p["completed_on"], p["result"], p["credit_code"] or "", p["object_name"], p["kind_label"]])
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=dsr-results.csv"})


VERIFY = """<p>本页用于核验纸质或电子版《随机抽查情况记录表》是否与系统中封存的记录一致。页面不显示检查内容、
身份证件号码、联系电话、照片或签名。</p>
<table class="kv">
<tr><th>记录编号</th><td>{{ v.record_no }}</td></tr>
<tr><th>任务</th><td>{{ v.task_no }} {{ v.task_name }}</td></tr>
<tr><th>检查对象</th><td>{{ v.object_name }}</td></tr>
<tr><th>封存时间</th><td>{{ sealed }}</td></tr>
<tr><th>内容哈希 SHA-256</th><td class="hash" id="content-hash">{{ v.content_sha256 }}</td></tr>
<tr><th>核验结果</th><td id="verdict">{% if v.intact %}<strong style="color:#075">✔ 记录完好：系统中的记录、签名和照片与封存时一致</strong>
{% else %}<strong style="color:#b00">✘ 记录已被改动：{{ v.problem }}</strong>{% endif %}</td></tr>
{% if v.review_status %}<tr><th>审核状态</th><td>{{ v.review_status }}</td></tr>{% endif %}
</table>
<p>请核对记录表页脚和二维码旁印的内容哈希与上面的是否完全一致。</p>"""


@bp.get("/verify/<uuid:visit_id>")
@verify_rate_limit
def verify_page(visit_id):
    v = verification(str(visit_id))
    if v is None:
        abort(404)
    try:  # Beijing time to the minute, as the record form prints it
        sealed = dt.datetime.fromisoformat(v["sealed_at"]).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M（北京时间）")
    except (TypeError, ValueError):
        sealed = v["sealed_at"]
    body = render_template_string(VERIFY, v=v, sealed=sealed)
    resp = render_template_string(PAGE, title="检查记录核验", body=body)
    return resp, 200, {"Cache-Control": "no-store"}


OBJECTION_FORM = """<p>对下列公示结果有异议的，请填写异议内容和联系方式（联系方式不公开，仅供公示部门核实）。
提交后请记下异议编号，凭编号查询处理结果。</p>
<div class="card"><h2>{{ r.object_name }}</h2><dl><dt>检查结果</dt><dd class="result">{{ r.result }}</dd>
<dt>检查机关</dt><dd>{{ r.authority }}</dd><dt>抽查任务</dt><dd>{{ r.task_name }}</dd></dl></div>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/public/objections/new?result={{ r.id }}" id="objection-form">
<label>异议人（单位或个人） <input name="name" value="{{ f.name or '' }}" required maxlength="100"></label>
<label>联系电话或电子邮箱 <input name="contact" value="{{ f.contact or '' }}" required maxlength="100"></label>
<label style="flex-basis:100%">异议内容与理由 <textarea name="text" rows="6" required maxlength="4000">{{ f.text or '' }}</textarea></label>
<button>提交异议</button></form>"""

OBJECTION_STATUS = """<form method="get" action="/public/objections"><label>异议编号 <input name="reference" value="{{ ref or '' }}"
placeholder="如 YY20261206-ABCD2345"></label> <button>查询</button></form>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
{% if o %}{% if filed %}<div class="notice"><p>异议已提交。请记下异议编号：</p><p class="ref" id="reference">{{ o.reference }}</p></div>{% endif %}
<table class="kv" id="objection"><tr><th>异议编号</th><td>{{ o.reference }}</td></tr>
<tr><th>检查对象</th><td>{{ o.object_name }}</td></tr><tr><th>抽查任务</th><td>{{ o.task_name }}</td></tr>
<tr><th>提出日期</th><td>{{ o.filed_on }}</td></tr><tr><th>处理状态</th><td id="objection-status">{{ o.status_label }}</td></tr>
{% if o.decided_on %}<tr><th>处理日期</th><td>{{ o.decided_on }}</td></tr><tr><th>处理意见</th><td>{{ o.decision_reason }}</td></tr>{% endif %}
<tr><th>当前公示结果</th><td>{{ o.result }}{% if o.corrected_on %}<br><span class="revised">已更正（{{ o.corrected_on }}）</span>{% endif %}</td></tr>
</table>{% endif %}"""


def _page(title: str, template: str, status: int = 200, **ctx):
    body = render_template_string(template, **ctx)
    return render_template_string(PAGE, title=title, body=body), status, {"Cache-Control": "no-store"}


@bp.get("/public/objections/new")
def objection_form():
    row = db.session.get(PublishedResult, request.args.get("result", type=int) or 0)
    if row is None:
        abort(404)
    return _page("对公示结果提出异议", OBJECTION_FORM, r=public_row(row), f={}, error=None)


@bp.post("/public/objections/new")
@file_limit
def objection_submit():
    row = db.session.get(PublishedResult, request.args.get("result", type=int) or 0)
    if row is None:
        abort(404)
    form = {k: request.form.get(k, "")[:4000] for k in ("name", "contact", "text")}
    try:
        args = ObjectionFileSchema().load({**form, "result_id": row.id})
    except ValidationError as e:
        first = next(iter(e.messages.values()))
        msg = first[0] if isinstance(first, list) else str(first)
        return _page("对公示结果提出异议", OBJECTION_FORM, 422, r=public_row(row), f=form, error=f"未能提交：{msg}")
    obj = objections.file_objection(row.id, args["name"], args["contact"], args["text"])
    db.session.commit()
    return _page("异议已提交", OBJECTION_STATUS, 201, o=objections.public_view(obj), ref=obj.reference, filed=True, error=None)


@bp.get("/public/objections")
@lookup_limit
def objection_lookup():
    ref = request.args.get("reference", "").strip()[:40]
    if not ref:
        return _page("查询异议处理结果", OBJECTION_STATUS, o=None, ref="", filed=False, error=None)
    try:
        obj = objections.by_reference(ref)
    except NotFound:
        return _page("查询异议处理结果", OBJECTION_STATUS, 404, o=None, ref=ref, filed=False, error="没有这个异议编号，请核对后再查。")
    return _page("查询异议处理结果", OBJECTION_STATUS, o=objections.public_view(obj), ref=ref, filed=False, error=None)
