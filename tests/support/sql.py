"""Counting the SQL statements a block of a test sends (never timing it)."""
from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager

from sqlalchemy import event

from server.extensions import db


@contextmanager
def counted_statements(app):
    """Count the SQL statements the engine sends while the block runs."""
    seen: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def by_kind(statements: list[str]) -> Counter:
    """The statements by verb and table ("SELECT visits", "UPDATE visit_records", …)."""
    kinds: Counter = Counter()
    for statement in statements:
        m = re.match(r"\s*(SELECT\s.*?\sFROM|INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)", statement, re.S)
        kinds[f"{m.group(1).split()[0]} {m.group(2)}" if m else statement.split()[0]] += 1
    return kinds
