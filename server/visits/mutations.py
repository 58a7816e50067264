"""Sync mutators for the on-site record (registered into sync/ at import).

Each validates its args (marshmallow), checks the caller's place in the team
and the item's department, refuses sealed records, records history for
overwritten values, and queues the visit for the team's next pull.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from marshmallow import fields, validate
from sqlalchemy import and_, bindparam, select

from sync import batch
from sync.registry import Outcome, mutator
from media import service as media_service

from ..audit import service as audit
from ..catalog.models import CheckItem, CheckItemVersion, Checkpoint
from ..draws.models import InspectionTask
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..plans.models import PlanTaskItem
from ..schemas import BaseSchema
from ..types import utcnow
from . import batched
from .access import amendment_record, member_of, refuse_if_sealed, team_visit, touched, writable_record
from .announce import announce
from .clock import refuse_future, refuse_future_capture
from .method_choice import refuse_unplanned
from .models import Answer, Finding, MediaRef
from .rules import MEASURES, METHODS, check_answer_value
from .schedule import apply_schedule

ISO = validate.Length(min=10, max=40)


class GpsSchema(BaseSchema):
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))
    accuracy = fields.Float(load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(min=0, max=100000))


class VisitArgs(BaseSchema):
    visit_id = fields.UUID(required=True)


class ArriveArgs(VisitArgs):
    at = fields.String(required=True, validate=ISO)
    gps = fields.Nested(GpsSchema, load_default=None, allow_none=True)
    method = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["onsite"]))


class PresentArgs(VisitArgs):
    inspector_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=20))


class MomentArgs(VisitArgs):
    at = fields.String(required=True, validate=ISO)


class AnswerArgs(VisitArgs):
    item_id = fields.Integer(required=True)
    checkpoint_key = fields.String(required=True, validate=validate.Length(min=1, max=32))
    value = fields.String(required=True, allow_none=True, validate=validate.Length(max=2000))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    base_version = fields.Integer(load_default=None, allow_none=True)


class FindingArgs(VisitArgs):
    finding_id = fields.UUID(required=True)
    item_id = fields.Integer(load_default=None, allow_none=True)
    checkpoint_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    description = fields.String(required=True, validate=validate.Length(min=2, max=4000))
    legal_basis = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    measures = fields.List(fields.String(validate=validate.OneOf(list(MEASURES))), load_default=list)
    rectify_deadline = fields.Date(load_default=None, allow_none=True)
    media_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=50))


class FindingUpdateArgs(VisitArgs):
    finding_id = fields.UUID(required=True)
    description = fields.String(validate=validate.Length(min=2, max=4000))
    legal_basis = fields.String(allow_none=True, validate=validate.Length(max=2000))
    measures = fields.List(fields.String(validate=validate.OneOf(list(MEASURES))))
    rectify_deadline = fields.Date(allow_none=True)
    media_ids = fields.List(fields.UUID(), validate=validate.Length(max=50))
    base_version = fields.Integer(load_default=None, allow_none=True)


class MediaTarget(BaseSchema):
    type = fields.String(required=True, validate=validate.OneOf(["finding", "answer", "outcome", "visit", "signature", "method",
                                                                "amendment"]))
    id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))


class MediaArgs(VisitArgs):
    media_id = fields.UUID(required=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$", error="须为 64 位小写十六进制。"))
    kind = fields.String(required=True, validate=validate.OneOf(["photo", "video", "audio", "signature"]))
    target = fields.Nested(MediaTarget, required=True)
    claim = fields.Dict(load_default=dict)


class ScheduleArgs(VisitArgs):
    date = fields.Date(required=True)
    time_from = fields.Time(load_default=None, allow_none=True)
    time_to = fields.Time(load_default=None, allow_none=True)


class Pinned(NamedTuple):
    """What the mutators read of an item version a task pins: plain values, read once per push."""

    version: int
    department_id: int
    checkpoints: dict  # key -> (answer_type, choices)


_PTI, _CIV, _CI, _CP, _TASK = (PlanTaskItem.__table__, CheckItemVersion.__table__, CheckItem.__table__,
                               Checkpoint.__table__, InspectionTask.__table__)
# Every item a task pins (its plan task's first reference to each item), with its checkpoints: one
# statement, built once. A drawn task's plan task is published and item versions are never edited,
# so this does not change while the task lives.
_PINNED = (select(_PTI.c.item_id, _PTI.c.position, _CIV.c.version, _CI.c.department_id, _CP.c.key, _CP.c.answer_type,
                  _CP.c.choices)
           .select_from(_TASK.join(_PTI, _PTI.c.task_id == _TASK.c.plan_task_id)
                        .join(_CIV, and_(_CIV.c.item_id == _PTI.c.item_id, _CIV.c.version == _PTI.c.item_version))
                        .join(_CI, _CI.c.id == _CIV.c.item_id)
                        .outerjoin(_CP, _CP.c.item_version_id == _CIV.c.id))
           .where(_TASK.c.id == bindparam("task_id"))
           .order_by(_PTI.c.position, _CP.c.position))


def _pinned_items(task_id: int) -> dict[int, Pinned]:
    """{item id: Pinned} of the task, read once per request (a push answers many checkpoints)."""
    cache = db.session.info.setdefault("visits.pinned", {})
    found = cache.get(task_id)
    if found is None:
        found, first = {}, {}
        with db.session.no_autoflush:  # the catalog is never written by a push: nothing to flush first
            rows = db.session.execute(_PINNED, {"task_id": task_id}).all()
        for r in rows:
            if first.setdefault(r.item_id, r.position) != r.position:
                continue  # the item named again further down the task: its first reference counts
            pinned = found.get(r.item_id)
            if pinned is None:
                pinned = found[r.item_id] = Pinned(r.version, r.department_id, {})
            if r.key is not None:
                pinned.checkpoints[r.key] = (r.answer_type, r.choices)
        cache[task_id] = found
    return found


def _item_version(visit, item_id: int) -> Pinned:
    pinned = _pinned_items(visit.task_id).get(item_id)
    if pinned is None:
        raise NotFound("该事项不在本任务中。", code="item_not_in_task")
    return pinned


def _answers(visit_id: str, item_id: int, key: str) -> Answer | None:
    """The stored answer of one checkpoint; within a push batch the visit's answers are read once."""
    memo = batch.memo(db.session)
    if memo is None:
        return db.session.execute(select(Answer).where(Answer.visit_id == visit_id, Answer.item_id == item_id,
                                                       Answer.checkpoint_key == key)).scalar_one_or_none()
    mkey = ("visits.answers", visit_id)
    if mkey not in memo:  # the statement is built only when it runs (once per visit and batch)
        stmt = select(Answer).where(Answer.visit_id == visit_id)
        if any(isinstance(o, Answer) for o in db.session.new):
            rows = db.session.execute(stmt).scalars()  # answers added and not written yet: flushed first
        else:
            # Nothing the session holds unwritten is an answer, so no flush is needed to read them:
            # the visit and record the batch changed are written once, at its end.
            with db.session.no_autoflush:
                rows = db.session.execute(stmt).scalars().all()
        memo[mkey] = {(a.item_id, a.checkpoint_key): a for a in rows}
    return memo[mkey].get((item_id, key))


