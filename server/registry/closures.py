"""The port through which the directory tells higher features that objects closed.

A feed may deregister, revoke or move out an object that has an open visit; Art. 21 lets
the team form the result directly, so its leader must learn of it. Visits sit above the
registry and register a handler at app start (`server/wiring.py`); the registry never
imports visits. Handlers run inside the feed's transaction and return how many visits they
flagged.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

# Statuses that take an object out of future draws (the draw's snapshot excludes the same ones).
CLOSED = frozenset({"deregistered", "revoked", "cancelled", "moved_out"})


@dataclass(frozen=True)
class Closure:
    object_id: int
    status: str
    on: dt.date | None


_handlers: list[Callable[[list[Closure], str], int]] = []


def on_closed(fn: Callable[[list[Closure], str], int]) -> None:
    """Register fn(closures, batch_id) -> number of visits flagged."""
    if fn not in _handlers:
        _handlers.append(fn)


def closed(closures: list[Closure], batch_id: str) -> int:
    if not closures:
        return 0
    return sum(fn(closures, batch_id) for fn in _handlers)
