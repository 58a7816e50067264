"""Two more sealed records of the demo joint task, waiting in the review queue: a documentary
check (书面检查) and an on-site check the party confirmed with the company stamp (盖章确认).

- The documentary check: its team leader chose the method before the visit (an audited choice,
  as on the phone), the departments answered their items from the documents the business
  submitted, the inspector who reviewed them recorded the documents and their scans, and signed.
- The stamped record: an ordinary on-site check whose party confirmed the summary with a photo
  of the company stamp (no ID number needed), bound to the content hash like a signature.

Both show on the review desk (scjg-reviewer) and in the record PDF.
"""
from __future__ import annotations

import datetime as dt
import io
import math

from PIL import Image, ImageDraw
from sqlalchemy import select

from ..catalog.models import CheckItem
from ..extensions import db
from ..inspectors.models import Inspector
from ..registry.models import InspectionObject
from ..types import SHANGHAI
from ..visits import method_choice
from ..visits.content import content_sha256
from ..visits.models import Visit, VisitRecord
from ..visits.seal import task_item_versions
from .catalog import principal_for
from .records import ANSWERS, STROKES, Phone

DOCUMENTS = "营业执照复印件 1 份、食品经营许可证复印件 1 份、2026 年 11 月进货查验记录 12 页（当事人 12 月 1 日提交）"


def stamp_png() -> bytes:
    """A photo-like image of a round red company stamp (generated: no real company's seal)."""
    img = Image.new("RGB", (240, 240), (250, 248, 240))
    d = ImageDraw.Draw(img)
    red = (200, 30, 30)
    d.ellipse((20, 20, 220, 220), outline=red, width=8)
    d.ellipse((34, 34, 206, 206), outline=red, width=2)
    cx, cy, r = 120, 120, 38
    star = [(cx + (r if k % 2 == 0 else r * 0.4) * math.sin(k * math.pi / 5),
             cy - (r if k % 2 == 0 else r * 0.4) * math.cos(k * math.pi / 5)) for k in range(10)]
    d.polygon(star, fill=red)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _visits(ctx: dict, n: int) -> list[Visit]:
    """The next ``n`` untouched visits of the demo task whose whole team has accounts."""
    visits = db.session.execute(select(Visit).where(Visit.task_id == ctx["task"].id, Visit.status == "not_started")
                                .order_by(Visit.stratum, Visit.rank)).scalars()
    out = [v for v in visits if all(m.user_id for m in v.members if m.active)]
    return out[:n]


def _team(ctx: dict, visit: Visit, start: dt.datetime) -> tuple[Phone, dict[int, Phone], list]:
    users = {u.id: u for u in ctx["users"].values()}
    members = [m for m in visit.members if m.active]
    phones = {}
    for m in members:
        phones.setdefault(m.department_id, Phone(users[m.user_id], visit.id, start))
    leader = Phone(users[next(m.user_id for m in members if m.role == "leader")], visit.id, start)
    return leader, phones, members


def _answer_all(visit: Visit, phones: dict[int, Phone], photos: bool) -> None:
    for v in task_item_versions(visit):
        phone = phones[db.session.get(CheckItem, v.item_id).department_id]
        for cp in v.checkpoints:
            phone.do("answer.set", item_id=v.item_id, checkpoint_key=cp.key,
                     value=ANSWERS.get(cp.answer_type) or (cp.choices or ["未发现"])[0], note=None)
            if photos and cp.photo_required:
                phone.photo({"type": "answer", "id": f"{v.item_id}:{cp.key}"})


def _inspectors_sign(leader: Phone, visit: Visit, members: list, n: int) -> None:
    current = content_sha256(visit, db.session.get(VisitRecord, visit.id))
    for m in members[:n]:
        leader.sign(role="inspector", signer_name=db.session.get(Inspector, m.inspector_id).name, content_sha256=current,
                    strokes=STROKES, inspector_id=m.inspector_id)
    leader.do("visit.seal", content_sha256=current)


def documentary(ctx: dict, visit: Visit, start: dt.datetime) -> None:
    leader, phones, members = _team(ctx, visit, start)
    method_choice.choose(leader.principal, visit, "documentary")
    reviewer = next(m for m in members if m.role == "leader")
    leader.do("visit.present", inspector_ids=[reviewer.inspector_id])
    leader.photo({"type": "method", "id": None})
    leader.do("visit.method", method="documentary", details={"documents_received": DOCUMENTS})
    _answer_all(visit, phones, photos=False)
    leader.do("outcome.set", codes=["1"], followup="none", followup_note=None)
    leader.do("visit.end_check", at=leader.time())
    _inspectors_sign(leader, visit, [reviewer], 1)


def stamped(ctx: dict, visit: Visit, start: dt.datetime) -> None:
    leader, phones, members = _team(ctx, visit, start)
    leader.do("visit.arrive", at=leader.time(), gps={"lat": 38.4169, "lon": 112.7351, "accuracy": 12.0}, method="onsite")
    leader.do("visit.present", inspector_ids=sorted(m.inspector_id for m in members))
    leader.do("visit.credentials_shown", at=leader.time())
    leader.do("visit.rights_informed", at=leader.time())
    _answer_all(visit, phones, photos=True)
    leader.do("outcome.set", codes=["1"], followup="none", followup_note=None)
    leader.do("visit.end_check", at=leader.time())
    current = content_sha256(visit, db.session.get(VisitRecord, visit.id))
    company = db.session.get(InspectionObject, visit.object_id).name
    leader.sign(role="legal_rep", kind="stamp", signer_name=company[:64], content_sha256=current, image=stamp_png())
    _inspectors_sign(leader, visit, members, 2)


def load(ctx: dict) -> None:
    start = dt.datetime.now(SHANGHAI).replace(microsecond=0) - dt.timedelta(hours=5)
    doc, stamp = _visits(ctx, 2)
    documentary(ctx, doc, start)
    stamped(ctx, stamp, start + dt.timedelta(hours=2))
    ctx["documentary_record"], ctx["stamped_record"] = doc.id, stamp.id
