"""Appending to and verifying the hash chain.

Features call `record(...)` while they work; the entries wait in the session
and are appended in one go just before the transaction commits, taking the
chain-head lock once and as late as possible (trust.md). A rollback discards
them together with the change they describe.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from flask import g, has_request_context
from sqlalchemy import bindparam, event, func, insert, select, update
from sqlalchemy.orm import Session

from ..canonical import jcs
from ..types import utcnow
from .models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
_PENDING = "audit_pending"
HEAD_ID = 1

# Who acts when there is no request (CLI commands, workers).
_cli_actor: contextvars.ContextVar[dict | None] = contextvars.ContextVar("audit_cli_actor", default=None)


def set_system_actor(name: str) -> None:
    """Name the actor of changes made outside a request (e.g. 'cli:users create')."""
    _cli_actor.set({"user": None, "department": None, "device": None, "system": name})


def entry_hash(prev_hash: str, seq: int, payload: bytes) -> str:
    """SHA-256(prev_hash || seq as 8 bytes big-endian || SHA-256(payload))."""
    h = hashlib.sha256()
    h.update(bytes.fromhex(prev_hash))
    h.update(seq.to_bytes(8, "big"))
    h.update(hashlib.sha256(payload).digest())
    return h.hexdigest()


def _actor() -> dict:
    if has_request_context():
        p = getattr(g, "principal", None)
        if p is not None:
            return {"user": p.user_id, "department": p.department_id, "device": p.device_id, "system": None}
        anon = getattr(g, "audit_actor", None)
        if anon:
            return dict(anon)
        return {"user": None, "department": None, "device": None, "system": "anonymous"}
    return dict(_cli_actor.get() or {"user": None, "department": None, "device": None, "system": "system"})


def _request_id() -> str | None:
    if has_request_context():
        return getattr(g, "request_id", None)
    return None


def record(
    session: Session,
    action: str,
    target_type: str | None = None,
    target_id: Any = None,
    data: dict | None = None,
    *,
    actor: dict | None = None,
) -> None:
    """Queue one entry; it is appended when `session` commits."""
    session.info.setdefault(_PENDING, []).append(
        {
            "action": action,
            "target": {"type": target_type, "id": None if target_id is None else str(target_id)},
            "actor": actor or _actor(),
            "request_id": _request_id(),
            "data": data or {},
        }
    )


def pending_count(session: Session) -> int:
    return len(session.info.get(_PENDING, []))


def rewind(session: Session, mark: int) -> None:
    """Drop entries queued after `mark` (their savepoint was rolled back)."""
    pending = session.info.get(_PENDING)
    if pending is not None:
        del pending[mark:]


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The commit's three statements, built once and below the ORM (no unit of work, no ORM bulk
# insert, no synchronising of loaded objects: nothing loads the head to change it).
_HEAD, _ENTRIES = AuditChainHead.__table__, AuditEntry.__table__
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.head_hash).where(_HEAD.c.id == HEAD_ID).with_for_update()
_INSERT_ENTRIES = insert(_ENTRIES)
_MOVE_HEAD = (update(_HEAD).where(_HEAD.c.id == HEAD_ID)
              .values(seq=bindparam("new_seq"), head_hash=bindparam("new_hash")))


def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        # "before_commit" fires for a released SAVEPOINT too; entries wait for the outer
        # commit, so the chain head is locked only there (not from a sync batch's first
        # audited mutation to its end) and always before the sync counter.
        return
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    head = session.execute(_LOCK_HEAD).first()
    if head is None:
        # First entry ever in a database created without the migration's seed row.
        session.execute(insert(_HEAD).values(id=HEAD_ID, seq=0, head_hash=GENESIS))
        seq, prev = 0, GENESIS
    else:
        seq, prev = head.seq, head.head_hash
    now = utcnow()
    rows = []
    for entry in pending:
        seq += 1
        entry["at"] = _iso(now)
        payload = jcs(entry)
        h = entry_hash(prev, seq, payload)
        actor = entry["actor"]
        rows.append(
            {
                "seq": seq,
                "prev_hash": prev,
                "entry_hash": h,
                "created_at": now,
                "action": entry["action"],
                "target_type": entry["target"]["type"],
                "target_id": entry["target"]["id"],
                "actor_user_id": actor.get("user"),
                "actor_department_id": actor.get("department"),
                "device_id": actor.get("device"),
                "request_id": entry["request_id"],
                "payload": payload.decode("utf-8"),
            }
        )
        prev = h
    session.execute(_INSERT_ENTRIES, rows)
    session.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev})


def _discard_pending(session: Session, *args) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT rolled back: its caller rewinds to its mark (sync/push.py)
    session.info.pop(_PENDING, None)


def install_session_hooks() -> None:
    """Append queued entries in every session's commit; drop them on rollback."""
    if getattr(install_session_hooks, "_done", False):
        return
    event.listen(Session, "before_commit", _append_pending)
    event.listen(Session, "after_rollback", _discard_pending)
    install_session_hooks._done = True


