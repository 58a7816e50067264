"""Which demo steps the seeded test template loads (the fast, essential ones)."""
from __future__ import annotations


def seed_steps():
    from server.demo.cli import STEPS

    return [(label, fn) for label, fn in STEPS if label in SEEDED]


SEEDED = {"departments and accounts", "inspector directory", "check items", "annual plans"}
