"""Issue 4's permission rules, as rows of the role × endpoint matrix.

The rows themselves live in tests/server/visits/matrix.py (draws, visits and review share the
"field" demo data) and are exercised for every persona by tests/server/test_permission_matrix.py.
Here: every draws route has a row, and the rows say what the issue says — only the initiating
department's admin launches and draws, only the department leader decides replacements, and the
audit package is for the office and auditors only. The public view needs no login.
"""
from __future__ import annotations

import importlib

import pytest

ROWS = importlib.import_module("tests.server.visits.matrix").ROWS


def _row(method, rule):
    return ROWS[(method, rule)]


def test_every_draws_route_has_a_matrix_row(app):
    routes = {(m, r.rule) for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/draws")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes and routes <= set(ROWS), sorted(routes - set(ROWS))


@pytest.mark.parametrize("method, rule, allowed", [
    ("POST", "/api/v1/draws", {"scjg-admin"}),
    ("POST", "/api/v1/draws/<int:task_id>/reveal", {"scjg-admin"}),
    ("POST", "/api/v1/draws/<int:task_id>/events/<int:event_id>/decision", {"scjg-leader"}),
    ("GET", "/api/v1/draws/<int:task_id>/audit-package", {"office", "auditor"}),
    ("POST", "/api/v1/draws/<int:task_id>/substitutions", {"scjg-admin"}),
    ("POST", "/api/v1/draws/<int:task_id>/replacements", {"scjg-admin", "scjg-insp1"}),
])
def test_matrix_rows_follow_the_issue(method, rule, allowed):
    row = _row(method, rule)
    assert row.allowed == allowed
    # Another department's admin (sthj takes no part in the demo task) does not see the task.
    if "<int:task_id>" in rule and rule != "/api/v1/draws/<int:task_id>/audit-package" and "decision" not in rule:
        assert "sthj-admin" in row.hidden


def test_public_draw_view_needs_no_login(client, login):
    tasks = client.get("/api/v1/draws", headers=login("office")).get_json()
    assert client.get(f"/api/v1/public/draws/{tasks[0]['id']}").status_code == 200
