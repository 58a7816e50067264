"""Database triggers that keep the archive for the retention period (rules Art. 25).

A sealed record, and everything that belongs to it (answers, findings, media, signatures,
amendments, its review, comments, withholding requests and published result), cannot be
deleted while the record was sealed less than `archive_policy.retention_years` (at least 2)
ago, whoever runs the DELETE. Used by migration 0011_review_archive and by tests.
"""
from __future__ import annotations

RECORD = "visit_records"
CHILDREN = ["visit_answers", "visit_field_history", "visit_findings", "visit_media", "visit_signatures", "visit_amendments", "reviews",
            "review_comments", "disclosure_requests", "published_results"]
MESSAGE = "archive retention: a sealed record is kept at least archive_policy.retention_years"

_SQLITE_CUTOFF = ("datetime('now', '-' || MAX(COALESCE((SELECT retention_years FROM archive_policy WHERE id = 1), 2), 2)"
                  " || ' years')")


def _sqlite() -> list[str]:
    out = [f"""CREATE TRIGGER {RECORD}_retention BEFORE DELETE ON {RECORD}
        WHEN OLD.sealed_at IS NOT NULL AND OLD.sealed_at > {_SQLITE_CUTOFF}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""]
    for t in CHILDREN:
        out.append(f"""CREATE TRIGGER {t}_retention BEFORE DELETE ON {t}
        WHEN EXISTS (SELECT 1 FROM {RECORD} r WHERE r.visit_id = OLD.visit_id AND r.sealed_at IS NOT NULL
                     AND r.sealed_at > {_SQLITE_CUTOFF})
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")
    out.append("""CREATE TRIGGER archive_policy_no_delete BEFORE DELETE ON archive_policy
        BEGIN SELECT RAISE(ABORT, 'archive_policy cannot be deleted'); END""")
    return out


_PG_CUTOFF = "now() - make_interval(years => GREATEST(COALESCE((SELECT retention_years FROM archive_policy WHERE id = 1), 2), 2))"


def _pg() -> list[str]:
    out = [
        f"""CREATE OR REPLACE FUNCTION archive_keep_record() RETURNS trigger AS $$
        BEGIN
          IF OLD.sealed_at IS NOT NULL AND OLD.sealed_at > {_PG_CUTOFF} THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
          END IF;
          RETURN OLD;
        END; $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION archive_keep_part() RETURNS trigger AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM {RECORD} r WHERE r.visit_id = OLD.visit_id AND r.sealed_at IS NOT NULL
                     AND r.sealed_at > {_PG_CUTOFF}) THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
          END IF;
          RETURN OLD;
        END; $$ LANGUAGE plpgsql""",
        """CREATE OR REPLACE FUNCTION archive_policy_refuse() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'archive_policy cannot be deleted' USING ERRCODE = 'insufficient_privilege'; END;
        $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER {RECORD}_retention BEFORE DELETE ON {RECORD}
        FOR EACH ROW EXECUTE FUNCTION archive_keep_record()""",
        f"ALTER TABLE {RECORD} ENABLE ALWAYS TRIGGER {RECORD}_retention",
        """CREATE TRIGGER archive_policy_no_delete BEFORE DELETE OR TRUNCATE ON archive_policy
        FOR EACH STATEMENT EXECUTE FUNCTION archive_policy_refuse()""",
    ]
    for t in CHILDREN:
        out.append(f"""CREATE TRIGGER {t}_retention BEFORE DELETE ON {t}
        FOR EACH ROW EXECUTE FUNCTION archive_keep_part()""")
        out.append(f"ALTER TABLE {t} ENABLE ALWAYS TRIGGER {t}_retention")
    return out


def create_statements(dialect: str) -> list[str]:
    return _pg() if dialect == "postgresql" else _sqlite()


def drop_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {t}_retention ON {t}" for t in [RECORD, *CHILDREN]] + [
            "DROP TRIGGER IF EXISTS archive_policy_no_delete ON archive_policy",
            "DROP FUNCTION IF EXISTS archive_keep_record()", "DROP FUNCTION IF EXISTS archive_keep_part()",
            "DROP FUNCTION IF EXISTS archive_policy_refuse()"]
    return [f"DROP TRIGGER IF EXISTS {t}_retention" for t in [RECORD, *CHILDREN]] + [
        "DROP TRIGGER IF EXISTS archive_policy_no_delete"]
