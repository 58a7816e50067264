"""A fresh demo contains a documentary check and a record confirmed by the company stamp, both
sealed and waiting on the review desk, both in the record PDF (server/demo/methods.py)."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader

from tests.support.http import Session


def test_the_demo_has_a_documentary_check_and_a_stamped_record(empty_app):
    from server.demo.cli import load_demo

    with empty_app.app_context():
        ctx = load_demo("demo-pass-123")
        doc, stamped = ctx["documentary_record"], ctx["stamped_record"]
    client = empty_app.test_client()
    scjg = Session.login(client, "scjg-reviewer", "demo-pass-123", "demo-scjg-reviewer").headers
    queue = {r["visit_id"]: r for r in client.get("/api/v1/reviews", headers=scjg).get_json()}
    assert doc in queue and stamped in queue
    assert queue[doc]["status"] == queue[stamped]["status"] == "pending"

    detail = client.get(f"/api/v1/reviews/{doc}", headers=scjg).get_json()
    record = client.get(f"/api/v1/visits/{doc}", headers=scjg).get_json()
    assert detail["binding_verified"] is True
    assert record["planned_method"]["code"] == "documentary" and record["planned_method"]["source"] == "visit"
    assert record["record"]["method"] == "documentary" and "进货查验记录" in record["record"]["method_details"]["documents_received"]
    assert record["record"]["arrival"] is None and [s["role"] for s in record["record"]["signatures"]] == ["inspector"]

    record = client.get(f"/api/v1/visits/{stamped}", headers=scjg).get_json()
    assert client.get(f"/api/v1/reviews/{stamped}", headers=scjg).get_json()["binding_verified"] is True
    (party,) = [s for s in record["record"]["signatures"] if s["role"] == "legal_rep"]
    assert party["kind"] == "stamp" and party["id_type"] is None and party["id_number_masked"] is None

    def pdf(vid):
        r = client.get(f"/api/v1/reviews/{vid}/record.pdf", headers=scjg)
        assert r.status_code == 200
        return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages))

    text = pdf(doc)
    assert "书面检查" in text and "营业执照复印件1份" in text
    assert "以加盖公章确认" in pdf(stamped)
    result = empty_app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
