"""Applying a batch's records chunk by chunk, in flat memory and a few statements per chunk.

Per chunk: check every record (`records.check`), read the objects the chunk names in one
SELECT, apply the records in line order to those states in Python (so a later line sees an
earlier one, and each record is applied, unchanged or refused exactly), then write set-wise:
new objects by COPY (PostgreSQL) or executemany (SQLite), changed objects through a temporary
staging table and one ``UPDATE … FROM``, credit rows replaced in one statement pair, history
rows appended in bulk. The content hash and version of every changed object are recomputed
here, as every other writer of the directory does.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, delete, select, update

from ...audit import service as audit
from ...bulk import among, insert_rows
from ...extensions import db
from ...types import utcnow
from .. import bulkwrite
from ..models import InspectionObject, ObjectCredit
from ..protect import IdProtector
from ..state import CREDIT_COLUMNS, CREDIT_DEFAULTS, OBJECT_COLUMNS, OBJECT_DEFAULTS, content_hash
from ..closures import CLOSED, Closure
from .models import LIST_FLAGS, FeedRefusal, ObjectComplaintMonth, ObjectListEntry, ObjectStatusChange
from .records import Op, Rejected, Written

OUTCOMES = ("applied", "unchanged", "refused")
_o, _cr = InspectionObject.__table__, ObjectCredit.__table__
_EXTRA = bulkwrite.PROTECTED


@dataclass
class Work:
    """An object as the chunk's records leave it (`old_*` as it was before the chunk)."""

    key: str
    id: int | None
    version: int
    values: dict[str, Any]
    credit: dict[str, Any]
    extra: dict[str, Any]
    old_values: dict[str, Any] = field(default_factory=dict)
    old_credit: dict[str, Any] = field(default_factory=dict)
    old_extra: dict[str, Any] = field(default_factory=dict)
    months: dict[str, int] = field(default_factory=dict)
    seen: bool = False  # an object record of this batch has been applied to it
    fresh_hash: str | None = None  # its content hash, while it is exactly what one record made it

    @property
    def new(self) -> bool:
        return self.id is None

    def changed_fields(self) -> list[str]:
        return [k for k in OBJECT_COLUMNS if self.values[k] != self.old_values.get(k)] + \
               [k for k in CREDIT_COLUMNS if self.credit[k] != self.old_credit.get(k)]


def created_summary(created: list[tuple[int, str, str]]) -> dict:
    """The objects a chunk created, for its audit entry, in a size that does not grow with the batch:
    their ids as runs ``[first, last]``, their count, and the SHA-256 over ``"id key hash\\n"`` lines
    in id order, which anyone can recompute from the directory (and which changes if any of them does)."""
    digest, runs = hashlib.sha256(), []
    for object_id, key, content in sorted(created):
        digest.update(f"{object_id} {key} {content}\n".encode())
        if runs and runs[-1][1] == object_id - 1:
            runs[-1][1] = object_id
        else:
            runs.append([object_id, object_id])
    return {"count": len(created), "ids": runs, "sha256": digest.hexdigest()}


def month_window(today: dt.date) -> str:
    """First period (YYYY-MM) of the 12 months ending with today's: complaints counted for the weight."""
    year, month = (today.year, today.month - 11) if today.month == 12 else (today.year - 1, today.month + 1)
    return f"{year:04d}-{month:02d}"


