"""Helpers of the draw acceptance tests (issue 4), on the "field" demo data.

The demo has the joint task T01 launched and drawn (server/demo/draws.py) and the
single-department task T02 of the same approved plan not yet launched; tests launch and
reveal T02 through the API the way the demo does through the service.
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[3]
VERIFIER = ROOT / "tools" / "verify_draw.py"
# The verifier is run as an outsider runs it: the system python, standard library only.
STDLIB_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
BEACON = {"source": "中国福利彩票3D", "reference": "第2026330期"}
BEACON_VALUE = "5 0 9"


def just_published() -> str:
    """A beacon publication time after any commitment made so far, and not in the future."""
    return dt.datetime.now(dt.timezone.utc).isoformat()


def plan_task_id(client, headers, code: str) -> int:
    plans = client.get("/api/v1/plans", headers=headers).get_json()
    return next(t["id"] for p in plans for t in p["current"]["tasks"] if t["code"] == code)


def launch(client, login, code: str = "T02", beacon: dict | None = None, borrow: list | None = None,
           user: str = "scjg-admin"):
    body = {"plan_task_id": plan_task_id(client, login("office"), code), "beacon": beacon or BEACON}
    if borrow is not None:
        body["borrow"] = borrow
    return client.post("/api/v1/draws", headers=login(user), json=body)


def reveal(client, login, task_id: int, value: str = BEACON_VALUE, reference: str | None = None,
           published_at: str | None = None, user: str = "scjg-admin"):
    return client.post(f"/api/v1/draws/{task_id}/reveal", headers=login(user), json={
        "beacon_value": value, "reference": reference or BEACON["reference"],
        "published_at": published_at or just_published()})


def launched(client, login, **kw) -> dict:
    r = launch(client, login, **kw)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def drawn(client, login, **kw) -> dict:
    body = launched(client, login, **kw)
    r = reveal(client, login, body["task"]["id"])
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def items_by_code(client, login) -> dict[str, dict]:
    return {i["code"]: i for i in client.get("/api/v1/items?limit=500", headers=login("scjg-admin")).get_json()["items"]}


def publish_extra_task(client, login, body: dict, reason: str = "增加抽查任务"):
    """Adjust the demo plan with one more task and take it through to publication (the office
    approves and publishes), so that tests can launch it."""
    admin, office = login("scjg-admin"), login("office")
    plan = next(p for p in client.get("/api/v1/plans", headers=office).get_json()
                if any(t["code"] == "T02" for t in p["current"]["tasks"]))
    r = client.post(f"/api/v1/plans/{plan['id']}/adjust", headers=admin, json={"reason": reason})
    assert r.status_code == 201, r.get_json()
    r = client.put(f"/api/v1/plans/{plan['id']}/tasks", headers=admin, json=body)
    assert r.status_code == 200, r.get_json()
    for step, payload in (("submit", None), ("aggregate", None), ("approve", {"approval_ref": "忻政函〔2026〕20号"}),
                          ("publish", None)):
        r = client.post(f"/api/v1/plans/{plan['id']}/{step}", headers=admin if step == "submit" else office,
                        json=payload)
        assert r.status_code == 200, (step, r.get_json())


def demo_task_id(client, login) -> int:
    tasks = client.get("/api/v1/draws", headers=login("office")).get_json()
    return next(t["id"] for t in tasks if t["code"].endswith("-T01"))


def audit_package(client, login, task_id: int) -> dict:
    r = client.get(f"/api/v1/draws/{task_id}/audit-package", headers=login("auditor"))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def run_verifier(tmp_path: Path, package: dict, name: str = "package.json", *extra: str):
    path = tmp_path / name
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    return subprocess.run([STDLIB_PYTHON, "-I", "-S", str(VERIFIER), str(path), *extra],
                          capture_output=True, text=True, timeout=120)


def failing_check(run) -> str:
    """The check the verifier names as the first failure."""
    assert run.returncode == 1, run.stdout
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("VERIFICATION FAILED; first failing check: "), last
    return last.rsplit(": ", 1)[1]


def audit_entries(dbs, action: str, task_id: int) -> list[dict]:
    from server.audit.models import AuditEntry

    with dbs() as s:
        rows = s.execute(select(AuditEntry.seq, AuditEntry.payload).where(
            AuditEntry.action == action, AuditEntry.target_type == "task",
            AuditEntry.target_id == str(task_id)).order_by(AuditEntry.seq)).all()
    return [{"seq": seq, **json.loads(payload)["data"]} for seq, payload in rows]


def principal(username: str):
    from server.accounts.models import User
    from server.demo.catalog import principal_for
    from server.extensions import db

    return principal_for(db.session.execute(select(User).where(User.username == username)).scalar_one())


def teams_in_db(dbs, task_id: int) -> dict[int, list[int]]:
    """{object_id: sorted active inspector ids} of a task's live visits, read from the database."""
    from server.visits.models import Visit

    with dbs() as s:
        visits = s.execute(select(Visit).where(Visit.task_id == task_id, Visit.status != "withdrawn")).scalars()
        return {v.object_id: sorted(m.inspector_id for m in v.members if m.active) for v in visits}
