"""Server-rendered pages of the back office's feature: the public verification page of a
record (the record PDF's QR code points here), and the reviewer's desktop screen
(pwa/review.html with pwa/review/*)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, render_template_string, send_from_directory

from ..public.api import verify_rate_limit
from ..public.pages import PAGE
from .record import verification

bp = Blueprint("review_pages", __name__)
PWA_DIR = Path(__file__).resolve().parent.parent.parent / "pwa"

VERIFY = """<p>本页用于核验纸质或电子版《随机抽查情况记录表》是否与系统中封存的记录一致。页面不显示检查内容、
身份证件号码、联系电话、照片或签名。</p>
<table>
<tr><th>记录编号</th><td>{{ v.record_no }}</td></tr>
<tr><th>任务</th><td>{{ v.task_no }} {{ v.task_name }}</td></tr>
<tr><th>检查对象</th><td>{{ v.object_name }}</td></tr>
<tr><th>封存时间</th><td>{{ v.sealed_at }}</td></tr>
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
    body = render_template_string(VERIFY, v=v)
    resp = render_template_string(PAGE, title="检查记录核验", body=body)
    return resp, 200, {"Cache-Control": "no-store"}


@bp.get("/review")
def review_screen():
    """The reviewer's desktop screen (a static page that talks to /api/v1)."""
    if not (PWA_DIR / "review.html").is_file():
        abort(404)
    resp = send_from_directory(PWA_DIR, "review.html", max_age=0)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/office/dashboard")
def office_dashboard():
    """The office dashboard: the same screen, opened on its statistics view."""
    return review_screen()


@bp.get("/review/<path:filename>")
def review_assets(filename: str):
    return send_from_directory(PWA_DIR / "review", filename, max_age=0)