class Merger:
    """Applies chunks of one batch inside the caller's transaction; collects counts and closures."""

    def __init__(self, batch_id: str, today: dt.date) -> None:
        self.batch_id, self.today, self.window = batch_id, today, month_window(today)
        self.counts = {k: dict.fromkeys(OUTCOMES, 0) for k in ("object", "status", "list", "complaints", "risk",
                                                                 "unreadable")}
        self.closures: list[Closure] = []
        self.written = 0  # objects created or changed
        self.dialect = db.session.get_bind().dialect.name
        self.postgres = self.dialect == "postgresql"
        self.ids = IdProtector.current()

    def _refuse(self, refusals: list, line: int, kind: str | None, code_value: str | None, issue) -> None:
        self.counts[kind or "unreadable"]["refused"] += 1
        refusals.append({"batch_id": self.batch_id, "line": line, "kind": kind, "credit_code": code_value,
                         "field": issue.field, "code": issue.code, "message": issue.message[:500]})

    def chunk(self, items: list[Op | Rejected | Written]) -> None:
        """Apply one chunk of checked records (`reader.chunks`), in line order."""
        refusals: list[dict] = []
        ops: list[Op | Written] = []
        for it in items:
            if isinstance(it, Rejected):
                self._refuse(refusals, it.line, it.kind, it.credit_code, _Issue(it.field, it.code, it.message))
            else:
                ops.append(it)
        works = self._load({op.key for op in ops})
        self._load_months(works, ops)
        events = _Events()
        written: dict[str, Written] = {}  # new objects as the reader wrote them out, while nothing else names them
        for op in ops:
            w = works.get(op.key)
            if w is None and op.key in written:  # named again: applied the usual way from here on
                first = written.pop(op.key).op()
                w = works[op.key] = _new_work(first)
                _apply_object(self, w, first, events)
            if type(op) is Written:
                if w is None:
                    written[op.key] = op
                    self.counts["object"]["applied"] += 1
                    continue
                op = op.op()
            if w is None and op.kind != "object":
                self._refuse(refusals, op.line, op.kind, op.key, _Issue(
                    "credit_code", "object_unknown", "名录中没有该统一社会信用代码的对象（可先发送该对象的对象信息记录）。"))
                continue
            if w is None and op.fresh is not None:  # worked out by the reader process
                works[op.key] = _fresh_work(op)
                self.counts["object"]["applied"] += 1
                continue
            if w is None:
                w = works[op.key] = _new_work(op)
            w.fresh_hash = None
            applied = _APPLY[op.kind](self, w, op, events)
            self.counts[op.kind]["applied" if applied else "unchanged"] += 1
        self._write(works, list(written.values()), events, refusals, (items[0].line, items[-1].line) if items else (0, 0))

    # --- reading -----------------------------------------------------------------

    def _load(self, keys: set[str]) -> dict[str, Work]:
        if not keys:
            return {}
        stmt = (select(_o.c.id, _o.c.match_key, _o.c.version, *[_o.c[k] for k in (*OBJECT_COLUMNS, *_EXTRA)],
                       *[_cr.c[k] for k in CREDIT_COLUMNS])
                .select_from(_o.outerjoin(_cr, _cr.c.object_id == _o.c.id))
                .where(among(_o.c.match_key, sorted(keys), self.dialect)))
        if self.postgres:
            stmt = stmt.order_by(_o.c.id).with_for_update(of=_o)
        works = {}
        with bulkwrite.by_index():
            rows = db.session.execute(stmt).mappings().all()
        for row in rows:
            values = {k: row[k] for k in OBJECT_COLUMNS}
            credit = {k: row[k] if row[k] is not None else CREDIT_DEFAULTS[k] for k in CREDIT_COLUMNS}
            extra = {k: row[k] for k in _EXTRA}
            works[row["match_key"]] = Work(row["match_key"], row["id"], row["version"], values, credit, extra,
                                           dict(values), dict(credit), dict(extra))
        return works

    def _load_months(self, works: dict[str, Work], ops: list[Op]) -> None:
        ids = {works[op.key].id: works[op.key] for op in ops
               if op.kind == "complaints" and op.key in works and not works[op.key].new}
        if not ids:
            return
        m = ObjectComplaintMonth.__table__
        for object_id, period, count in db.session.execute(
                select(m.c.object_id, m.c.period, m.c.count).where(among(m.c.object_id, sorted(ids), self.dialect))):
            ids[object_id].months[period] = count

    # --- writing -----------------------------------------------------------------

    def _write(self, works: dict[str, Work], written: list[Written], events: "_Events", refusals: list[dict],
               lines: tuple[int, int]) -> None:
        session, now = db.session, utcnow()
        created, fields = [], {}  # every new object is written; a known one when something changed
        for w in works.values():
            if w.new:
                created.append(w)
            elif (f := w.changed_fields()) or w.extra != w.old_extra:
                fields[w.key] = f
        created.sort(key=lambda w: w.key)
        created_keys = {w.key for w in created}
        updated = sorted((works[k] for k in fields), key=lambda w: w.id)
        changed = created + updated
        self.written += len(changed) + len(written)
        hashes = {w.key: w.fresh_hash or content_hash(w.values, w.credit) for w in changed}
        ids = bulkwrite.insert_objects([{**w.values, **w.extra, "match_key": w.key, "content_hash": hashes[w.key],
                                         "version": 1, "created_at": now, "updated_at": now} for w in created],
                                       [(r.key, r.row) for r in written], now)
        for w in created:
            w.id = ids[w.key]
        bulkwrite.update_objects([{"id": w.id, **w.values, **w.extra, "content_hash": hashes[w.key],
                                   "version": w.version + 1, "updated_at": now} for w in updated])
        credit = [w for w in changed if w.new or w.credit != w.old_credit]
        if credit or written:
            bulkwrite.replace_credit([{"object_id": w.id, **w.credit, "updated_at": now} for w in credit],
                                     [w.id for w in credit if w.key not in created_keys],
                                     [(ids[r.key], r.credit) for r in written], now)
        events.write(self.batch_id, now, self.dialect)
        if refusals:
            insert_rows(session, FeedRefusal.__table__, refusals)
        for w, to, on in events.closing:
            self.closures.append(Closure(w.id, to, on))
        if changed or written or events.any():
            audit.record(session, "registry.feed.chunk", "feed_batch", self.batch_id, {
                "batch_id": self.batch_id, "lines": list(lines),
                "created": created_summary([(w.id, w.key, hashes[w.key]) for w in created] +
                                           [(ids[r.key], r.key, r.hash) for r in written]),
                "updated": [[w.id, w.version + 1, hashes[w.key], fields[w.key]] for w in updated],
                **events.audit()})


