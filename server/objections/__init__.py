"""Objections (异议) to published results: filed by the public, decided by the publishing department."""
