"""Seams filled by features above visits (media arrival, review comments, publication).

visits must not import review or public; those register here instead.
"""
from __future__ import annotations

from typing import Callable
from media import service as media_service

# The read hooks are set-wise: fn(ids) -> {id: [rows]} for many visits (or objects) in one go,
# so a pull of many visits costs the same statements as a pull of one.
_previous: list[Callable[[list[int]], dict[int, list[dict]]]] = []
_comments: list[Callable[[list[str]], dict[str, list[dict]]]] = []
_sealed: list[Callable] = []
_amended: list[Callable] = []
_review_states: list[Callable[[list[str]], dict[str, list[dict]]]] = []
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
    """fn(object_ids) -> {object_id: [earlier published results]}."""
    if fn not in _previous:
        _previous.append(fn)


def on_review_comments(fn) -> None:
    """fn(visit_ids) -> {visit_id: [review comments]}."""
    if fn not in _comments:
        _comments.append(fn)


def on_review_states(fn) -> None:
    """fn(visit_ids) -> {visit_id: [{department_id, status, …}]}: each department's entry of a sealed record."""
    if fn not in _review_states:
        _review_states.append(fn)


def _gathered(fns, ids) -> dict:
    ids = list(dict.fromkeys(ids))
    out: dict = {i: [] for i in ids}
    if ids:
        for fn in fns:
            for key, rows in fn(ids).items():
                out[key].extend(rows)
    return out


def review_states_of(visit_ids) -> dict[str, list[dict]]:
    return _gathered(_review_states, visit_ids)


def review_states(visit_id: str) -> list[dict]:
    return review_states_of([visit_id])[visit_id]


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


def previous_results_of(object_ids) -> dict[int, list[dict]]:
    return _gathered(_previous, object_ids)


def previous_results(object_id: int) -> list[dict]:
    return previous_results_of([object_id])[object_id]


def review_comments_of(visit_ids) -> dict[str, list[dict]]:
    return _gathered(_comments, visit_ids)


def review_comments(visit_id: str) -> list[dict]:
    return review_comments_of([visit_id])[visit_id]


def media_arrived(media_ids: list[str]) -> dict[str, bool]:
    """Which media's bytes have arrived (tus upload completed and verified)."""
    if not media_ids:
        return {}

    status = media_service.evidence_status(media_ids)
    return {m: status.get(m) == "arrived" for m in media_ids}
