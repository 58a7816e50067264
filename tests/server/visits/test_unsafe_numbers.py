"""Numbers JSON cannot carry exactly never reach a sealed record's amendment or a draw event (issue 19)."""
from __future__ import annotations

import json
import uuid

from sqlalchemy import func, select

from tests.server.draws.draw_support import demo_task_id
from tests.support.field import complete_inspection


def _raw(obj, placeholder="__BAD__", bad="1e999") -> bytes:
    return json.dumps(obj, ensure_ascii=False).replace(f'"{placeholder}"', bad).encode()


def test_amendment_with_1e999_is_rejected_not_500(client, login, dbs):
    from server.visits.models import Amendment

    ctx = complete_inspection(client, login("office"))
    lead = ctx["lead"]
    m = lead.mutation("amendment.add", visit_id=ctx["visit_id"], amendment_id=str(uuid.uuid4()), reason="更正温度读数",
                      patch=[{"op": "add", "path": "/answers/0/note", "value": "__BAD__"}])
    body = {"client_id": lead.client_id, "schema_version": 1, "mutations": [m]}
    r = client.post("/api/v1/sync/push", data=_raw(body), headers={**lead.headers, "Content-Type": "application/json"})
    assert r.status_code == 200, r.get_data(as_text=True)
    res = r.get_json()["results"][0]
    assert res["status"] == "rejected" and res["problem"]["code"] == "number_out_of_range"
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(Amendment)) == 0


def test_draw_replacement_evidence_never_stores_infinity(client, login, dbs):
    from server.draws.models import DrawEvent

    tid = demo_task_id(client, login)
    body = {"object_id": 1, "inspector_id": 1, "reason_code": "conflict_of_interest", "reason": "其配偶在该企业任职",
            "evidence": {"document": "回避申请表", "pages": "__BAD__"}}
    for bad in ("Infinity", "1e999", "NaN"):
        r = client.post(f"/api/v1/draws/{tid}/replacements", data=_raw(body, bad=bad),
                        headers={**login("scjg-admin"), "Content-Type": "application/json"})
        assert r.status_code == 422 and r.get_json()["code"] == "number_out_of_range", r.get_data(as_text=True)
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(DrawEvent)) == 0
