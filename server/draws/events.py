"""Replacing a drawn inspector (Art. 17) and substituting an out-of-scope object.

Both are requested with a reason (and evidence), decided by the department
leader, and then filled by the draw's own rules: the next eligible inspector
in that object's ordering, or the next object in that stratum's ranking.
Every other team stays as it was.
"""
from __future__ import annotations

import json

from sqlalchemy import func, select

from ..accounts.auth import Principal
from ..accounts.models import Role
from ..audit import service as audit
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..types import utcnow
from . import assignments, snapshot, teams
from . import package as pkg
from .models import Draw, DrawEvent, DrawRanking, InspectionTask
from .service import get_task, member_rows
from .views import approved_events

REPLACEMENT_REASONS = {"conflict_of_interest": "与检查对象有利害关系", "post_change": "岗位调整",
                       "work_clash": "工作冲突", "health": "身体健康原因"}


def _strata(task_id: int) -> dict:
    out = {}
    for r in db.session.execute(select(DrawRanking).where(DrawRanking.task_id == task_id)).scalars():
        out[r.stratum] = {"N": r.N, "n": r.n, "ranking": r.ranking.split("\n") if r.ranking else [],
                          "selected": r.selected.split("\n") if r.selected else []}
    return out


def _context(task: InspectionTask) -> dict:
    draw: Draw = task.draw
    if draw.seed_hex is None:
        raise Conflict("任务尚未完成抽取。", code="not_drawn")
    plan = json.loads(draw.plan_json)
    pool = json.loads(draw.pool_json)
    rule = teams.TeamRule.from_dict(plan["teams"])
    seed = bytes.fromhex(draw.seed_hex)
    strata = _strata(task.id)
    initial = teams.match_teams(pool, rule, seed, [o for s in sorted(strata) for o in strata[s]["selected"]])
    return {"plan": plan, "pool": pool, "rule": rule, "seed": seed, "strata": strata, "initial": initial}


def request_replacement(principal: Principal, task_id: int, object_id: int, inspector_id: int, reason_code: str,
                        reason: str, evidence: dict | None) -> DrawEvent:
    task = get_task(task_id)
    team = assignments.sink().team(task.id, object_id)
    member = next((m for m in (team.members if team else ()) if m.inspector_id == inspector_id and m.active), None)
    if member is None:
        raise NotFound("该检查对象的检查组中没有这名执法人员。", code="member_not_found")
    # The inspector's own department asks (its admin, or the inspector themself).
    own = principal.department_id == member.department_id and (
        principal.has(Role.DEPT_ADMIN) or member.user_id == principal.user_id)
    if not own:
        raise NotFound("该检查对象的检查组中没有这名执法人员。", code="member_not_found")
    if team.status == "sealed":
        raise Conflict("检查记录已封存，不能再调换执法人员。", code="record_sealed")
    if reason_code not in REPLACEMENT_REASONS:
        raise Invalid("调换理由须为第十七条允许的情形之一。", code="reason_not_allowed")
    if db.session.execute(select(DrawEvent.id).where(
            DrawEvent.task_id == task.id, DrawEvent.kind == "replacement", DrawEvent.status == "requested",
            DrawEvent.object_id == object_id, DrawEvent.outgoing == str(inspector_id))).first():
        raise Conflict("已有待审批的调换申请。", code="replacement_pending")
    ev = DrawEvent(task_id=task.id, kind="replacement", status="requested", department_id=member.department_id,
                   object_id=object_id, outgoing=str(inspector_id), reason_code=reason_code, reason=reason,
                   evidence=evidence, requested_by=principal.user_id, requested_at=utcnow())
    db.session.add(ev)
    db.session.flush()
    audit.record(db.session, "draw.replacement_request", "task", task.id,
                 {"event": ev.id, "object": object_id, "outgoing": inspector_id, "reason_code": reason_code,
                  "reason": reason})
    return ev


def request_substitution(principal: Principal, task_id: int, object_id: int, reason: str,
                         evidence: dict | None) -> DrawEvent:
    """Only for an object found outside the task's scope before the visit (not Art. 21 cases)."""
    task = get_task(task_id)
    if not (principal.has(Role.DEPT_ADMIN) and principal.department_id == task.initiating_department_id):
        raise NotFound("抽查任务不存在。", code="task_not_found")
    team = assignments.sink().team(task.id, object_id)
    if team is None or team.status != "not_started":
        raise Conflict("只有尚未开始检查的抽中对象可以因超出任务范围而递补。", code="substitution_not_allowed")
    ev = DrawEvent(task_id=task.id, kind="substitution", status="requested", department_id=task.initiating_department_id,
                   object_id=object_id, stratum=team.stratum, outgoing=snapshot.row_id(object_id),
                   reason_code="out_of_scope", reason=reason, evidence=evidence, requested_by=principal.user_id,
                   requested_at=utcnow())
    db.session.add(ev)
    db.session.flush()
    audit.record(db.session, "draw.substitution_request", "task", task.id,
                 {"event": ev.id, "object": object_id, "reason": reason})
    return ev


