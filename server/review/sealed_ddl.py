"""Database triggers that make sealed records and published results append-only (trust.md, issue 19).

- A sealed `visit_records` row keeps every sealed column; only its `version` and `updated_at`
  move (an amendment bumps them). Corrections are amendments.
- The answers, findings, media references and signatures of a sealed record are never updated;
  amendments are never updated at all.
- A published result changes only along the one path the rules allow: a later official decision
  revises `result` and `result_codes` and stamps a later `revised_at`; every other column stays.
  (Whoever uses that path without the logged decision is caught by `audit verify`, which compares
  the row with the `result.publish` / `result.revise` entries.)

Every trigger has a fixed name and is dropped and created by name, so a migration that rebuilds one
of these tables (SQLite batch mode) can simply run `drop_statements` and `create_statements` again.
Used by migrations 0020_tamper_evidence and 0027_security_rest (which added `kind` and
`department_id` to the fixed columns) and by tests that play an attacker who drops them.
"""
from __future__ import annotations

RECORD = "visit_records"
SEALED_COLUMNS = ["arrival_at", "arrival_gps", "arrival_recorded_at", "present", "credentials_shown_at",
                  "rights_informed_at", "method", "outcome", "check_ended_on", "sealed_at", "sealed_by",
                  "content_sha256", "sealed_content", "seal_signature"]
PARTS = ["visit_answers", "visit_findings", "visit_media", "visit_signatures"]
AMENDMENTS = "visit_amendments"
PUBLISHED = "published_results"
# Columns of a published row that no revision changes (revisions change result, result_codes, revised_at).
PUBLISHED_FIXED = ["id", "visit_id", "kind", "department_id", "object_id", "market_entity", "object_name", "credit_code", "plan_no",
                   "plan_name", "task_no", "task_name", "check_type", "authority", "initiating_department_id",
                   "completed_on", "published_at", "published_by"]

SEALED_MESSAGE = "sealed records are append-only: corrections are amendments"
PUBLISHED_MESSAGE = "published results change only by a revision (result, result_codes and a later revised_at)"

TRIGGERS = [(f"{RECORD}_sealed_no_update", RECORD), *((f"{t}_sealed_no_update", t) for t in PARTS),
            (f"{AMENDMENTS}_no_update", AMENDMENTS), (f"{PUBLISHED}_revision_only", PUBLISHED)]
FUNCTIONS = ["sealed_record_refuse_update()", "sealed_part_refuse_update()", "append_only_refuse_update()",
             "published_result_revision_only()"]


def _changed(columns: list[str], op: str) -> str:
    return " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columns)


def _sqlite() -> list[str]:
    out = [f"""CREATE TRIGGER {RECORD}_sealed_no_update BEFORE UPDATE ON {RECORD}
        WHEN OLD.sealed_at IS NOT NULL AND ({_changed(SEALED_COLUMNS, 'IS NOT')})
        BEGIN SELECT RAISE(ABORT, '{SEALED_MESSAGE}'); END"""]
    for t in PARTS:
        out.append(f"""CREATE TRIGGER {t}_sealed_no_update BEFORE UPDATE ON {t}
        WHEN EXISTS (SELECT 1 FROM {RECORD} r WHERE r.visit_id = OLD.visit_id AND r.sealed_at IS NOT NULL)
        BEGIN SELECT RAISE(ABORT, '{SEALED_MESSAGE}'); END""")
    out.append(f"""CREATE TRIGGER {AMENDMENTS}_no_update BEFORE UPDATE ON {AMENDMENTS}
        BEGIN SELECT RAISE(ABORT, '{SEALED_MESSAGE}'); END""")
    out.append(f"""CREATE TRIGGER {PUBLISHED}_revision_only BEFORE UPDATE ON {PUBLISHED}
        WHEN NEW.revised_at IS NULL OR (OLD.revised_at IS NOT NULL AND NEW.revised_at <= OLD.revised_at)
             OR {_changed(PUBLISHED_FIXED, 'IS NOT')}
        BEGIN SELECT RAISE(ABORT, '{PUBLISHED_MESSAGE}'); END""")
    return out


def _raise(message: str) -> str:
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';"


def _pg() -> list[str]:
    out = [
        f"""CREATE OR REPLACE FUNCTION sealed_record_refuse_update() RETURNS trigger AS $$
        BEGIN
          IF OLD.sealed_at IS NOT NULL AND ({_changed(SEALED_COLUMNS, 'IS DISTINCT FROM')}) THEN {_raise(SEALED_MESSAGE)}
          END IF;
          RETURN NEW;
        END; $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION sealed_part_refuse_update() RETURNS trigger AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM {RECORD} r WHERE r.visit_id = OLD.visit_id AND r.sealed_at IS NOT NULL) THEN
            {_raise(SEALED_MESSAGE)}
          END IF;
          RETURN NEW;
        END; $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION append_only_refuse_update() RETURNS trigger AS $$
        BEGIN {_raise(SEALED_MESSAGE)} END; $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION published_result_revision_only() RETURNS trigger AS $$
        BEGIN
          IF NEW.revised_at IS NULL OR (OLD.revised_at IS NOT NULL AND NEW.revised_at <= OLD.revised_at)
             OR {_changed(PUBLISHED_FIXED, 'IS DISTINCT FROM')} THEN {_raise(PUBLISHED_MESSAGE)}
          END IF;
          RETURN NEW;
        END; $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER {RECORD}_sealed_no_update BEFORE UPDATE ON {RECORD}
        FOR EACH ROW EXECUTE FUNCTION sealed_record_refuse_update()""",
        f"""CREATE TRIGGER {AMENDMENTS}_no_update BEFORE UPDATE ON {AMENDMENTS}
        FOR EACH ROW EXECUTE FUNCTION append_only_refuse_update()""",
        f"""CREATE TRIGGER {PUBLISHED}_revision_only BEFORE UPDATE ON {PUBLISHED}
        FOR EACH ROW EXECUTE FUNCTION published_result_revision_only()""",
    ]
    for t in PARTS:
        out.append(f"""CREATE TRIGGER {t}_sealed_no_update BEFORE UPDATE ON {t}
        FOR EACH ROW EXECUTE FUNCTION sealed_part_refuse_update()""")
    # ENABLE ALWAYS: they fire under session_replication_role = replica too.
    out += [f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}" for name, table in TRIGGERS]
    return out


def create_statements(dialect: str) -> list[str]:
    return _pg() if dialect == "postgresql" else _sqlite()


def drop_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in TRIGGERS] + [
            f"DROP FUNCTION IF EXISTS {fn}" for fn in FUNCTIONS]
    return [f"DROP TRIGGER IF EXISTS {name}" for name, _ in TRIGGERS]
