"""A whole normal inspection through sync: answers, signatures bound to the content, seal."""
from __future__ import annotations

from tests.support.field import complete_inspection, content_sha256


def test_full_inspection_is_sealed(client, login, dbs):
    ctx = complete_inspection(client, login("office"))
    lead = ctx["lead"]
    lead.pull()
    v = lead.visit(ctx["visit_id"])
    assert v["status"] == "sealed"
    assert v["record"]["sealed"]["content_sha256"] == ctx["content_sha256"] == content_sha256(v)
    assert all(s["content_sha256"] == ctx["content_sha256"] for s in v["record"]["signatures"])
    assert v["evidence_pending"] is False  # every photo and signature image arrived
