"""Append-only, hash-chained audit log (see docs/design/trust.md)."""
