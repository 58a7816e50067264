"""Media records: what features call, and what the media API reads.

Features (visits, review, leads) use:

- ``attach(media_id, entity_type, entity_id)``: the media belongs to that record;
- ``record_claim(media_id, claim)``: what the app said about it (capture
  time, GPS, device, SHA-256), kept beside the EXIF, never merged;
- ``evidence_status(media_ids)`` / ``missing(media_ids)``: whether the bytes
  have arrived, so that review approval and lead forwarding wait for them;
- ``on_arrived(fn)``: fn(media_id) runs in the transaction that records the
  bytes' arrival (e.g. to send the record's new evidence state to phones).

Bytes and references arrive in either order: a reference to media whose
bytes are not here yet creates a *pending* row that the upload completes.
Services never commit; the caller's transaction does (and appends the audit
entries they queue).
"""
from __future__ import annotations

import json
import re
import uuid
from typing import Iterable

from sqlalchemy import bindparam, exists, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.audit import service as audit
from server.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from server.extensions import db
from server.types import utcnow

from . import access
from .models import MediaObject, Upload

ARRIVED, PENDING = "arrived", "pending"
_arrival_listeners: list = []


def on_arrived(fn) -> None:
    """fn(media_id) runs in the transaction that records a media object's bytes as arrived."""
    if fn not in _arrival_listeners:
        _arrival_listeners.append(fn)


def arrived(media_id: str) -> None:
    for fn in _arrival_listeners:
        fn(media_id)
MAX_CLAIM_BYTES = 16 * 1024
_ENTITY_TYPE = re.compile(r"^[a-z][a-z0-9_.]{0,31}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def normalize_media_id(value) -> str | None:
    """The canonical (lower-case, hyphenated) form of a UUID, or None."""
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, AttributeError, TypeError):
        return None


def get_object(media_id: str) -> MediaObject | None:
    key = normalize_media_id(media_id)
    return db.session.get(MediaObject, key) if key else None


def visible_object(principal, media_id: str) -> MediaObject:
    """The media object if the caller may read it; 404 otherwise (never 403)."""
    obj = get_object(media_id)
    if obj is None or not access.can_read(principal, obj):
        raise NotFound("找不到该证据文件，或无权查看。", code="media_not_found")
    return obj


def visible_objects(principal, media_ids: Iterable[str]) -> list[MediaObject]:
    """The readable objects among ``media_ids`` (unknown and hidden ids are left out)."""
    keys = list(dict.fromkeys(k for k in map(normalize_media_id, media_ids) if k))
    if not keys:
        return []
    rows = db.session.scalars(select(MediaObject).where(MediaObject.media_id.in_(keys))).all()
    by_id = {r.media_id: r for r in rows}
    return [by_id[k] for k in keys if k in by_id and access.can_read(principal, by_id[k])]


def lock_object(media_id: str) -> MediaObject:
    """The row for ``media_id``, created pending if absent, locked for this transaction.

    INSERT … ON CONFLICT DO NOTHING then SELECT … FOR UPDATE: concurrent
    writers (an upload completing while the app attaches the media) meet on
    one row instead of failing on the primary key.
    """
    dialect = db.session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    db.session.execute(
        insert(MediaObject).values(media_id=media_id, created_at=utcnow()).on_conflict_do_nothing(
            index_elements=["media_id"])
    )
    stmt = select(MediaObject).where(MediaObject.media_id == media_id).with_for_update()
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one()


def _require_media_id(media_id) -> str:
    key = normalize_media_id(media_id)
    if key is None:
        raise Invalid("证据文件标识（media_id）应为 UUID。", code="invalid_media_id",
                      errors=[field_error("media_id", "应为 UUID。")])
    return key


