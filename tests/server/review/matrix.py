"""Permission-matrix rows of the back office: the record PDF, the joint summary and the statistics."""
from __future__ import annotations

from tests.support.matrix import Row


def _record_pdf(ctx, who):
    from tests.server.visits.matrix import sealed

    return f"/api/v1/reviews/{sealed(ctx)}/record.pdf", {}


def _summary(ctx, who):
    from tests.server.visits.matrix import sealed

    return f"/api/v1/reviews/{sealed(ctx)}/publish-summary", {}


_TASK_STAFF = {"office", "auditor", "scjg-admin", "scjg-leader", "scjg-reviewer"}
_STATS = {"office", "auditor", "scjg-admin", "scjg-leader", "scjg-reviewer", "sthj-admin"}

ROWS = {
    ("GET", "/api/v1/reviews/<uuid:visit_id>/record.pdf"): Row(_TASK_STAFF, _record_pdf, hidden={"sthj-admin"}),
    # The initiating department's reviewers (refused with 409 while the other departments have not entered).
    ("POST", "/api/v1/reviews/<uuid:visit_id>/publish-summary"): Row({"scjg-admin", "scjg-reviewer"}, _summary,
                                                                    hidden={"sthj-admin"}),
    ("GET", "/api/v1/reviews/withholdings"): Row(_STATS, lambda c, w: ("/api/v1/reviews/withholdings", {})),
    ("GET", "/api/v1/statistics"): Row(_STATS, lambda c, w: ("/api/v1/statistics", {})),
    ("GET", "/api/v1/statistics/charts/<kind>.svg"): Row(
        _STATS, lambda c, w: ("/api/v1/statistics/charts/completion.svg", {})),
    ("GET", "/api/v1/statistics/export.xlsx"): Row(_STATS, lambda c, w: ("/api/v1/statistics/export.xlsx", {})),
}
