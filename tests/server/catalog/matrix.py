"""Permission-matrix rows of the check-item lists."""
from __future__ import annotations

from tests.support.matrix import AUTHED, Row, uniq


def item_body(code: str | None = None, **over) -> dict:
    body = {
        "code": code or f"T-{uniq():05d}", "name": "测试事项", "legal_basis": "《测试法》第一条",
        "object_types": ["enterprise"], "level": "general", "max_ratio": "0.05", "methods": ["onsite"],
        "checkpoints": [{"key": "cp1", "prompt": "是否合规", "answer_type": "pass_fail_na"}],
    }
    body.update(over)
    return body


def prepare(ctx):
    client, office = ctx["client"], ctx["sessions"]["scjg-admin"].headers
    r = client.post("/api/v1/items", headers=office, json=item_body())
    assert r.status_code == 201, r.get_json()
    ctx["scjg_item"] = r.get_json()["id"]


def _revise(ctx, who):
    body = item_body()
    body.pop("code")
    body["name"] = f"修订{uniq()}"
    return f"/api/v1/items/{ctx['scjg_item']}", {"json": body}


ROWS = {
    ("GET", "/api/v1/items"): Row(AUTHED, lambda c, w: ("/api/v1/items", {})),
    ("POST", "/api/v1/items"): Row({"office", "scjg-admin", "sthj-admin"},
                                   lambda c, w: ("/api/v1/items", {"json": item_body()})),
    ("GET", "/api/v1/items/<int:item_id>"): Row(AUTHED, lambda c, w: (f"/api/v1/items/{c['scjg_item']}", {})),
    ("PUT", "/api/v1/items/<int:item_id>"): Row({"office", "scjg-admin"}, _revise, hidden={"sthj-admin"}),
    ("GET", "/api/v1/items/<int:item_id>/versions/<int:version>"): Row(
        AUTHED, lambda c, w: (f"/api/v1/items/{c['scjg_item']}/versions/1", {})),
    ("POST", "/api/v1/items/<int:item_id>/retire"): Row(
        {"office", "scjg-admin"}, lambda c, w: (f"/api/v1/items/{c['scjg_item']}/retire", {"json": {"reason": "法规废止"}}),
        hidden={"sthj-admin"}),
}
