"""Fixtures of the delivery tests (shared with the lead tests: tests/server/leads/conftest.py)."""
from tests.server.delivery.support import delivery, probe_subject  # noqa: F401  (fixtures)
