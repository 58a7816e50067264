"""Verifiable double-random draw: dsr-wrs-v1 object draw and dsr-team-v1 inspector matching."""
