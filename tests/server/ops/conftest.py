"""The delivery helpers (an outbox subject, endpoints, the worker) for the metrics tests."""
from tests.server.delivery.support import delivery, probe_subject  # noqa: F401  (fixtures)
