"""Helpers for lead tests: a sealed record with a finding, leads from it, departments by code, audit actions."""
from __future__ import annotations

from sqlalchemy import text

from tests.support.field import complete_inspection, image_bytes, upload


def dept_codes(client, headers) -> dict[int, str]:
    return {d["id"]: d["code"] for d in client.get("/api/v1/departments", headers=headers).get_json()}


def sealed_with_finding(client, office, *, upload_bytes: bool = True, department: str | None = None, **finding) -> dict:
    """A sealed record with one finding (by default on a participating department's item)."""
    spec = {"department": department, "legal_basis": "《食品安全法》第一百二十六条", "description": "未按规定公示许可证",
            "measures": ["onsite_record", "urge_rectify"], **finding}
    ctx = complete_inspection(client, office, findings=[spec], codes=("A", "5"), followup="transfer",
                              upload_bytes=upload_bytes)
    ctx["finding_id"] = ctx["findings"][0]
    return ctx


def make_leads(client, login, n: int) -> list[int]:
    """`n` leads from one finding, each with its own message to the receiving department."""
    office, rev = login("office"), login("scjg-reviewer")
    ctx = sealed_with_finding(client, office)
    ids = []
    for i in range(n):
        r = client.post("/api/v1/leads", headers=rev, json={"finding_id": ctx["finding_id"], "category": "department",
                                                          "summary": f"线索 {i}"})
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["id"])
    return ids


def upload_all(client, ctx) -> None:
    for mid in ctx["media"]:
        upload(client, ctx["lead"].headers, mid, image_bytes(mid))


def audit_actions(dbs, target_type: str, target_id) -> list[str]:
    """Actions of the audit entries about one target, in chain order."""
    with dbs() as s:
        return list(s.execute(text("SELECT action FROM audit_entries WHERE target_type = :t AND target_id = :i "
                                   "ORDER BY seq"), {"t": target_type, "i": str(target_id)}).scalars())