# --- verification -----------------------------------------------------------

@dataclass
class Finding:
    check: str
    ok: bool
    detail: str = ""
    seq: int | None = None


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    entries: int = 0  # entries re-hashed (after the resumed checkpoint, in an incremental run)
    scope: "Scope | None" = None
    verified_head: tuple[int, str] | None = None  # the last entry the chain check reached, and its hash

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def first_failure(self) -> Finding | None:
        return next((f for f in self.findings if not f.ok), None)


@dataclass
class Scope:
    """What one `verify` run re-checks, and what it trusts from the checkpoint it resumed from.

    A full run (the default Scope) re-hashes every entry and every stored file. An incremental run
    (`resume_point` in checkpoints.py) trusts the entries up to `since_seq`, which an earlier
    successful run verified and signed as a checkpoint: it checks that entry `since_seq` still has
    the signed hash and that none before it is missing, re-hashes the entries the replaying checks
    read, and re-hashes only the files changed (ctime) since that earlier run began. The replays of
    the tables against the log always run in full."""

    since_seq: int = 0
    since_hash: str = GENESIS
    files_trusted_before: dt.datetime | None = None
    resumed_from: str | None = None
    files_hashed: int = 0
    files_trusted: int = 0

    @property
    def incremental(self) -> bool:
        return self.since_seq > 0


class PrefixAltered(Exception):
    """An entry before the resumed checkpoint no longer hashes to its stored hash."""

    def __init__(self, seq: int):
        super().__init__(f"entry {seq}: payload or hash was altered")
        self.seq = seq


_scope: contextvars.ContextVar[Scope] = contextvars.ContextVar("audit_verify_scope", default=Scope())


def scope() -> Scope:
    """The running verification's scope (a full one outside `verify`)."""
    return _scope.get()


Verifier = Callable[[Session], list[Finding]]
_VERIFIERS: list[tuple[str, Verifier]] = []


def register_verifier(name: str, fn: Verifier) -> None:
    """Features add checks (sealed records, draws, checkpoints) run by `verify`."""
    if all(n != name for n, _ in _VERIFIERS):
        _VERIFIERS.append((name, fn))


def iter_entries(session: Session, batch: int = 2000, after: int = 0) -> Iterator[AuditEntry]:
    """All entries (after `after`) in order, fetched in keyset pages to keep memory flat."""
    last = after
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].seq
        session.expunge_all()


@dataclass
class Logged:
    """One entry as the hashed payload states it (what replaying verifiers read, never the columns)."""

    seq: int
    action: str
    target_id: str | None
    data: dict


def logged(session: Session, actions: list[str], batch: int = 2000) -> Iterator[Logged]:
    """The entries with these actions, in order, read from their hashed payloads.

    `verify_chain` has already checked every payload against its hash and its columns, so a
    verifier that replays these compares the tables with what the chain commits to. In an
    incremental run the entries before the resumed checkpoint were not re-hashed: each one read
    here is (raises PrefixAltered)."""
    last = 0
    trusted_upto = scope().since_seq
    while True:
        rows = session.execute(
            select(AuditEntry.seq, AuditEntry.payload, AuditEntry.prev_hash, AuditEntry.entry_hash)
            .where(AuditEntry.action.in_(actions), AuditEntry.seq > last)
            .order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        for seq, payload, prev_hash, stored_hash in rows:
            if seq <= trusted_upto and entry_hash(prev_hash, seq, payload.encode("utf-8")) != stored_hash:
                raise PrefixAltered(seq)
            try:
                body = json.loads(payload)
            except ValueError:
                continue  # the chain check names this entry
            yield Logged(seq, body.get("action"), (body.get("target") or {}).get("id"), body.get("data") or {})
        last = rows[-1].seq


def _columns_match(row: AuditEntry, body: dict) -> str | None:
    actor = body.get("actor") or {}
    target = body.get("target") or {}
    pairs = [
        ("action", row.action, body.get("action")),
        ("target_type", row.target_type, target.get("type")),
        ("target_id", row.target_id, target.get("id")),
        ("actor_user_id", row.actor_user_id, actor.get("user")),
        ("actor_department_id", row.actor_department_id, actor.get("department")),
        ("device_id", row.device_id, actor.get("device")),
        ("request_id", row.request_id, body.get("request_id")),
        ("created_at", _iso(row.created_at), body.get("at")),
    ]
    for name, col, val in pairs:
        if col != val:
            return f"column {name}={col!r} differs from the hashed payload ({val!r})"
    return None


def _anchor(session: Session, since_seq: int, since_hash: str) -> Finding | None:
    """Incremental run: the resumed checkpoint's entry still has its signed hash, none before is gone."""
    stored = session.execute(select(AuditEntry.entry_hash).where(AuditEntry.seq == since_seq)).scalar_one_or_none()
    if stored != since_hash:
        return Finding("chain", False, f"entry {since_seq} differs from the verified checkpoint: the log was rewritten "
                       "(run `audit verify --full`)", since_seq)
    have = session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.seq <= since_seq)).scalar_one()
    if have != since_seq:
        return Finding("chain", False, f"{since_seq - have} entries before the verified checkpoint {since_seq} are "
                       "missing (run `audit verify --full`)", since_seq)
    return None


