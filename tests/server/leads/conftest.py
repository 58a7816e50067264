"""Leads are delivered as messages: the delivery fixtures serve these tests too."""
from tests.server.delivery.support import delivery, probe_subject  # noqa: F401  (fixtures)
