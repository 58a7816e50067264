"""Which demo steps each test template loads.

"base": accounts, check items, plans and inspectors: fast, and leaves the object
directory empty for the registry's own tests. "field": everything, including the
object directory and a completed joint draw with teams and schedules.
"""
from __future__ import annotations

LEVELS = {
    "base": {"departments and accounts", "check items", "annual plans", "inspector directory"},
    "field": {"departments and accounts", "object directory", "check items", "annual plans", "inspector directory",
              "joint draw"},
}


def seed_steps(level: str = "base"):
    from server.demo.cli import STEPS

    return [(label, fn) for label, fn in STEPS if label in LEVELS[level]]
