"""Database triggers that make the audit table append-only.

Used by the migration that creates the table, and by tests that drop them
to simulate a privileged attacker.
"""
from __future__ import annotations

SQLITE_CREATE = [
    """CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
       BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END""",
    """CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
       BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_entries_no_update",
    "DROP TRIGGER IF EXISTS audit_entries_no_delete",
]

PG_CREATE = [
    """CREATE OR REPLACE FUNCTION audit_entries_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_entries is append-only' USING ERRCODE = 'insufficient_privilege'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_entries_no_update_delete BEFORE UPDATE OR DELETE ON audit_entries
       FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse()""",
    """CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
       FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse()""",
    # ENABLE ALWAYS: still fires under session_replication_role = replica.
    "ALTER TABLE audit_entries ENABLE ALWAYS TRIGGER audit_entries_no_update_delete",
    "ALTER TABLE audit_entries ENABLE ALWAYS TRIGGER audit_entries_no_truncate",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS audit_entries_no_update_delete ON audit_entries",
    "DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries",
    "DROP FUNCTION IF EXISTS audit_entries_refuse()",
]


def create_statements(dialect: str) -> list[str]:
    return PG_CREATE if dialect == "postgresql" else SQLITE_CREATE


def drop_statements(dialect: str) -> list[str]:
    return PG_DROP if dialect == "postgresql" else SQLITE_DROP
