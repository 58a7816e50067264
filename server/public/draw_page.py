"""The public page of a draw (/public/draws/<task_id>): what `/api/v1/public/draws/<id>` holds,
laid out to be read on a phone (long hashes wrap, the selection as a numbered list)."""
from __future__ import annotations

import datetime as dt

from flask import render_template_string

from ..draws.service import get_task
from ..draws.views import public_view
from ..types import SHANGHAI
from .pages import PAGE, bp

DRAW = """<p>本页公开本次随机抽取的全部可核验信息：抽取前公布的承诺值、公开随机数来源与数值、种子和抽中的检查对象。
任何人都可以用 <code>tools/verify_draw.py</code> 和审计包重新计算并核对（不含信用风险分类）。</p>
<table class="kv" id="draw">
<tr><th>任务</th><td>{{ d.task.code }} {{ d.task.name }}</td></tr>
<tr><th>牵头部门</th><td>{{ d.task.initiating_department.name }}</td></tr>
{% if d.task.participating_departments %}<tr><th>参与部门</th><td>{{ d.task.participating_departments|map(attribute='name')|join('、') }}</td></tr>{% endif %}
<tr><th>检查期间</th><td>{{ d.task.window_start }} 至 {{ d.task.window_end }}</td></tr>
<tr><th>承诺值</th><td class="hash">{{ d.commitment or '—' }}</td></tr>
<tr><th>承诺时间</th><td>{{ when(d.committed_at) }}</td></tr>
<tr><th>公开随机数</th><td>{{ d.beacon.source }} {{ d.beacon.reference }}<br><span class="hash">{{ d.beacon_value or '尚未公布' }}</span></td></tr>
<tr><th>种子</th><td class="hash">{{ d.seed or '抽取完成后公布' }}</td></tr>
<tr><th>抽取时间</th><td>{{ when(d.drawn_at) }}</td></tr>
<tr><th>名录快照哈希</th><td class="hash">{{ d.snapshot_hash }}</td></tr>
<tr><th>抽取方案哈希</th><td class="hash">{{ d.plan_hash }}</td></tr>
</table>
<h2>各层数量</h2><table id="strata"><tr><th>分层</th><th>对象总数</th><th>抽取数</th></tr>
{% for s, c in d.counts.items() %}<tr><td>第 {{ loop.index }} 层</td><td>{{ c.N }}</td><td>{{ c.n }}</td></tr>{% endfor %}</table>
<h2>抽中的检查对象（{{ d.selected|length }}）</h2>
<ol id="selected">{% for o in d.selected %}<li>{{ o.name }}{% if o.credit_code %} <span class="hash">{{ o.credit_code }}</span>{% endif %}
{% if o.withdrawn %}<small>（经批准替换）</small>{% endif %}</li>{% else %}<li>抽取尚未完成</li>{% endfor %}</ol>"""


def _when(iso: str | None) -> str:
    if not iso:
        return "—"
    return dt.datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M（北京时间）")


@bp.get("/public/draws/<int:task_id>")
def draw_page(task_id: int):
    d = public_view(get_task(task_id))
    body = render_template_string(DRAW, d=d, when=_when)
    return render_template_string(PAGE, title="随机抽取公开信息", body=body), 200, {"Cache-Control": "no-store"}