def record_claim(media_id: str, claim: dict) -> MediaObject:
    """Keep what the app says about the media (once; the same claim again is a no-op).

    ``claim`` is a JSON object (e.g. ``captured_at``, ``gps``, ``device``,
    ``sha256``).  A ``sha256`` that contradicts bytes already received, or
    a different claim for the same media, is refused (409).
    """
    key = _require_media_id(media_id)
    _check_claim(claim)
    claimed_sha = claim.get("sha256")
    obj = lock_object(key)
    if obj.claim is not None:
        if obj.claim == claim:
            return obj
        raise Conflict("该证据文件已有不同的声明，声明一经记录不能更改。", code="claim_conflict")
    if claimed_sha and obj.arrived and obj.sha256 != claimed_sha:
        raise Conflict("声明的 SHA-256 与已收到的文件不一致。", code="claim_sha256_mismatch",
                       extra={"sha256": obj.sha256})
    obj.claim = claim
    obj.claimed_at = utcnow()
    audit.record(db.session, "media.claim_recorded", "media", key, {"claim": claim})
    return obj


def _check_claim(claim) -> None:
    if not isinstance(claim, dict):
        raise Invalid("证据声明应为 JSON 对象。", code="invalid_claim")
    try:
        size = len(json.dumps(claim, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise Invalid("证据声明含有无法保存为 JSON 的值。", code="invalid_claim") from None
    if size > MAX_CLAIM_BYTES:
        raise Invalid(f"证据声明过大（上限 {MAX_CLAIM_BYTES} 字节）。", code="invalid_claim")
    claimed_sha = claim.get("sha256")
    if claimed_sha is not None and not (isinstance(claimed_sha, str) and _SHA256.match(claimed_sha)):
        raise Invalid("声明中的 sha256 应为 64 位小写十六进制。", code="invalid_claim",
                      errors=[field_error("claim.sha256", "应为 64 位小写十六进制。")])


def uploaders(media_id: str) -> set[int]:
    """Who sent (or is sending) the bytes of ``media_id``: the finished upload's user and any open upload's."""
    key = normalize_media_id(media_id)
    if key is None:
        return set()
    users = set(db.session.scalars(select(Upload.user_id).where(Upload.media_id == key)))
    obj = db.session.get(MediaObject, key)
    if obj is not None and obj.uploader_id is not None:
        users.add(obj.uploader_id)
    return users


def attach(media_id: str, entity_type: str, entity_id: str, by_user: int | None = None,
           may_share: Iterable[int] = ()) -> MediaObject:
    """Record that the media belongs to ``entity_type``/``entity_id`` (once; same again is a no-op).

    Uploads are bound to their uploader: when ``by_user`` is given, bytes sent by anyone other than
    ``by_user`` or the users in ``may_share`` (e.g. the same team) are refused (403 media_not_yours).
    """
    key = _require_media_id(media_id)
    if by_user is not None:
        strangers = uploaders(key) - {by_user} - set(may_share)
        if strangers:
            raise Forbidden("该证据文件由其他人员上传，不能关联到本记录。", code="media_not_yours")
    if not isinstance(entity_type, str) or not _ENTITY_TYPE.match(entity_type):
        raise Invalid("关联对象类型无效。", code="invalid_attachment")
    entity_id = str(entity_id)
    if not entity_id or len(entity_id) > 64:
        raise Invalid("关联对象标识无效。", code="invalid_attachment")
    obj = lock_object(key)
    if obj.attached_type is not None:
        if (obj.attached_type, obj.attached_id) == (entity_type, entity_id):
            return obj
        raise Conflict("该证据文件已关联到其他记录。", code="media_attached_elsewhere")
    obj.attached_type, obj.attached_id, obj.attached_at = entity_type, entity_id, utcnow()
    audit.record(db.session, "media.attached", "media", key, {"entity_type": entity_type, "entity_id": entity_id})
    return obj


def claim_and_attach(media_id: str, claim: dict, entity_type: str, entity_id: str, by_user: int | None = None,
                     may_share: Iterable[int] = ()) -> None:
    """``record_claim`` then ``attach``: the same checks, refusals and audit entries, in fewer statements.

    The usual case, media the server has not heard of yet (the app attaches a photo before its
    bytes go up), is one statement: the row is inserted claimed and attached, unless it exists
    already or someone other than ``by_user`` and ``may_share`` has an upload of it. Every other
    case (and every refusal) takes the two steps as they are.
    """
    key = _require_media_id(media_id)
    _check_claim(claim)
    entity_id = str(entity_id)
    if (isinstance(entity_type, str) and _ENTITY_TYPE.match(entity_type) and 0 < len(entity_id) <= 64
            and _insert_attached(key, claim, entity_type, entity_id, by_user, may_share)):
        audit.record(db.session, "media.claim_recorded", "media", key, {"claim": claim})
        audit.record(db.session, "media.attached", "media", key, {"entity_type": entity_type, "entity_id": entity_id})
        return
    record_claim(key, claim)
    attach(key, entity_type, entity_id, by_user=by_user, may_share=may_share)


_COLUMNS = ("media_id", "created_at", "claim", "claimed_at", "attached_type", "attached_id", "attached_at")
_INSERT_ATTACHED: dict = {}


def _insert_attached_stmt(dialect: str, checked: bool):
    """The statement below, built once per dialect and kind (its values are bound parameters)."""
    key = (dialect, checked)
    if key not in _INSERT_ATTACHED:
        table, uploads = MediaObject.__table__, Upload.__table__
        row = select(*(bindparam(c, type_=table.c[c].type).label(c) for c in _COLUMNS))
        # (SQLite needs a WHERE in INSERT … SELECT … ON CONFLICT, so there is always one.)
        row = row.where(~exists().where(uploads.c.media_id == bindparam("media_id"),
                                        uploads.c.user_id.not_in(bindparam("allowed", expanding=True)))
                        if checked else true())
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        _INSERT_ATTACHED[key] = (insert(table).from_select(list(_COLUMNS), row)
                                 .on_conflict_do_nothing(index_elements=["media_id"]).returning(table.c.media_id))
    return _INSERT_ATTACHED[key]


def _insert_attached(key: str, claim: dict, entity_type: str, entity_id: str, by_user: int | None,
                     may_share: Iterable[int]) -> bool:
    """INSERT … SELECT … WHERE no stranger's upload … ON CONFLICT DO NOTHING RETURNING: whether
    the row was new (and is now claimed and attached). Without an autoflush: media rows are written
    with Core statements only (lock_object) and uploads by the tus requests, so nothing the
    session holds unwritten can change its outcome (and a caller's pending rows stay batched)."""
    params = {"media_id": key, "created_at": utcnow(), "claim": claim, "claimed_at": utcnow(),
              "attached_type": entity_type, "attached_id": entity_id, "attached_at": utcnow()}
    if by_user is not None:
        params["allowed"] = sorted({u for u in (by_user, *may_share) if u is not None})
    stmt = _insert_attached_stmt(db.session.get_bind().dialect.name, by_user is not None)
    with db.session.no_autoflush:
        return db.session.execute(stmt, params).first() is not None


def for_entity(entity_type: str, entity_id: str) -> list[MediaObject]:
    """Every media attached to one record (arrived or pending), oldest first."""
    stmt = (select(MediaObject)
            .where(MediaObject.attached_type == entity_type, MediaObject.attached_id == str(entity_id))
            .order_by(MediaObject.attached_at, MediaObject.media_id))
    return list(db.session.scalars(stmt))


def evidence_status(media_ids: Iterable[str]) -> dict[str, str]:
    """``{media_id: "arrived" | "pending"}`` for each id given (keys as given).

    "pending" means the bytes have not arrived (yet); an id that is not a
    UUID can never arrive and is reported pending too.
    """
    given = list(dict.fromkeys(media_ids))
    keys = {m: normalize_media_id(m) for m in given}
    wanted = [k for k in set(keys.values()) if k]
    arrived: set[str] = set()
    for start in range(0, len(wanted), 500):
        batch = wanted[start:start + 500]
        arrived.update(db.session.scalars(
            select(MediaObject.media_id).where(MediaObject.media_id.in_(batch), MediaObject.uploaded_at.is_not(None))))
    return {m: ARRIVED if keys[m] in arrived else PENDING for m in given}


def missing(media_ids: Iterable[str]) -> list[str]:
    """The ids among ``media_ids`` whose bytes have not arrived, in the order given."""
    return [m for m, state in evidence_status(media_ids).items() if state == PENDING]
