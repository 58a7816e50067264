"""Playing an attacker with database rights: first drop the guards that refuse the change."""
from __future__ import annotations

from sqlalchemy import text


def drop_append_only_guards(session) -> None:
    """Drop the triggers that make sealed records and published results append-only (sealed_ddl)."""
    from server.review import sealed_ddl

    for stmt in sealed_ddl.drop_statements(session.get_bind().dialect.name):
        session.execute(text(stmt))
