"""`audit verify` replays the log for entered and published results (trust.md, issue 19).

The entered result codes are what `review.approve` logged, changed only by `result.revise`; a
published row says what `result.publish` logged, changed only by a `result.revise` of a published
result (which also stamps `revised_at`). A row that disagrees was edited outside the application;
a row the log never describes was written outside it, or its entries were cut from the log's end.

Keys: a review is matched by (visit, department) when the entries carry a `department_id`, else
by visit alone (entries logged before results were entered per department). A published row is
matched by (visit, kind, department) — each department's own row, and one joint summary per
visit — with the same fallback to the visit alone.
"""
from __future__ import annotations

from sqlalchemy import select

from ..audit.service import Finding, logged, register_verifier
from .models import PublishedResult, Review

ACTIONS = ["review.approve", "result.revise", "result.publish"]
ENTERED = ("approved", "published", "withheld")


def _key(visit_id, data: dict):
    return (visit_id, data.get("department_id"))


def _find(table: dict, visit_id, department_id):
    return table.get((visit_id, department_id), table.get((visit_id, None)))


def _pub_key(visit_id, kind: str | None, department_id):
    kind = kind or "department"
    return (visit_id, kind, department_id if kind == "department" else None)


def _find_published(table: dict, visit_id, kind, department_id):
    return table.get(_pub_key(visit_id, kind, department_id), table.get((visit_id, "department", None)))


def _log_state(session) -> tuple[dict, dict]:
    entered: dict = {}  # key -> codes
    published: dict = {}  # key -> {"result", "codes", "revised"}
    for e in logged(session, ACTIONS):
        key = _key(e.target_id, e.data)
        if e.action == "review.approve":
            entered[key] = list(e.data.get("result_codes") or [])
        elif e.action == "result.publish":
            published[_pub_key(e.target_id, e.data.get("kind"), e.data.get("department_id"))] = {
                "result": e.data.get("result"), "codes": e.data.get("result_codes"), "revised": False}
        else:
            entered[key] = list(e.data.get("to") or [])
            if isinstance(e.data.get("revised"), list):  # per-department results: each revised row named
                for item in e.data["revised"]:
                    published[_pub_key(e.target_id, item.get("kind"), e.data.get("department_id"))] = {
                        "result": item.get("result"), "codes": item.get("result_codes"), "revised": True}
            elif e.data.get("published"):
                pkey = _pub_key(e.target_id, "department", e.data.get("department_id"))
                if pkey in published:
                    published[pkey] = {"result": e.data.get("result"), "codes": list(e.data.get("to") or []),
                                       "revised": True}
    return entered, published


def _review_problem(review: Review, entered: dict) -> str | None:
    if review.status not in ENTERED:
        return None
    codes = _find(entered, review.visit_id, getattr(review, "department_id", None))
    if codes is None:
        return "results are entered, but the log holds no approval for them (entries removed or the log cut short)"
    if list(review.result_codes or []) != codes:
        return f"entered result codes {review.result_codes} differ from the logged {codes}"
    return None


def _published_problem(row: PublishedResult, published: dict) -> str | None:
    logged_row = _find_published(published, row.visit_id, row.kind, row.department_id)
    if logged_row is None:
        return "published, but the log holds no publication of it (entries removed or the log cut short)"
    if row.result != logged_row["result"]:
        return f"the published result “{row.result}” differs from the logged “{logged_row['result']}”"
    if logged_row["codes"] is not None and list(row.result_codes or []) != logged_row["codes"]:
        return f"the published result codes {row.result_codes} differ from the logged {logged_row['codes']}"
    if (row.revised_at is not None) != logged_row["revised"]:
        return "the revision mark differs from the log (a revision without a logged decision)"
    return None


def verify_results_against_log(session) -> list[Finding]:
    entered, published = _log_state(session)
    reviews = session.execute(select(Review).order_by(Review.visit_id)).scalars().all()
    for review in reviews:
        problem = _review_problem(review, entered)
        if problem:
            return [Finding(f"review {review.visit_id} (log)", False, problem)]
    rows = session.execute(select(PublishedResult).order_by(PublishedResult.id)).scalars().all()
    for row in rows:
        problem = _published_problem(row, published)
        if problem:
            return [Finding(f"published result {row.visit_id} (log)", False, problem)]
    return [Finding("results (log)", True, f"{len(reviews)} reviews and {len(rows)} published results agree with the log")]


register_verifier("results (log)", verify_results_against_log)