def verify_chain(session: Session, since_seq: int = 0, since_hash: str = GENESIS) -> Report:
    """Recompute every entry's hash, the links, the columns and the head (after `since_seq` only,
    when resuming from a verified checkpoint ending there in `since_hash`)."""
    report = Report()
    prev = since_hash if since_seq else GENESIS
    expected_seq = since_seq + 1
    bad: Finding | None = _anchor(session, since_seq, since_hash) if since_seq else None
    if bad:
        report.findings.append(bad)
        return report
    for row in iter_entries(session, after=since_seq):
        report.entries += 1
        if row.seq != expected_seq:
            bad = Finding("chain", False, f"entry {expected_seq} is missing (next present is {row.seq})", expected_seq)
            break
        if row.prev_hash != prev:
            bad = Finding("chain", False, f"entry {row.seq}: prev_hash does not link to entry {row.seq - 1}", row.seq)
            break
        if entry_hash(prev, row.seq, row.payload.encode("utf-8")) != row.entry_hash:
            bad = Finding("chain", False, f"entry {row.seq}: payload or hash was altered", row.seq)
            break
        try:
            body = json.loads(row.payload)
        except ValueError:
            bad = Finding("chain", False, f"entry {row.seq}: payload is not JSON", row.seq)
            break
        mismatch = _columns_match(row, body)
        if mismatch:
            bad = Finding("chain", False, f"entry {row.seq}: {mismatch}", row.seq)
            break
        prev = row.entry_hash
        expected_seq += 1
    if bad:
        report.findings.append(bad)
        return report
    report.verified_head = (expected_seq - 1, prev)
    if since_seq:
        report.findings.append(Finding("chain", True, f"entries 1–{since_seq} trusted from the verified checkpoint; "
                                                      f"{report.entries} later entries linked and rehashed"))
    else:
        report.findings.append(Finding("chain", True, f"{report.entries} entries linked and rehashed"))
    head = session.execute(select(AuditChainHead).where(AuditChainHead.id == HEAD_ID)).scalar_one_or_none()
    last_seq = expected_seq - 1
    if head is None:
        ok = last_seq == 0
        report.findings.append(Finding("head", ok, "no chain head row" if not ok else "empty log"))
    elif head.seq != last_seq or head.head_hash != prev:
        report.findings.append(
            Finding("head", False, f"chain head says {head.seq}/{head.head_hash[:12]}…, log ends at {last_seq}/{prev[:12]}…", last_seq + 1)
        )
    else:
        report.findings.append(Finding("head", True, f"head at entry {head.seq}"))
    return report


def verify(session: Session, resume: Scope | None = None) -> Report:
    """The chain, then every registered feature check. `resume`: an incremental run's scope
    (checkpoints.resume_point); None re-checks everything."""
    run = resume or Scope()
    token = _scope.set(run)
    try:
        report = verify_chain(session, run.since_seq, run.since_hash)
        report.scope = run
        for name, fn in _VERIFIERS:
            try:
                report.findings.extend(fn(session))
            except PrefixAltered as exc:
                report.findings.append(Finding("chain", False, f"{exc} (before the verified checkpoint)", exc.seq))
            except Exception as exc:  # a crashing check is a failed check, not a crash
                report.findings.append(Finding(name, False, f"check raised {type(exc).__name__}: {exc}"))
    finally:
        _scope.reset(token)
    return report
