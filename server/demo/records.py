"""One sealed joint record whose departments enter their results separately (谁检查、谁录入).

The first visit of the demo joint task is inspected as its team would on their phones (through
the same mutators a sync push runs): every department answers its own items, the emergency
management inspector (yjgl) records a problem with photos, the parties sign and the leader seals.
Then the market regulator's reviewer (scjg) enters and publishes scjg's result ("未发现问题"),
yjgl's reviewer enters yjgl's ("发现问题待后续处理"); the health commission (wsjk) has not entered
yet, so the joint summary waits. Log in as wsjk-reviewer to enter the last one, then as
scjg-reviewer to publish the summary.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid

from PIL import Image
from sqlalchemy import select

from media.uploads import arrive_bytes
from sync.registry import MUTATORS, MutationContext

from ..catalog.models import CheckItem
from ..inspectors.models import Inspector
from ..registry.models import InspectionObject
from ..review import publication
from ..review import service as review
from ..types import SHANGHAI
from ..visits.content import content_sha256
from ..visits.models import Visit, VisitRecord
from ..visits.seal import task_item_versions
from ..extensions import db
from .catalog import principal_for

LEGAL_REP_ID = "11010519491231002X"  # the standard's example number, not a real person's
STROKES = [[[12.0, 30.0, 0, 0.5], [40.0, 22.0, 18, 0.6], [70.0, 34.0, 36, 0.55]]]
ANSWERS = {"pass_fail_na": "pass", "number": "4", "text": "情况正常"}
# yjgl's checkpoint that fails, and the finding its inspector records.
YJGL_FAIL = ("YJGL-AQ-001", "cp4")
YJGL_FINDING = "隐患排查治理台账未及时更新，2 处消防通道堆放杂物未整改"


def _png(seed: str) -> bytes:
    n = int(hashlib.sha256(seed.encode()).hexdigest()[:6], 16)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (n & 255, (n >> 8) & 255, (n >> 16) & 255)).save(buf, "PNG")
    return buf.getvalue()


class Phone:
    """One team member's phone: mutations as a sync push applies them, at on-site times."""

    def __init__(self, user, visit_id: str, start: dt.datetime):
        self.principal, self.visit_id, self.start, self.user_id = principal_for(user), visit_id, start, user.id
        self.step = 0

    def time(self) -> str:
        self.step += 1
        return (self.start + dt.timedelta(minutes=self.step)).isoformat(timespec="seconds")

    def do(self, name: str, **args) -> None:
        m = MUTATORS[name]
        at = self.time()
        m.fn(MutationContext(self.principal, "demo-phone", self.step, at), m.schema.load({"visit_id": self.visit_id, **args}))

    def photo(self, target: dict, kind: str = "photo", data: bytes | None = None) -> tuple[str, str]:
        mid = str(uuid.uuid4())
        data = data if data is not None else _png(mid)
        sha = hashlib.sha256(data).hexdigest()
        self.do("media.attach", media_id=mid, sha256=sha, kind=kind, target=target, claim={"captured_at": self.time()})
        arrive_bytes(mid, data, kind, "image/png", user_id=self.user_id, filename=f"{kind}.png")
        return mid, sha

    def sign(self, image: bytes | None = None, **args) -> None:
        """A signature (or the stamp's photo) captured on this phone, bound to ``content_sha256``."""
        sid = str(uuid.uuid4())
        mid, sha = self.photo({"type": "signature", "id": sid}, kind="signature", data=image)
        self.do("signature.capture", signature_id=sid, image_media_id=mid, image_sha256=sha, **args)


def load(ctx: dict) -> None:
    users = {u.id: u for u in ctx["users"].values()}
    task = ctx["task"]
    visits = db.session.execute(select(Visit).where(Visit.task_id == task.id).order_by(Visit.stratum, Visit.rank)).scalars()
    visit = next(v for v in visits if {m.department_id for m in v.members if m.active and m.user_id}
                 >= {ctx["departments"][c].id for c in ("scjg", "yjgl", "wsjk")})
    members = [m for m in visit.members if m.active]
    start = dt.datetime.now(SHANGHAI).replace(microsecond=0) - dt.timedelta(hours=2)
    phones = {}
    for m in members:
        if m.user_id is not None and m.department_id not in phones:
            phones[m.department_id] = Phone(users[m.user_id], visit.id, start)
    leader = Phone(users[next(m.user_id for m in members if m.role == "leader")], visit.id, start)
    leader.do("visit.arrive", at=leader.time(), gps={"lat": 38.4167, "lon": 112.7333, "accuracy": 10.0}, method="onsite")
    leader.do("visit.present", inspector_ids=sorted(m.inspector_id for m in members))
    leader.do("visit.credentials_shown", at=leader.time())
    leader.do("visit.rights_informed", at=leader.time())
    for v in task_item_versions(visit):
        item = db.session.get(CheckItem, v.item_id)
        phone = phones[item.department_id]
        for cp in v.checkpoints:
            failed = (item.code, cp.key) == YJGL_FAIL
            value = "fail" if failed else ANSWERS.get(cp.answer_type) or (cp.choices or ["未发现"])[0]
            phone.do("answer.set", item_id=v.item_id, checkpoint_key=cp.key, value=value,
                     note="现场查看台账，2 处消防通道堆放杂物" if failed else None)
            if cp.photo_required:
                phone.photo({"type": "answer", "id": f"{v.item_id}:{cp.key}"})
            if failed:
                fid = str(uuid.uuid4())
                mid, _ = phone.photo({"type": "finding", "id": fid})
                phone.do("finding.add", finding_id=fid, item_id=v.item_id, checkpoint_key=cp.key,
                         description=YJGL_FINDING, legal_basis="《中华人民共和国安全生产法》第四十一条",
                         measures=["urge_rectify"], media_ids=[mid])
    leader.do("outcome.set", codes=["A"], followup="rectify", followup_note="责令限期整改，复查由应急管理局负责")
    record = db.session.get(VisitRecord, visit.id)
    current = content_sha256(visit, record)
    obj = db.session.get(InspectionObject, visit.object_id)
    signers = [("legal_rep", obj.legal_rep_name or "法定代表人", {"id_number": LEGAL_REP_ID})] + \
        [("inspector", db.session.get(Inspector, m.inspector_id).name, {"inspector_id": m.inspector_id})
         for m in members[:2]]
    for role, name, extra in signers:
        leader.sign(role=role, signer_name=name, content_sha256=current, strokes=STROKES, **extra)
    leader.do("visit.seal", content_sha256=current)
    # Each department enters the result of its own items.
    reviewer = principal_for(ctx["users"]["scjg-reviewer"])
    review.approve(reviewer, visit.id, ["1"])
    publication.publish(reviewer, visit.id)
    review.approve(principal_for(ctx["users"]["yjgl-reviewer"]), visit.id)
    ctx["joint_record"] = visit.id
