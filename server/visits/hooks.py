"""Seams filled by features above visits (media arrival, review comments, publication).

visits must not import review or public; those register here instead.
"""
from __future__ import annotations

from typing import Callable
from media import service as media_service

_previous: list[Callable[[int], list[dict]]] = []
_comments: list[Callable[[str], list[dict]]] = []
_sealed: list[Callable] = []
_amended: list[Callable] = []
_review_states: list[Callable[[str], list[dict]]] = []
_handovers: list[Callable] = []


def on_sealed(fn) -> None:
    """fn(visit, record) runs in the sealing transaction (e.g. to open a review)."""
    if fn not in _sealed:
        _sealed.append(fn)


def sealed(visit, record) -> None:
    for fn in _sealed:
        fn(visit, record)


def on_amended(fn) -> None:
    """fn(visit, record, amendment) runs in the transaction that appends an amendment
    (e.g. to put a record sent back by its reviewer into the queue again)."""
    if fn not in _amended:
        _amended.append(fn)


def amended(visit, record, amendment) -> None:
    for fn in _amended:
        fn(visit, record, amendment)


def on_previous_results(fn) -> None:
    if fn not in _previous:
        _previous.append(fn)


def on_review_comments(fn) -> None:
    if fn not in _comments:
        _comments.append(fn)


def on_review_states(fn) -> None:
    """fn(visit_id) -> [{department_id, status, …}]: each department's entry of a sealed record."""
    if fn not in _review_states:
        _review_states.append(fn)


def review_states(visit_id: str) -> list[dict]:
    return [r for fn in _review_states for r in fn(visit_id)]


def on_section_handovers(fn) -> None:
    """fn(visit) -> {inspector_id: {"handed_over_at": iso, …}}: what the server knows of each member's
    section having been handed over to the leader's phone (filled by the handoff feature)."""
    if fn not in _handovers:
        _handovers.append(fn)


def section_handovers(visit) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for fn in _handovers:
        out.update(fn(visit))
    return out


def previous_results(object_id: int) -> list[dict]:
    return [r for fn in _previous for r in fn(object_id)]


def review_comments(visit_id: str) -> list[dict]:
    return [c for fn in _comments for c in fn(visit_id)]


def media_arrived(media_ids: list[str]) -> dict[str, bool]:
    """Which media's bytes have arrived (tus upload completed and verified)."""
    if not media_ids:
        return {}

    status = media_service.evidence_status(media_ids)
    return {m: status.get(m) == "arrived" for m in media_ids}