@dataclass(frozen=True)
class _Issue:
    field: str | None
    code: str
    message: str


class _Events:
    """History rows a chunk appends (objects referenced as `Work`, since new ones get ids at write time)."""

    def __init__(self) -> None:
        self.status: list[tuple[Work, str | None, str, dt.date | None, str | None]] = []
        self.entries: list[tuple[Work, str, dt.date, str | None]] = []
        self.removals: list[tuple[Work, str, dt.date, str | None]] = []
        self.months: list[tuple[Work, str, int]] = []
        self.closing: list[tuple[Work, str, dt.date | None]] = []

    def any(self) -> bool:
        return bool(self.status or self.entries or self.removals or self.months)

    def write(self, batch_id: str, now, dialect: str) -> None:
        session = db.session
        if self.status:
            insert_rows(session, ObjectStatusChange.__table__, [
                {"object_id": w.id, "from_status": a, "to_status": b, "changed_on": on, "reason": why,
                 "batch_id": batch_id, "recorded_at": now} for w, a, b, on, why in self.status])
        if self.entries:
            insert_rows(session, ObjectListEntry.__table__, [
                {"object_id": w.id, "list": name, "entered_on": on, "entry_reason": why, "entry_batch": batch_id,
                 "removed_on": None, "removal_reason": None, "removal_batch": None}
                for w, name, on, why in self.entries])
        if self.removals:
            e = ObjectListEntry.__table__
            session.execute(update(e).where(e.c.object_id == bindparam("oid"), e.c.list == bindparam("lst"),
                                            e.c.removed_on.is_(None)).values(
                removed_on=bindparam("on"), removal_reason=bindparam("why"), removal_batch=batch_id),
                [{"oid": w.id, "lst": name, "on": on, "why": why} for w, name, on, why in self.removals])
        if self.months:
            m = ObjectComplaintMonth.__table__
            latest = {(w.id, period): count for w, period, count in self.months}
            by_period: dict[str, list[int]] = {}
            for oid, period in latest:
                by_period.setdefault(period, []).append(oid)
            for period, ids in sorted(by_period.items()):  # a batch states few months, for many objects
                for i in range(0, len(ids), 5000):
                    session.execute(delete(m).where(m.c.period == period,
                                                    among(m.c.object_id, ids[i:i + 5000], dialect)))
            insert_rows(session, m, [{"object_id": oid, "period": p, "count": n, "batch_id": batch_id}
                                     for (oid, p), n in latest.items()])

    def audit(self) -> dict:
        return {"status": [[w.id, a, b] for w, a, b, _, _ in self.status],
                "lists": [[w.id, name, "enter"] for w, name, _, _ in self.entries] +
                         [[w.id, name, "remove"] for w, name, _, _ in self.removals],
                "complaints": [[w.id, p, n] for w, p, n in self.months]}


