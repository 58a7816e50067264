"""Batch import of objects from CSV and XLSX: reading, running, reporting."""
