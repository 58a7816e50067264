"""Building blocks of the role × endpoint permission matrix.

Each feature contributes `tests/server/<feature>/matrix.py` with
`ROWS: dict[(method, rule), Row]` and optionally `prepare(ctx)` that adds
the ids its requests need to the shared context dict. The matrix test
collects all of them and fails for any `/api/v1` route without a row.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable

PERSONAS = ["anonymous", "office", "auditor", "scjg-admin", "scjg-leader", "scjg-reviewer", "scjg-insp1", "sthj-admin"]
AUTHED = set(PERSONAS) - {"anonymous"}
STAFF_READERS = {"office", "auditor", "scjg-admin", "scjg-leader", "scjg-reviewer", "sthj-admin"}
_seq = itertools.count(1)


def uniq() -> int:
    """A number unique within the test process (for codes and names)."""
    return next(_seq)


@dataclass
class Row:
    """Who may pass authorization for one route, and how to call it.

    `request(ctx, persona)` returns (path, kwargs for client.open).
    Personas not in `allowed` must get 401 (anonymous), 404 when listed in
    `hidden` (objects outside their view), else 403.
    """

    allowed: set[str]
    request: Callable[[dict, str], tuple[str, dict]]
    hidden: set[str] = field(default_factory=set)
