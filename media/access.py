"""Who may read a media object: the uploader, and whoever a feature's policy admits.

The media layer knows nothing of visits or reviews; the features that own
evidence register policies here, e.g. the visits feature lets the members
of the visit's team read its photos::

    from media import access

    @access.register_policy
    def team_reads_visit_media(principal, media):
        return media.attached_type == "visit_photo" and is_team_member(principal, media.attached_id)

A policy gets the ``Principal`` and the ``MediaObject`` (which may still be
pending: no bytes yet) and answers True to allow; anything else denies.
Hidden objects are 404 to the caller, never 403.
"""
from __future__ import annotations

from typing import Any, Callable

from .models import MediaObject

Policy = Callable[[Any, MediaObject], bool]
_POLICIES: list[Policy] = []


def register_policy(fn: Policy) -> Policy:
    """Add a read policy (idempotent; usable as a decorator)."""
    if fn not in _POLICIES:
        _POLICIES.append(fn)
    return fn


def unregister_policy(fn: Policy) -> None:
    """Remove a policy (tests, feature toggles)."""
    if fn in _POLICIES:
        _POLICIES.remove(fn)


# Who may send the bytes of a media id already attached to a feature's record, per attached type
# (e.g. "visit": the visit's team): (user id, media object) -> True to allow. Unattached ids, and
# types no feature registered, belong to their first sender (uploads.py refuses a second one).
SendPolicy = Callable[[int, MediaObject], bool]
_SEND_POLICIES: dict[str, SendPolicy] = {}


def register_send_policy(attached_type: str, fn: SendPolicy) -> SendPolicy:
    """Name who may upload the bytes of a media id attached to `attached_type` records."""
    _SEND_POLICIES[attached_type] = fn
    return fn


def may_send_bytes(user_id: int, media: MediaObject) -> bool:
    """Bytes for an attached media id come only from whom the attaching feature admits: someone
    outside a visit's team cannot fill (and so own, and read) evidence another inspector attached."""
    policy = _SEND_POLICIES.get(media.attached_type) if media.attached_type else None
    return policy is None or policy(user_id, media) is True


def can_read(principal, media: MediaObject) -> bool:
    """The uploader always; anyone else only when a registered policy says yes."""
    if media.uploader_id is not None and media.uploader_id == principal.user_id:
        return True
    return any(policy(principal, media) is True for policy in list(_POLICIES))