class Ahead:
    """Works out, in the reader process, what an object record makes of an object not yet in the
    directory, exactly as `Merger.chunk` would (`_apply_object` on a new `Work`): its values, credit
    and protected-ID columns as tuples in `OBJECT_COLUMNS`, `CREDIT_COLUMNS` and `PROTECTED` order
    (cheaper to send than dicts), and its content hash. Such an object has no history events."""

    def __init__(self, ids: IdProtector) -> None:
        self.ids = ids

    def fresh(self, op: Op) -> tuple:
        """`_apply_object` on a new `Work`, for that case only (a test holds the two to the same
        result): every given value is taken, a status is where the object starts."""
        cand = op.cand
        values, credit = {**OBJECT_DEFAULTS, **cand.values}, dict(CREDIT_DEFAULTS)
        if "risk_class" in values:
            credit["risk_class"] = values.pop("risk_class")
        if "region_code" not in cand.values and values["region_code"] is None:
            values["region_code"] = cand.default_region
        extra = (None, None)
        if cand.legal_rep_id:
            p = self.ids.protect(cand.legal_rep_id)
            values["legal_rep_id_hash"], extra = p.digest, (p.protected, p.masked)
        return _VALUES(values), _CREDIT(credit), extra, content_hash(values, credit)


_VALUES, _CREDIT = itemgetter(*OBJECT_COLUMNS), itemgetter(*CREDIT_COLUMNS)


def _fresh_work(op: Op) -> Work:
    values, credit, extra, fresh_hash = op.fresh
    return Work(op.key, None, 0, dict(zip(OBJECT_COLUMNS, values)), dict(zip(CREDIT_COLUMNS, credit)),
                dict(zip(_EXTRA, extra)), seen=True, fresh_hash=fresh_hash)


def _new_work(op: Op) -> Work:
    values = dict(OBJECT_DEFAULTS)
    return Work(op.key, None, 0, values, dict(CREDIT_DEFAULTS), dict.fromkeys(_EXTRA))


def _set_status(w: Work, to: str, on: dt.date | None, reason: str | None, events: _Events) -> None:
    """A status change of an object already in the directory is history (and maybe a closure); an
    object this chunk creates simply starts with its status (its audit entry covers it)."""
    before = w.values["registration_status"]
    if before == to:
        return
    w.values["registration_status"] = to
    if w.new:
        return
    events.status.append((w, before, to, on, reason))
    if to in CLOSED and before not in CLOSED:
        events.closing.append((w, to, on))


def _apply_object(m: Merger, w: Work, op: Op, events: _Events) -> bool:
    cand = op.cand
    created = w.new and not w.seen  # the record that brings the object into the directory
    w.seen = True
    before = None if created else (dict(w.values), w.credit["risk_class"], dict(w.extra))
    for k, v in cand.values.items():
        if k == "risk_class":
            w.credit["risk_class"] = v
        elif k != "registration_status":
            w.values[k] = v
    if w.new and "region_code" not in cand.values and w.values["region_code"] is None:
        w.values["region_code"] = cand.default_region
    if cand.legal_rep_id:
        if op.fresh is not None:  # the reader process protected the number already
            fresh = _fresh_work(op)
            digest, extra = fresh.values["legal_rep_id_hash"], fresh.extra
        else:
            digest, extra = m.ids.digest(cand.legal_rep_id), None
        if digest != w.values["legal_rep_id_hash"]:
            w.values["legal_rep_id_hash"] = digest
            if extra is None:
                p = m.ids.protect(cand.legal_rep_id, digest)
                extra = {"legal_rep_id_protected": p.protected, "legal_rep_id_masked": p.masked}
            w.extra = dict(extra)
    if "registration_status" in cand.values:
        _set_status(w, cand.values["registration_status"], None, None, events)
    return created or before != (w.values, w.credit["risk_class"], w.extra)


def _apply_status(m: Merger, w: Work, op: Op, events: _Events) -> bool:
    if w.values["registration_status"] == op.status:
        return False
    _set_status(w, op.status, op.on, op.reason, events)
    return True


def _apply_list(m: Merger, w: Work, op: Op, events: _Events) -> bool:
    flag = LIST_FLAGS[op.list]
    on_list = op.action == "enter"
    if w.credit[flag] == on_list:
        return False
    w.credit[flag] = on_list
    (events.entries if on_list else events.removals).append((w, op.list, op.on, op.reason))
    return True


def _apply_complaints(m: Merger, w: Work, op: Op, events: _Events) -> bool:
    if w.months.get(op.period) == op.count:
        return False
    w.months[op.period] = op.count
    events.months.append((w, op.period, op.count))
    w.credit["complaint_count"] = sum(n for p, n in w.months.items() if m.window <= p)
    return True


def _apply_risk(m: Merger, w: Work, op: Op, events: _Events) -> bool:
    if w.credit["risk_class"] == op.risk:
        return False
    w.credit["risk_class"] = op.risk
    return True


_APPLY = {"object": _apply_object, "status": _apply_status, "list": _apply_list, "complaints": _apply_complaints,
          "risk": _apply_risk}
