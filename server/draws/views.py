"""The two views of a draw: public (anyone) and the audit package (office, auditors)."""
from __future__ import annotations

import json

from sqlalchemy import select

from ..accounts.models import Department
from ..extensions import db
from ..registry.models import InspectionObject
from ..registry.protect import public_name
from . import package as pkg
from . import persist, snapshot, teams
from .models import Draw, DrawEvent, DrawRanking, InspectionTask


def _iso(ts):
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None


def _dept(dept_id):
    d = db.session.get(Department, dept_id)
    return {"code": d.code, "name": d.name} if d else None


def public_view(task: InspectionTask, *, staff: bool = False) -> dict:
    """No per-object credit class, no pool internals: hashes, commitment, seed, counts, selections.
    Individual businesses named after their operator show masked (王**) as on the public results,
    unless ``staff`` (the departments' own view of the task) asks for registered names."""
    draw: Draw = task.draw
    plan = json.loads(draw.plan_json)
    public_plan = {k: v for k, v in plan.items() if k != "teams"}
    public_keys = ("algorithm", "pool_hash", "min_size", "cap", "leader_qualifications", "experts")
    public_plan["teams"] = {k: v for k, v in plan.get("teams", {}).items() if k in public_keys}
    body = {
        "task": {"id": task.id, "code": task.code, "name": task.name, "status": task.status,
                 "initiating_department": _dept(task.initiating_department_id),
                 "participating_departments": [_dept(d) for d in task.participating_department_ids or []],
                 "window_start": task.window_start.isoformat(), "window_end": task.window_end.isoformat()},
        "algorithm": draw.algorithm, "plan": public_plan, "plan_hash": draw.plan_hash,
        "snapshot_hash": draw.snapshot_hash, "snapshot_size": draw.snapshot_size, "commitment": draw.commitment,
        "committed_at": _iso(draw.committed_at), "beacon": plan["beacon"],
        "beacon_value": draw.beacon_value, "beacon_published_at": _iso(draw.beacon_published_at),
        "nonce": draw.nonce_hex if draw.seed_hex else None, "seed": draw.seed_hex, "drawn_at": _iso(draw.drawn_at),
        "counts": {s: {"N": c["N"], "n": c["n"]} for s, c in (draw.strata or {}).items()},
        "selected": [],
    }
    if draw.seed_hex:
        # Selected objects, identified publicly; the stratum (credit class) is omitted, and so is any
        # order by stratum: with the public per-stratum counts it would give each object's class away.
        drawn = drawn_objects(task.id)
        rows = sorted(_objects(drawn), key=lambda r: (r.credit_code is None, r.credit_code or "", r.id))
        body["selected"] = [{"name": r.name if staff else public_name(r), "credit_code": r.credit_code,
                             "withdrawn": drawn[r.id]} for r in rows]
    return body


def _objects(ids, chunk: int = 10_000) -> list:
    """Id, name and credit code of the given objects (in chunks: a draw selects tens of
    thousands, beyond the bind parameters one statement may carry)."""
    ids = sorted(ids)
    out = []
    for i in range(0, len(ids), chunk):
        out += db.session.execute(select(InspectionObject.id, InspectionObject.name, InspectionObject.credit_code,
                                         InspectionObject.object_type)
                                  .where(InspectionObject.id.in_(ids[i:i + chunk]))).all()
    return out


def drawn_objects(task_id: int) -> dict[int, bool]:
    """{object id: withdrawn} of every object the draw selected: the selection, plus objects
    substituted in by approved events (the objects they replaced marked withdrawn)."""
    out = {snapshot.object_id_of(row): False for r in stored_rankings(task_id).values() for row in id_list(r["selected"])}
    for e in approved_events(task_id):
        if e["type"] == "substitution":
            out[snapshot.object_id_of(e["outgoing_object"])] = True
            out[snapshot.object_id_of(e["incoming_object"])] = False
    return out


def approved_events(task_id: int) -> list[dict]:
    rows = db.session.execute(select(DrawEvent).where(DrawEvent.task_id == task_id, DrawEvent.status == "approved")
                              .order_by(DrawEvent.seq)).scalars()
    return [dict(e.payload) for e in rows]


def stored_rankings(task_id: int) -> dict[str, dict]:
    """``{stratum: {"N", "n", "ranking": text, "selected": text}}`` as stored (ids one per line)."""
    return {r.stratum: {"N": r.N, "n": r.n, "ranking": r.ranking, "selected": r.selected}
            for r in db.session.execute(select(DrawRanking).where(DrawRanking.task_id == task_id)).scalars()}


def id_list(text: str) -> list[str]:
    return text.split("\n") if text else []


def audit_package(task: InspectionTask) -> dict:
    """Everything `tools/verify_draw.py` needs, as one JSON document."""
    # As stored, not checked against snapshot_hash: an altered snapshot is the verifier's to report.
    rows = [json.loads(line) for line in persist.snapshot_text(task.id).splitlines()]
    strata = {s: {**r, "ranking": id_list(r["ranking"]), "selected": id_list(r["selected"])}
              for s, r in stored_rankings(task.id).items()}
    return package_around(task, rows, strata)


def package_around(task: InspectionTask, rows: list, strata: dict) -> dict:
    """The audit package with the given snapshot rows and per-stratum results (which the
    streaming export passes as placeholders, to splice the stored text in instead)."""
    draw: Draw = task.draw
    if draw.seed_hex is None:
        raise ValueError("not drawn yet")
    plan = json.loads(draw.plan_json)
    pool = json.loads(draw.pool_json)
    rule = teams.TeamRule.from_dict(plan["teams"])
    seed = bytes.fromhex(draw.seed_hex)
    try:
        initial = teams.match_teams(pool, rule, seed, [o for s in sorted(strata) for o in strata[s]["selected"]])
    except teams.TeamMatchingError:
        # The stored selection cannot be staffed (e.g. altered in the database): package it
        # without teams, and the verifier names the first check that fails.
        initial = {}
    stored = {"plan_hash": draw.plan_hash, "snapshot_hash": draw.snapshot_hash, "commitment": draw.commitment,
              "seed": draw.seed_hex, "strata": strata}
    package = pkg.build_audit_package(plan=plan, snapshot=rows, nonce=bytes.fromhex(draw.nonce_hex),
                                      beacon_value=draw.beacon_value, committed_at=_iso(draw.committed_at),
                                      draw=stored, pool=pool, rule=rule, teams=initial,
                                      events=approved_events(task.id))
    package["task"] = {"id": task.id, "code": task.code, "name": task.name}
    package["objects"] = {snapshot.row_id(r.id): {"name": r.name, "credit_code": r.credit_code}
                          for r in _objects(drawn_objects(task.id))}
    return package
