"""Permission-matrix rows of the audit checkpoints and key."""
from __future__ import annotations

from tests.support.matrix import AUTHED, Row

ROWS = {
    ("GET", "/api/v1/audit/checkpoints"): Row({"office", "auditor"}, lambda c, w: ("/api/v1/audit/checkpoints", {})),
    ("POST", "/api/v1/audit/checkpoints"): Row({"office", "auditor"}, lambda c, w: ("/api/v1/audit/checkpoints", {})),
    ("GET", "/api/v1/audit/public-key"): Row(AUTHED, lambda c, w: ("/api/v1/audit/public-key", {})),
}
ROWS.update({
    ("GET", "/api/v1/audit/entries"): Row({"office", "auditor", "scjg-admin", "sthj-admin"},
                                          lambda c, w: ("/api/v1/audit/entries", {})),
    ("GET", "/api/v1/audit/verify"): Row({"office", "auditor"}, lambda c, w: ("/api/v1/audit/verify", {})),
})