def _event_for_leader(principal: Principal, task_id: int, event_id: int) -> DrawEvent:
    ev = db.session.get(DrawEvent, event_id)
    if ev is None or ev.task_id != task_id or ev.department_id != principal.department_id:
        raise NotFound("申请不存在。", code="event_not_found")
    if not principal.has(Role.DEPT_LEADER):
        raise Forbidden("调换须经部门领导同意。", code="role_required")
    if ev.status != "requested":
        raise Conflict("该申请已处理。", code="event_decided")
    return ev


def decide(principal: Principal, task_id: int, event_id: int, approve: bool, note: str | None) -> DrawEvent:
    ev = _event_for_leader(principal, task_id, event_id)
    task = get_task(task_id)
    ev.decided_by, ev.decided_at, ev.decision_note = principal.user_id, utcnow(), note
    if not approve:
        ev.status = "rejected"
        audit.record(db.session, f"draw.{ev.kind}_reject", "task", task.id, {"event": ev.id, "note": note})
        return ev
    ctx = _context(task)
    events = approved_events(task.id)
    seq = (db.session.scalar(select(func.max(DrawEvent.seq)).where(DrawEvent.task_id == task.id)) or 0) + 1
    approver = f"user:{principal.user_id}"
    at = ev.decided_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if ev.kind == "replacement":
        row = snapshot.row_id(ev.object_id)
        try:
            team = pkg.next_replacement(ctx["pool"], ctx["rule"], ctx["seed"], ctx["strata"], ctx["initial"], events,
                                        row, ev.outgoing)
        except teams.TeamMatchingError as err:
            raise Conflict("没有可递补的合格执法人员。", code="no_eligible_replacement", extra={"shortfalls": err.shortfalls})
        current = assignments.sink().team(task.id, ev.object_id).active_inspectors()
        incoming = next(m for m in team["members"] if m not in current)
        ev.incoming = incoming
        ev.payload = {"type": "replacement", "object_id": row, "outgoing": ev.outgoing, "incoming": incoming,
                      "reason": f"{ev.reason_code}: {ev.reason}", "approved_by": approver, "approved_at": at}
        _apply_replacement(task, ev.object_id, int(ev.outgoing), int(incoming), team)
    else:
        try:
            nxt = pkg.next_substitution(ctx["strata"], events, ev.stratum, ev.outgoing, pool=ctx["pool"],
                                        rule=ctx["rule"], seed=ctx["seed"], initial_teams=ctx["initial"])
        except (pkg.SubstitutionError, teams.TeamMatchingError) as err:
            raise Conflict(str(err) if isinstance(err, pkg.SubstitutionError) else "无法为递补对象组成检查组。",
                           code="substitution_impossible")
        ev.incoming = nxt["incoming_object"]
        ev.payload = {"type": "substitution", "stratum": ev.stratum, "outgoing_object": ev.outgoing,
                      "incoming_object": ev.incoming, "reason": ev.reason, "approved_by": approver,
                      "approved_at": at, "team": nxt["team"]}
        _apply_substitution(task, ev, nxt)
    ev.status, ev.seq = "approved", seq
    audit.record(db.session, f"draw.{ev.kind}_approve", "task", task.id, {"event": ev.id, "seq": seq, **ev.payload})
    return ev


def _apply_replacement(task, object_id: int, outgoing: int, incoming: int, team: dict) -> None:
    row = next(m for m in member_rows(team) if m["inspector_id"] == incoming)
    assignments.sink().replace_member(task, object_id, outgoing, row)


def _apply_substitution(task, ev: DrawEvent, nxt: dict) -> None:
    # The incoming object takes the outgoing one's place: its stratum and rank.
    old = assignments.sink().team(task.id, ev.object_id)
    new = assignments.Assignment(object_id=snapshot.object_id_of(ev.incoming), stratum=ev.stratum, rank=old.rank,
                                 members=member_rows(nxt["team"]))
    assignments.sink().substitute(task, ev.object_id, new)
