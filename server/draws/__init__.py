"""Verifiable double-random draw: dsr-wrs-v1 object draw and dsr-team-v2 inspector matching
(dsr-team-v1 draws stay verifiable)."""
