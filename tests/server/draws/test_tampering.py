"""Issue 4 acceptance: altering a draw is caught and the failing check is named — in the audit
package (by tools/verify_draw.py, run as a subprocess) and in the database (by
`flask audit verify`, which re-runs the verifier and compares the visits with the draw)."""
from __future__ import annotations

import copy
import json
import zlib

import pytest
from sqlalchemy import text

from tests.server.draws.draw_support import audit_package, demo_task_id, failing_check, run_verifier


def _first_stratum(pkg):
    return next(s for s in sorted(pkg["results"]) if len(pkg["results"][s]["selected"]) >= 2
                and len(pkg["results"][s]["ranking"]) > len(pkg["results"][s]["selected"]))


def _edit_selection(pkg):
    s = _first_stratum(pkg)
    res = pkg["results"][s]
    res["selected"][0] = res["ranking"][res["n"]]  # an object that was not drawn
    return f"stratum:{s}"


def _reorder_selection(pkg):
    s = _first_stratum(pkg)
    sel = pkg["results"][s]["selected"]
    sel[0], sel[1] = sel[1], sel[0]
    return f"stratum:{s}"


def _change_weight(pkg):
    row = next(r for r in pkg["snapshot"] if r["excluded"] is None)
    row["weight"] += 1
    return "snapshot_hash"


def _remove_row(pkg):
    del pkg["snapshot"][len(pkg["snapshot"]) // 2]
    return "snapshot_hash"


def _change_nonce(pkg):
    pkg["nonce"] = "00" * 32
    return "commitment"


def _change_beacon(pkg):
    pkg["beacon_value"] += " "
    return "seed"


def _change_seed(pkg):
    pkg["seed"] = "11" * 32
    return "seed"


def _swap_team_member(pkg):
    t = pkg["teams"]
    obj = sorted(t["teams"])[0]
    team = t["teams"][obj]
    out = team["members"][-1]
    role = team["roles"][out]
    dept = next(r["department"] for r in t["pool"] if r["id"] == out)
    other = next(r["id"] for r in t["pool"] if r["department"] == dept and r["id"] not in team["members"])
    team["members"][-1] = other
    del team["roles"][out]
    team["roles"][other] = role
    t["final_teams"][obj] = copy.deepcopy(team)  # a consistent-looking forgery, with no recorded replacement
    return "teams"


TAMPERINGS = [_edit_selection, _reorder_selection, _change_weight, _remove_row, _change_nonce, _change_beacon,
              _change_seed, _swap_team_member]


@pytest.fixture
def demo_package(client, login):
    return audit_package(client, login, demo_task_id(client, login))


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda f: f.__name__.lstrip("_"))
def test_tampered_audit_package_fails_naming_the_check(demo_package, tmp_path, tamper):
    pkg = copy.deepcopy(demo_package)
    expected = tamper(pkg)
    run = run_verifier(tmp_path, pkg)
    assert failing_check(run) == expected, run.stdout
    assert f"FAIL {expected}:" in run.stdout


# --- the same in the database, caught by `flask audit verify` ---------------------------------

def _verify(runner):
    return runner.invoke(args=["audit", "verify"])


def _db(dbs, sql, **params):
    with dbs() as s:
        s.execute(text(sql), params)
        s.commit()


def test_untouched_draw_passes_audit_verify(client, login, runner):
    demo_task_id(client, login)
    r = _verify(runner)
    assert r.exit_code == 0, r.output
    assert "PASS draw " in r.output and "visits match the verified draw" in r.output


def test_team_member_swapped_in_the_database_is_caught(client, login, runner, dbs):
    tid = demo_task_id(client, login)
    with dbs() as s:
        vid, member_id, inspector = s.execute(text(
            "SELECT m.visit_id, m.id, m.inspector_id FROM visit_members m JOIN visits v ON v.id = m.visit_id "
            "WHERE v.task_id = :t AND m.role = 'leader' ORDER BY v.stratum, v.rank LIMIT 1"), {"t": tid}).one()
        outsider = s.execute(text(
            "SELECT i.id FROM inspectors i JOIN departments d ON d.id = i.department_id WHERE d.code = 'scjg' "
            "AND i.id NOT IN (SELECT inspector_id FROM visit_members WHERE visit_id = :v) ORDER BY i.id LIMIT 1"),
            {"v": vid}).scalar_one()
    _db(dbs, "UPDATE visit_members SET inspector_id = :o WHERE id = :m", o=outsider, m=member_id)
    r = _verify(runner)
    assert r.exit_code == 1
    assert "differs from the draw and its approved replacements" in r.output


def _heavier_first_drawable(lines):
    i = next(i for i, line in enumerate(lines) if '"excluded":null' in line)
    row = json.loads(lines[i])
    lines[i] = json.dumps({**row, "weight": row["weight"] + 1}, sort_keys=True, separators=(",", ":"))


def _without_last_row(lines):
    del lines[-1]


def alter_stored_snapshot(dbs, task_id, edit):
    """Edit the stored snapshot's lines in place (recompressed, so it still reads fine)."""
    from server.draws.models import DrawSnapshot

    with dbs() as s:
        stored = s.get(DrawSnapshot, task_id)
        lines = zlib.decompress(stored.content).decode("utf-8").splitlines()
        edit(lines)
        stored.content = zlib.compress(("\n".join(lines) + "\n").encode("utf-8"))
        s.commit()


@pytest.mark.parametrize("edit", [_heavier_first_drawable, _without_last_row], ids=["weight", "row-removed"])
def test_snapshot_changed_in_the_database_is_caught(client, login, runner, dbs, edit):
    alter_stored_snapshot(dbs, demo_task_id(client, login), edit)
    r = _verify(runner)
    assert r.exit_code == 1
    assert "verifier check snapshot_hash failed" in r.output, r.output


@pytest.mark.parametrize("sql, check", [
    ("UPDATE draws SET beacon_value = '9 9 9' WHERE task_id = :t", "seed"),
    ("UPDATE draws SET nonce_hex = '" + "ab" * 32 + "' WHERE task_id = :t", "commitment"),
], ids=["beacon", "nonce"])
def test_draw_records_changed_in_the_database_are_caught(client, login, runner, dbs, sql, check):
    tid = demo_task_id(client, login)
    _db(dbs, sql, t=tid)
    r = _verify(runner)
    assert r.exit_code == 1
    assert f"verifier check {check} failed" in r.output, r.output


def test_selection_changed_in_the_database_is_caught(client, login, runner, dbs):
    from server.draws.models import DrawRanking

    tid = demo_task_id(client, login)
    with dbs() as s:
        row = s.get(DrawRanking, (tid, "B"))
        sel = row.selected.split("\n")
        sel[0], sel[1] = sel[1], sel[0]
        row.selected = "\n".join(sel)
        s.commit()
    r = _verify(runner)
    assert r.exit_code == 1
    assert "verifier check stratum:B failed" in r.output, r.output


def test_a_selection_padded_in_the_database_is_caught(client, login, runner, dbs):
    tid = demo_task_id(client, login)
    _db(dbs, "UPDATE draw_rankings SET selected = ranking WHERE task_id = :t AND stratum = 'B'", t=tid)
    r = _verify(runner)
    assert r.exit_code == 1
    assert "verifier check stratum:B failed" in r.output, r.output
