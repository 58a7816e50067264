"""Permission-matrix rows of the sync endpoints (every logged-in user syncs their own client)."""
from __future__ import annotations

import uuid

from tests.support.matrix import AUTHED, Row


def _push(ctx, who):
    return "/api/v1/sync/push", {"json": {"client_id": str(uuid.uuid4()), "schema_version": 1, "mutations": []}}


ROWS = {
    ("POST", "/api/v1/sync/push"): Row(AUTHED, _push),
    ("GET", "/api/v1/sync/pull"): Row(AUTHED, lambda c, w: (f"/api/v1/sync/pull?client_id={uuid.uuid4()}", {})),
    ("GET", "/api/v1/sync/rejections"): Row(AUTHED, lambda c, w: ("/api/v1/sync/rejections", {})),
}
