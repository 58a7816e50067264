"""`audit verify` re-runs the standalone draw verifier on every draw, and checks (through the
visits' side of `assignments`) that the visits in the database are exactly what the draw and
its approved events produced (a team member swapped in the database is caught here)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import select

from ..audit.service import Finding, register_verifier
from . import assignments
from .models import InspectionTask
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
        selection = {o for objs in pkg["final_selection"].values() for o in objs}
        final = {row: team["members"] for row, team in pkg["teams"]["final_teams"].items()}
        ok, message = assignments.sink().check(task, selection, final)
        findings.append(Finding(name, ok, message))
    return findings


register_verifier("draws", verify_draws)
