"""Launching a task (T0: freeze and commit) and drawing it (beacon → seed → selection → teams)."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from ..accounts.auth import Principal
from ..accounts.models import Department, Role
from ..audit import service as audit
from ..catalog.models import CheckItemVersion
from ..errors import Conflict, Invalid, NotFound, field_error
from ..extensions import db
from ..inspectors import service as inspectors
from ..inspectors.models import Inspector as InspectorRow
from ..plans.service import published_task
from ..registry import service as registry
from ..registry.models import InspectionObject
from ..types import local_today, utcnow
from . import access, algorithm, assignments, persist, snapshot, teams
from .models import Draw, DrawRanking, InspectionTask

CLOCK_SKEW = dt.timedelta(minutes=5)  # tolerated difference between the operator's clock and ours


def _dept_codes() -> dict[int, str]:
    return dict(db.session.execute(select(Department.id, Department.code)).all())


def _rule_for(plan_task, codes: dict[int, str]) -> teams.TeamRule:
    """The team rule (dsr-team-v2): the leader holds one of the main item's required
    qualifications; a participating department's slot asks for the qualifications of its X
    items. X items of the initiating department itself ("1+X" within one department) are checked
    by the initiating department's own members and add no participating slot. An expert may
    assist when the plan allows experts."""
    initiating = plan_task.plan_version.plan.department_id
    required: dict[str, set[str]] = {}
    leader_tags: set[str] = set()
    for ti in plan_task.items:
        if ti.role == "x" and ti.department_id == initiating:
            continue
        v = db.session.execute(select(CheckItemVersion).where(
            CheckItemVersion.item_id == ti.item_id, CheckItemVersion.version == ti.item_version)).scalar_one()
        if ti.role == "main":
            leader_tags.update(v.required_qualifications or [])
        else:
            required.setdefault(codes[ti.department_id], set()).update(v.required_qualifications or [])
    for d in plan_task.participating_department_ids or []:
        required.setdefault(codes[d], set())
    return teams.TeamRule(codes[initiating], required, max(plan_task.min_team_size, 2), plan_task.per_inspector_cap,
                          leader_qualifications=leader_tags, experts=bool(plan_task.allow_experts))


def _pool(plan_task, borrow: list[dict], row_ids_of, codes: dict[int, str],
          today: dt.date) -> tuple[list[teams.Inspector], list[dict]]:
    """The frozen pool; borrowed inspectors fill the borrowing department's slots (never the
    leader's: their row keeps their own department as ``home_department``), experts are marked.
    Only a same-field agreement the lender consented to may be used (Art. 17).
    ``row_ids_of(credit_codes)`` gives the snapshot row ids of candidates with those codes."""
    initiating = plan_task.plan_version.plan.department_id
    depts = [initiating, *(plan_task.participating_department_ids or [])]
    recorded = []
    fills_for: dict[int, int] = {d: d for d in depts}
    for b in borrow:
        borrower, lender = b["department_id"], b["lender_department_id"]
        if borrower not in depts:
            raise Invalid("只有本任务的发起或参与部门可以借调执法人员。", code="borrow_not_allowed")
        if lender in fills_for:
            raise Invalid("出借部门已参加本任务或已被借调，不能重复借调。", code="borrow_not_allowed")
        agreement = inspectors.usable_agreement(borrower, lender, today)
        fills_for[lender] = borrower
        recorded.append({"borrower": codes[borrower], "lender": codes[lender], "agreement": agreement.id,
                         "consented_at": agreement.consented_at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    raw = inspectors.eligibility_pool(list(fills_for), plan_task.window_start, plan_task.window_end,
                                      include_experts=plan_task.allow_experts, on=today)
    by_code = row_ids_of({c for p in raw for c in p["conflicts"]["credit_codes"]})
    code_to_id = {c: i for i, c in codes.items()}
    pool = []
    for p in raw:
        own = code_to_id[p["department"]]
        conflicts = {snapshot.row_id(o) for o in p["conflicts"]["object_ids"]}
        conflicts |= {by_code[c] for c in p["conflicts"]["credit_codes"] if c in by_code}
        pool.append(teams.Inspector(id=str(p["id"]), department=codes[fills_for[own]],
                                    qualifications=p["qualifications"], active=p["active"],
                                    available=p["available"], conflicts=conflicts,
                                    home_department=p["department"], expert=p["is_expert"]))
    return pool, recorded


def _candidate_scope(plan_task) -> dict:
    # Every status comes through: rows outside the scope's statuses are kept as excluded (draw.md).
    return {k: v for k, v in (plan_task.scope or {}).items() if k != "statuses"}


def _row_ids_by_credit_code(scope: dict, department_id: int):
    def lookup(credit_codes: set[str]) -> dict[str, str]:
        if not credit_codes:
            return {}
        stmt = registry.scope_select(scope, department_id, ("id", "credit_code"))
        stmt = stmt.where(InspectionObject.__table__.c.credit_code.in_(sorted(credit_codes)))
        return {code: snapshot.row_id(oid) for oid, code in db.session.execute(stmt)}
    return lookup


def launch(principal: Principal, plan_task_id: int, beacon: dict, borrow: list[dict],
           nonce: bytes | None = None) -> InspectionTask:
    """T0: freeze candidates and pool, hash them and commit to a secret nonce (a fresh one; only the
    demo loader passes its own, so that the demo draw comes out the same on every install)."""
    plan_task = published_task(plan_task_id)
    plan = plan_task.plan_version.plan
    if not (principal.has(Role.DEPT_ADMIN) and plan.department_id == principal.department_id):
        raise NotFound("任务不存在或所属计划尚未审定。", code="task_not_found")
    code = f"{plan.code}-{plan_task.code}"
    if db.session.execute(select(InspectionTask.id).where(InspectionTask.code == code)).first():
        raise Conflict("该任务已经启动抽取，不能重复启动。", code="task_already_launched")
    today = local_today()
    codes = _dept_codes()
    scope = _candidate_scope(plan_task)
    stmt = registry.scope_select(scope, plan.department_id, snapshot.SCOPE_COLUMNS)
    try:
        frozen = snapshot.freeze(persist.raw_batches(stmt), plan_task, today)
    except ValueError as exc:
        raise Invalid("候选名单无法按抽取算法固定：" + str(exc), code="snapshot_invalid") from exc
    pool, borrowed = _pool(plan_task, borrow, _row_ids_by_credit_code(scope, plan.department_id), codes, today)
    rule = _rule_for(plan_task, codes)
    plan_obj = {
        "algorithm": algorithm.ALGORITHM, "task": code,
        "strata": {s: r for s, r in sorted(plan_task.ratios.items())}, "rounding": "ceil",
        "weight_rule": snapshot.draw_rule(plan_task, today),
        "exclusion_rule": snapshot.describe_exclusions(plan_task.exclusions or {}),
        "beacon": {"source": beacon["source"], "reference": beacon["reference"]},
        "teams": teams.team_plan_section(pool, rule),
    }
    if borrowed:
        plan_obj["borrowed"] = borrowed
    counts = algorithm.sample_counts(plan_obj, frozen.drawable)
    objects_to_staff = sum(c["n"] for c in counts.values())
    if objects_to_staff == 0:
        raise Invalid("按当前范围与比例，没有可抽取的检查对象。", code="draw_empty", extra={"strata": counts})
    # Declared conflicts are not counted here (which objects are drawn is not known yet); should
    # they leave an object without a team, the reveal answers team_matching_failed (409).
    shortfalls = teams.check_feasibility(pool, rule, objects_to_staff)
    if shortfalls:
        leaders = [s for s in shortfalls if s.get("role") == teams.LEADER]
        detail = (leaders[0]["message"] if leaders else
                  "执法检查人员不足，无法组成检查组。可增加同行业借调部门后重试。")
        raise Invalid(detail, code="draw_infeasible", extra={"shortfalls": shortfalls, "strata": counts})
    committed = algorithm.commit(plan_obj, frozen.sha256, nonce)
    task = InspectionTask(code=code, name=plan_task.name, plan_task_id=plan_task.id,
                          initiating_department_id=plan.department_id,
                          participating_department_ids=list(plan_task.participating_department_ids or []),
                          window_start=plan_task.window_start, window_end=plan_task.window_end,
                          status="committed", launched_by=principal.user_id, launched_at=utcnow())
    db.session.add(task)
    db.session.flush()
    access.set_departments(task)
    draw = Draw(task_id=task.id, algorithm=algorithm.ALGORITHM, plan_json=algorithm.jcs_text(plan_obj),
                pool_json=json.dumps(teams.pool_rows(pool, rule.algorithm), ensure_ascii=False, separators=(",", ":")),
                plan_hash=committed["plan_hash"], snapshot_hash=committed["snapshot_hash"],
                snapshot_size=frozen.size, commitment=committed["commitment"],
                nonce_hex=committed["nonce"].hex(), committed_at=utcnow(),
                borrowed_department_ids=[b for b in borrow])
    db.session.add(draw)
    persist.store_snapshot(task.id, frozen)
    audit.record(db.session, "draw.commit", "task", task.id, {
        "task": code, "plan_hash": draw.plan_hash, "snapshot_hash": draw.snapshot_hash,
        "commitment": draw.commitment, "snapshot_size": frozen.size, "pool_hash": plan_obj["teams"]["pool_hash"],
        "beacon": plan_obj["beacon"], "borrowed": borrowed, "strata": counts})
    return task


def get_task(task_id: int) -> InspectionTask:
    """A drawn (or launched) task; a follow-up task of a rectification order has no draw and is not one."""
    task = db.session.get(InspectionTask, task_id)
    if task is None or task.draw is None:
        raise NotFound("抽查任务不存在。", code="task_not_found")
    return task


def reveal(principal: Principal, task_id: int, beacon_value: str, published_at: dt.datetime,
           reference: str) -> InspectionTask:
    """Enter the public randomness once; derive the seed, select and match teams."""
    task = get_task(task_id)
    if not (principal.has(Role.DEPT_ADMIN) and task.initiating_department_id == principal.department_id):
        raise NotFound("抽查任务不存在。", code="task_not_found")
    # populate_existing: `task.draw` is already in the session, read before the lock; without it a
    # reveal that waited for another one's lock would still see no seed (and fail on the rankings'
    # key instead of answering "already drawn").
    draw = db.session.execute(select(Draw).where(Draw.task_id == task.id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()
    if draw.seed_hex is not None:
        raise Conflict("该任务已完成抽取，抽取只能进行一次。", code="draw_already_done")
    plan_obj = json.loads(draw.plan_json)
    if reference != plan_obj["beacon"]["reference"]:
        raise Invalid(f"公开随机数须来自事先公布的来源：“{plan_obj['beacon']['source']} {plan_obj['beacon']['reference']}”。",
                      code="beacon_reference_mismatch",
                      errors=[field_error("reference", "与启动时公布的随机数来源不一致。")])
    if published_at > utcnow() + CLOCK_SKEW:
        raise Invalid("公开随机数的公布时间晚于当前时间：只能录入已经公布的随机数。", code="beacon_in_future",
                      errors=[field_error("published_at", "晚于当前时间。")])
    if published_at <= draw.committed_at:
        raise Invalid("公开随机数必须在候选名单固定（承诺值公布）之后产生。", code="beacon_before_commitment",
                      errors=[field_error("published_at", "早于承诺值的公布时间。")])
    result = compute(draw, beacon_value)
    draw.beacon_value = beacon_value
    draw.beacon_published_at = published_at
    draw.seed_hex = result["seed"]
    draw.strata = {s: {"N": r["N"], "n": r["n"]} for s, r in result["strata"].items()}
    draw.drawn_at = utcnow()
    draw.drawn_by = principal.user_id
    for s, r in result["strata"].items():
        db.session.add(DrawRanking(task_id=task.id, stratum=s, N=r["N"], n=r["n"], ranking="\n".join(r["ranking"]),
                                   selected="\n".join(r["selected"])))
    create_visits(task, result)
    task.status = "drawn"
    audit.record(db.session, "draw.reveal", "task", task.id, {
        "beacon_value": beacon_value, "beacon_published_at": published_at.isoformat(), "nonce": draw.nonce_hex,
        "seed": draw.seed_hex, "strata": draw.strata,
        "selected": {s: r["selected"] for s, r in result["strata"].items()},
        "teams_sha256": teams.teams_hash(result["teams"])})
    return task


def compute(draw: Draw, beacon_value: str) -> dict:
    """Seed, per-stratum ranking and selection, and the teams: all from stored inputs."""
    plan_obj = json.loads(draw.plan_json)
    nonce = bytes.fromhex(draw.nonce_hex)
    seed = algorithm.derive_seed(nonce, beacon_value, draw.plan_hash, draw.snapshot_hash)
    try:
        text = persist.snapshot_text(draw.task_id, expect_sha256=draw.snapshot_hash)
    except persist.SnapshotAltered as exc:
        raise Conflict("候选名单在固定后被改动，与公布的快照哈希不一致，不能抽取。请联系审计人员核查。",
                       code="snapshot_altered") from exc
    buckets = snapshot.drawable_rows(text, plan_obj["strata"])
    strata = {}
    for s in sorted(plan_obj["strata"]):
        rows = buckets.get(s, [])
        n = algorithm.sample_size(plan_obj["strata"][s], len(rows))
        ranking = algorithm.rank_stratum(rows, seed)
        strata[s] = {"N": len(rows), "n": n, "ranking": ranking, "selected": ranking[:n]}
    pool = json.loads(draw.pool_json)
    rule = teams.TeamRule.from_dict(plan_obj["teams"])
    try:
        matched = teams.match_teams(pool, rule, seed, algorithm.selection_order(strata))
    except teams.TeamMatchingError as exc:  # declared conflicts (not counted at launch): a problem, never a 500
        raise Conflict("抽中的检查对象无法全部组成检查组：" + str(exc), code="team_matching_failed",
                       extra={"shortfalls": exc.shortfalls}) from exc
    return {"seed": seed.hex(), "strata": strata, "teams": matched, "pool": pool, "rule": rule}


def _inspector_rows(ids) -> dict[int, InspectorRow]:
    return {r.id: r for r in db.session.execute(select(InspectorRow).where(InspectorRow.id.in_(list(ids)))).scalars()}


def _member_rows(team: dict, rows: dict[int, InspectorRow]) -> list[dict]:
    """The team of one drawn object as visit_members column values, in team order."""
    return [{"position": pos, "inspector_id": iid, "user_id": rows[iid].user_id,
             "department_id": rows[iid].department_id, "role": team["roles"][str(iid)], "active": True}
            for pos, iid in enumerate(int(i) for i in team["members"])]


def member_rows(team: dict) -> list[dict]:
    """A matched team (``{"members": [...], "roles": {...}}``) as visit_members column values."""
    return _member_rows(team, _inspector_rows(int(i) for i in team["members"]))


def create_visits(task: InspectionTask, result: dict) -> int:
    """Hand the drawn objects and their teams to the visits feature (a draw can select tens of
    thousands at once: the inspector rows are read in one query). Returns the number of visits."""
    rows = _inspector_rows({int(i) for team in result["teams"].values() for i in team["members"]})
    out = [assignments.Assignment(object_id=snapshot.object_id_of(row), stratum=s, rank=rank,
                                  members=_member_rows(result["teams"][row], rows))
           for s in sorted(result["strata"]) for rank, row in enumerate(result["strata"][s]["selected"], 1)]
    return assignments.sink().create(task, out)
