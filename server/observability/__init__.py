"""Metrics and structured logs: plumbing that any layer may report to; it imports no feature."""