def _remember_answer(ans: Answer) -> None:
    memo = batch.memo(db.session)
    if memo is not None and ("visits.answers", ans.visit_id) in memo:
        memo[("visits.answers", ans.visit_id)][(ans.item_id, ans.checkpoint_key)] = ans


@mutator("visit.arrive", ArriveArgs())
def arrive(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    refuse_future(args["at"], "at", "到达时间", code="arrival_in_future")
    if record.arrival_at and record.arrival_at != args["at"]:
        batched.history(visit.id, "arrival_at", record.arrival_at, args["at"], None, ctx.principal.user_id, False)
    if record.method not in (None, "onsite"):
        raise Invalid(f"本次检查方式为“{METHODS[record.method]['label']}”，无需记录到达现场；如需实地核查，请先将检查方式改为“实地核查”。",
                      code="not_onsite")
    if record.method is None:
        refuse_unplanned(visit, "onsite")
    record.arrival_at, record.arrival_gps, record.method = args["at"], args["gps"], "onsite"
    record.arrival_recorded_at = utcnow()
    touched(visit, record)


@mutator("visit.present", PresentArgs())
def present(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    team = {m.inspector_id for m in visit.members if m.active}
    ids = sorted(set(args["inspector_ids"]))
    outsiders = [i for i in ids if i not in team]
    if outsiders:
        raise Invalid("在场人员须为本检查组成员。", code="not_in_team")
    record.present = ids
    touched(visit, record)


@mutator("visit.credentials_shown", MomentArgs())
def credentials_shown(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    refuse_future(args["at"], "at", "出示执法证件时间")
    record.credentials_shown_at = args["at"]
    touched(visit, record)


@mutator("visit.rights_informed", MomentArgs())
def rights_informed(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    refuse_future(args["at"], "at", "告知权利义务时间")
    record.rights_informed_at = args["at"]
    touched(visit, record)


@mutator("answer.set", AnswerArgs())
def answer_set(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    version = _item_version(visit, args["item_id"])
    key = args["checkpoint_key"]
    if key not in version.checkpoints:
        raise NotFound("检查要点不存在。", code="checkpoint_not_found")
    answer_type, choices = version.checkpoints[key]
    # "Who checks, who enters": only the item's own department answers it.
    item_dept = version.department_id
    if ctx.principal.department_id != item_dept:
        raise Forbidden("该事项由其所属部门的检查人员录入（谁检查、谁录入）。", code="not_your_item")
    problem = check_answer_value(answer_type, args["value"], choices or [])
    if problem:
        raise Invalid(problem, code="validation_failed", errors=[{"field": "value", "pointer": "/value", "message": problem}])
    ans = _answers(visit.id, args["item_id"], key)
    conflict = None
    if ans is None:
        ans = Answer(visit_id=visit.id, item_id=args["item_id"], item_version=version.version, checkpoint_key=key,
                     value=args["value"], note=args["note"], answered_by=ctx.principal.user_id,
                     department_id=item_dept, version=1, updated_at=utcnow())
        db.session.add(ans)
        _remember_answer(ans)
    else:
        # No base_version means the phone saw no answer yet (version 0): an answer
        # another member pushed meanwhile is then overwritten in conflict too.
        stale = (args["base_version"] or 0) < ans.version
        changed = (ans.value, ans.note) != (args["value"], args["note"])
        if changed:
            is_conflict = stale and ans.answered_by != ctx.principal.user_id
            if is_conflict:
                conflict = {"field": f"answers.{args['item_id']}:{key}", "server_value": ans.value,
                            "your_value": args["value"], "server_by": ans.answered_by}
            batched.history(visit.id, f"answers.{args['item_id']}:{key}", {"value": ans.value, "note": ans.note},
                     {"value": args["value"], "note": args["note"]}, ans.answered_by, ctx.principal.user_id, is_conflict)
            ans.value, ans.note = args["value"], args["note"]
            ans.answered_by, ans.version, ans.updated_at = ctx.principal.user_id, ans.version + 1, utcnow()
    touched(visit, record)
    return Outcome(conflict=conflict, data={"version": ans.version})


@mutator("finding.add", FindingArgs())
def finding_add(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    fid = str(args["finding_id"])
    existing = batched.get(Finding, fid)
    if existing is not None:
        if existing.visit_id != visit.id:
            raise Invalid("发现问题的标识已被使用。", code="id_taken")
        return Outcome()  # created once: a re-send is a no-op
    if args["item_id"] is not None:
        _item_version(visit, args["item_id"])
    batched.add(Finding(id=fid, visit_id=visit.id, item_id=args["item_id"], checkpoint_key=args["checkpoint_key"],
                        department_id=ctx.principal.department_id, description=args["description"],
                        legal_basis=args["legal_basis"], measures=sorted(set(args["measures"])),
                        rectify_deadline=args["rectify_deadline"],
                        media_ids=[str(m) for m in args["media_ids"]], created_by=ctx.principal.user_id,
                        created_at=utcnow(), version=1), fid)
    touched(visit, record)


@mutator("finding.update", FindingUpdateArgs())
def finding_update(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    f = batched.get(Finding, str(args["finding_id"]))
    if f is None or f.visit_id != visit.id:
        raise NotFound("发现问题记录不存在。", code="finding_not_found")
    conflict = None
    stale = args.get("base_version") is not None and args["base_version"] < f.version
    for key in ("description", "legal_basis", "measures", "rectify_deadline", "media_ids"):
        if key not in args:
            continue
        new = args[key]
        if key == "media_ids":
            new = [str(m) for m in new]
        if key == "measures":
            new = sorted(set(new))
        old = getattr(f, key)
        if old != new:
            jold = old.isoformat() if isinstance(old, dt.date) else old
            jnew = new.isoformat() if isinstance(new, dt.date) else new
            if stale and conflict is None:
                conflict = {"field": f"findings.{f.id}.{key}", "server_value": jold, "your_value": jnew}
            batched.history(visit.id, f"findings.{f.id}.{key}", jold, jnew, f.created_by, ctx.principal.user_id, stale)
            setattr(f, key, new)
    f.version += 1
    touched(visit, record)
    return Outcome(conflict=conflict)


@mutator("media.attach", MediaArgs())
def media_attach(ctx, args):
    if args["target"]["type"] == "amendment":
        visit, record = amendment_record(ctx.principal, args["visit_id"])
    else:
        visit, record = writable_record(ctx.principal, args["visit_id"])
    mid = str(args["media_id"])
    existing = batched.get(MediaRef, mid)
    if existing is not None:
        if existing.visit_id != visit.id or existing.sha256 != args["sha256"]:
            raise Invalid("该媒体标识已用于其他内容。", code="id_taken")
        return Outcome()
    refuse_future_capture(args["claim"], args["kind"])
    batched.add(MediaRef(media_id=mid, visit_id=visit.id, sha256=args["sha256"], kind=args["kind"],
                         target_type=args["target"]["type"], target_id=args["target"]["id"], claim=args["claim"],
                         attached_by=ctx.principal.user_id, attached_at=utcnow()), mid)

    # The media record keeps the app's claim (with the phone's hash) beside what EXIF says;
    # a hash contradicting bytes already received is refused there. Bound to the uploader:
    # a team member may attach a colleague's photo, nobody else's.
    media_service.claim_and_attach(mid, {**args["claim"], "sha256": args["sha256"]}, "visit", visit.id,
                                   by_user=ctx.principal.user_id,
                                   may_share={m.user_id for m in visit.members if m.active and m.user_id})
    if record.sealed_at is not None:
        # A photo for an amendment: the sealed content stays as signed (content.py leaves such
        # media out); the amendment that follows adds it to the current view.
        visit.version += 1
        announce(visit)
        return None
    touched(visit, record)


@mutator("schedule.set", ScheduleArgs())
def schedule_set(ctx, args):
    visit = team_visit(ctx.principal, args["visit_id"], lock=True)
    me = member_of(visit, ctx.principal.user_id)
    if me.role != "leader":
        raise Forbidden("只有检查组组长可以安排检查日程。", code="not_team_leader")
    refuse_if_sealed(visit)

    conflicts = apply_schedule(visit, args["date"], args["time_from"], args["time_to"], ctx.principal.user_id)
    audit.record(db.session, "visit.schedule", "visit", visit.id,
                 {"date": args["date"].isoformat(), "from": str(args["time_from"]), "to": str(args["time_to"])})
    return Outcome(data={"warnings": conflicts}) if conflicts else None

