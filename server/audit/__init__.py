"""Append-only, hash-chained audit log (see shared/design/trust.md)."""
