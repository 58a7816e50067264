"""The fast paths of a million-object draw give exactly what the literal spec gives: the
snapshot built line by line from the scope query, its stored (compressed) form and parsing,
batched HMACs, the teams hash and the visit ids. And migration 0013 keeps existing snapshots."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
import zlib
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from server.draws import algorithm as A
from server.draws import canonical as C
from server.draws import snapshot as S
from server.draws import teams as T

TODAY = dt.date(2026, 11, 29)
STATUSES = ["active", "operating", "deregistered", "revoked", "suspended"]
DAYS = [None, TODAY, dt.date(2026, 1, 5), dt.date(2025, 6, 1), dt.date(2024, 11, 28), dt.date(2019, 3, 3)]


def _plan_task(**kw):
    return SimpleNamespace(scope=kw.get("scope", {}), exclusions=kw.get("exclusions", {}),
                           weight_rule=kw.get("weight_rule", {"default": 1, "not_checked_2y": 2, "not_checked_3y": 5,
                                                         "abnormal_list": 1, "serious_violation_list": 2,
                                                         "complaints_per_point": 3, "complaints_max": 2}))


def _reference_rows(candidates, plan_task):
    """The snapshot rows as draw.md defines them, one dict per candidate, the slow way."""
    statuses = (plan_task.scope or {}).get("statuses") or ["active", "operating"]
    rule = plan_task.weight_rule
    rows = []
    for oid, status, risk, last, abnormal, serious, complaints in candidates:
        excluded = S.exclusion_for(status, risk, last, TODAY, plan_task.exclusions, statuses)
        weight = 0 if excluded else S.weight_for(last, TODAY, rule, abnormal, serious, complaints)
        rows.append({"id": S.row_id(oid), "stratum": risk or "U", "excluded": excluded, "weight": weight,
                     "status": status, "last_checked_on": last and last.isoformat(), "abnormal_list": abnormal,
                     "serious_violation_list": serious, "complaints": complaints})
    return rows


candidates_st = st.lists(
    st.tuples(st.integers(1, 10**10 - 1), st.sampled_from(STATUSES), st.sampled_from(["A", "B", "C", "D", None]),
              st.sampled_from(DAYS), st.booleans(), st.booleans(), st.sampled_from([0, 1, 3, 7])),
    max_size=60, unique_by=lambda c: c[0]).map(sorted)


@settings(max_examples=150, deadline=None)
@given(candidates_st, st.integers(1, 7), st.booleans())
def test_frozen_snapshot_is_byte_for_byte_the_spec_snapshot(candidates, batch, iso_dates):
    plan_task = _plan_task()
    # SQLite's driver hands dates over as ISO text, PostgreSQL's as dates: both freeze alike.
    fed = [(oid, status, risk, last.isoformat() if iso_dates and last else last, *signals)
           for oid, status, risk, last, *signals in candidates]
    frozen = S.freeze([fed[i:i + batch] for i in range(0, len(fed), batch)], plan_task, TODAY)
    rows = _reference_rows(candidates, plan_task)
    data = S.decode(frozen.content)
    assert data == "".join(A.jcs_text(r) + "\n" for r in rows).encode()
    assert frozen.sha256 == A.snapshot_hash(rows) and (frozen.size, frozen.byte_count) == (len(rows), len(data))
    plan = {"algorithm": A.ALGORITHM, "rounding": "ceil", "strata": {s: "0.5" for s in "ABCDU"}}
    assert A.sample_counts(plan, frozen.drawable) == A.stratum_counts(plan, rows)
    parsed = S.parse(data.decode())
    assert [{"id": i, "stratum": s, "weight": w, "excluded": e} for i, s, w, e in parsed] == \
        [{k: r[k] for k in ("id", "stratum", "weight", "excluded")} for r in rows]
    buckets = S.drawable_rows(data.decode(), ["A", "U"])
    assert buckets == {s: [(r["id"], r["weight"]) for r in rows if r["stratum"] == s and r["excluded"] is None]
                       for s in ("A", "U")}


def test_freeze_refuses_unordered_ids_and_a_rule_giving_weight_zero():
    import pytest

    with pytest.raises(ValueError, match="ascend"):
        S.freeze([[(5, "active", "A", None, False, False, 0), (5, "active", "B", None, False, False, 0)]],
                 _plan_task(), TODAY)
    with pytest.raises(ValueError, match="non-positive weight"):
        S.freeze([[(1, "active", "A", None, False, False, 0)]], _plan_task(weight_rule={"not_checked_3y": 0}), TODAY)


def test_parse_reads_lines_the_fast_pattern_does_not_cover():
    rows = [{"id": "0000000001", "stratum": "甲类", "weight": 2, "excluded": None},
            {"id": "0000000002", "stratum": "A", "weight": 0, "excluded": "deregistered"}]
    text = "".join(A.jcs_text(r) + "\n" for r in rows)
    assert S.parse(text) == [("0000000001", "甲类", 2, None), ("0000000002", "A", 0, "deregistered")]
    assert S.drawable_rows(text, ["甲类"]) == {"甲类": [("0000000001", 2)]}


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=1, max_size=100), st.binary(max_size=20), st.lists(st.binary(max_size=30), max_size=8))
def test_batched_hmac_equals_hmac(key, prefix, suffixes):
    expected = [hmac.new(key, prefix + s, hashlib.sha256).digest() for s in suffixes]
    assert C.HmacSha256(key).many(prefix, suffixes) == expected
    assert [C.hmac_sha256_prefixed(key, prefix)(s) for s in suffixes] == expected


ids_st = st.text(min_size=1, max_size=6)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(ids_st, st.lists(ids_st, min_size=1, max_size=4, unique=True), max_size=6))
def test_teams_hash_is_the_canonical_lines_hash(members_by_object):
    teams = {o: {"leader": ms[0], "members": ms, "roles": {m: ("leader" if i == 0 else "科室") for i, m in enumerate(ms)}}
             for o, ms in members_by_object.items()}
    assert T.teams_hash(teams) == C.jcs_lines_hash([{"object": o, **t} for o, t in sorted(teams.items())])


def test_visit_ids_are_uuid5_of_task_and_object():
    from server.visits.assignments import VISIT_NAMESPACE, visit_uuid

    for code, oid in (("2026-XZ-T01", 1), ("计划-T02", 9_999_999_999), ("x", 42)):
        assert visit_uuid(code, oid) == str(uuid.uuid5(VISIT_NAMESPACE, f"{code}:{oid}"))


def test_migration_0013_refuses_to_drop_the_weight_rule_columns(app, runner):
    """The demo draw's snapshot carries the weight rule's columns, which the row-per-candidate table
    below 0013 cannot hold: the downgrade refuses (nothing lost), and the draw still verifies."""
    import pytest
    from flask_migrate import downgrade, upgrade

    from server.draws.models import Draw, DrawSnapshot
    from server.extensions import db

    with app.app_context():
        draw = db.session.execute(db.select(Draw).where(Draw.seed_hex.is_not(None))).scalars().first()
        task_id, committed = draw.task_id, draw.snapshot_hash
        db.session.remove()
        with pytest.raises(SystemExit):  # flask-migrate reports the RuntimeError and exits
            downgrade(revision="0012_leads")
        db.session.remove()
        upgrade()
        data = zlib.decompress(db.session.get(DrawSnapshot, task_id).content)
        assert hashlib.sha256(data).hexdigest() == committed
        db.session.remove()
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 0, r.output


def test_exported_package_text_parses_to_the_audit_package(app, client, login, runner, tmp_path):
    """The package spliced together from stored text (HTTP download and `draws export-audit`)
    is the very document `views.audit_package` builds, and the verifier passes it."""
    import json

    from server.draws.models import InspectionTask
    from server.draws.views import audit_package
    from server.extensions import db
    from tests.server.draws.draw_support import demo_task_id, run_verifier

    tid = demo_task_id(client, login)
    with app.app_context():
        built = json.loads(json.dumps(audit_package(db.session.get(InspectionTask, tid)), ensure_ascii=False))
        db.session.remove()
    r = client.get(f"/api/v1/draws/{tid}/audit-package", headers=login("auditor"))
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert int(r.headers["Content-Length"]) == len(r.data)
    assert r.get_json() == built
    out = tmp_path / "pkg.json"
    assert runner.invoke(args=["draws", "export-audit", str(tid), str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == built
    assert len(built["snapshot"]) > 50 and all(len(res["ranking"]) >= res["n"] for res in built["results"].values())
    run = run_verifier(tmp_path, built)
    assert run.returncode == 0, run.stdout


def test_spliced_arrays_cover_chunk_boundaries(monkeypatch):
    import json

    from server.draws import export

    monkeypatch.setattr(export, "CHUNK", 7)
    lines = "".join(A.jcs_text({"excluded": None, "id": f"{i:010d}", "stratum": "B", "weight": 1}) + "\n"
                    for i in range(1, 40))
    assert json.loads("".join(export._snapshot_json(lines))) == [json.loads(x) for x in lines.splitlines()]
    assert "".join(export._snapshot_json("")) == "[]"
    ids = "\n".join(f"{i:010d}" for i in range(1, 40))
    assert json.loads("".join(export._ids_json(ids))) == ids.split("\n")
    assert json.loads("".join(export._ids_json("a\"b\nc"))) == ['a"b', "c"]
    assert "".join(export._ids_json("")) == "[]"
