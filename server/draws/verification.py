"""`audit verify` re-runs the standalone draw verifier on every draw, and checks
that the visits in the database are exactly what the draw and its approved
events produced (a team member swapped in the database is caught here)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import select

from ..audit.service import Finding
from ..extensions import db
from . import snapshot
from .models import InspectionTask, Visit
from .views import audit_package

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"


def _verifier():
    spec = importlib.util.spec_from_file_location("verify_draw", VERIFIER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verify_draws(session) -> list[Finding]:
    findings: list[Finding] = []
    tasks = session.execute(select(InspectionTask).where(InspectionTask.status == "drawn").order_by(InspectionTask.id)).scalars().all()
    if not tasks:
        return findings
    verifier = _verifier()
    for task in tasks:
        name = f"draw {task.code}"
        pkg = audit_package(task)
        failed = [(n, d) for n, ok, d in verifier.verify(pkg) if not ok]
        if failed:
            findings.append(Finding(name, False, f"verifier check {failed[0][0]} failed: {failed[0][1]}"))
            continue
        visits = db.session.execute(select(Visit).where(Visit.task_id == task.id)).scalars().all()
        live = {snapshot.row_id(v.object_id): v for v in visits if v.status != "withdrawn"}
        expected = {o for objs in pkg["final_selection"].values() for o in objs}
        if set(live) != expected:
            findings.append(Finding(name, False, "the visits differ from the draw's selection"))
            continue
        final = pkg["teams"]["final_teams"]
        bad = next((row for row, v in sorted(live.items())
                    if sorted(str(m.inspector_id) for m in v.members if m.active) != sorted(final[row]["members"])), None)
        if bad:
            findings.append(Finding(name, False, f"team of object {bad} differs from the draw and its approved replacements"))
            continue
        findings.append(Finding(name, True, f"{len(live)} visits match the verified draw"))
    return findings


def _register() -> None:
    from ..audit.service import register_verifier

    register_verifier("draws", verify_draws)


_register()
