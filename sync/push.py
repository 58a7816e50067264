"""Applying a batch of mutations exactly once, in order.

The batch runs in one transaction: its stored results and the client's
`last_mutation_id` commit together with its effects. A crash before the commit
leaves nothing; the replay then applies everything. A transient database
failure answers 503 and nothing of the batch is applied, so the client retries
the same batch.

Every mutation's args are validated (and hashed for the audit summary) before the transaction
begins: on SQLite the transaction holds the one writer's turn, and nothing that needs no
database is done while holding it (server/dbsetup.py). Set-wise: the client is loaded and
locked once per batch, the stored results of
resent (duplicate) mutations are read in one query, and the new results are
written with one multi-row insert at the end. The batch is first applied
without a savepoint per mutation (one flush, so a visit touched by forty
mutations is updated once). If any mutation fails there, the whole attempt is
rolled back and the batch applied again with a savepoint per mutation, which
turns each failure into that mutation's rejection while the rest apply: the
outcome is the same as if every mutation had had its own savepoint. The audit
chain head and the change counter are taken last, in the commit
(server/audit/service.py, sync/changes.py).
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import NamedTuple

from marshmallow import ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from server.audit import service as audit
from server.canonical import jcs
from server.errors import ApiError, BadRequest, flatten_messages
from server.http import find_unsafe, number_error
from server.extensions import db
from server.types import utcnow

import sys

from . import batch, changes, verification  # noqa: F401  (verification: registers its audit check)
from .clients import check_owner, claim
from .models import SyncMutation, SyncClient
from .registry import GUARDS, MUTATORS, MutationContext

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1


def _reject(code: str, title: str, detail: str, errors=None, status: int = 422) -> dict:
    return ApiError(detail, code=code, title=title, status=status, errors=errors).to_problem()


class _Isolate(Exception):
    """A mutation failed in the fast attempt: apply the batch again, a savepoint per mutation."""


def _transient(err: BaseException) -> bool:
    return isinstance(err, OperationalError) or (isinstance(err, DBAPIError) and err.connection_invalidated)


class _Prepared(NamedTuple):
    """What a mutation is before any database work: its mutator and validated args, or its rejection."""

    mut: object | None
    args: dict | None
    problem: dict | None
    args_sha256: str


def _prepare(m: dict) -> _Prepared:
    """Look the mutator up and validate the args (no database work: done before the batch's
    transaction begins, so a SQLite writer's turn is not spent on it)."""
    sha = hashlib.sha256(jcs(_jsonable(m["args"]))).hexdigest()
    name, raw_args = m["name"], m["args"]
    mut = MUTATORS.get(name)
    if mut is None:
        return _Prepared(None, None, _reject("unknown_mutation", "未知的操作类型", f"服务器不认识操作“{name}”，请更新应用。"),
                         sha)
    bad = find_unsafe(raw_args)
    if bad is not None:
        # Infinity, 1e999, integers beyond 2^53: refused here so the rest of the queue goes on;
        # the args are kept with the number as text (sync/api.py marks it), never as a number.
        return _Prepared(mut, None, number_error(bad).to_problem(), sha)
    try:
        args = mut.schema.load(raw_args)
    except ValidationError as err:
        return _Prepared(mut, None, _reject("validation_failed", "数据校验未通过", "提交的数据未通过校验。",
                                            flatten_messages(err.messages)), sha)
    return _Prepared(mut, args, None, sha)


def _apply_one(ctx: MutationContext, name: str, raw_args: dict, prepared: _Prepared,
               isolate: bool) -> tuple[str, dict | None, dict | None, dict | None]:
    """(status, conflict, problem, data) for one mutation."""
    if prepared.problem is not None:
        return "rejected", None, prepared.problem, None
    mut, args = prepared.mut, prepared.args
    if not isolate:
        try:
            outcome = _guarded(ctx, mut, name, args, raw_args)
        except Exception as err:
            if _transient(err):
                raise
            raise _Isolate(name) from err
        return _applied(outcome)
    marks = (audit.pending_count(db.session), changes.pending_count(db.session))
    try:
        with db.session.begin_nested():
            outcome = _guarded(ctx, mut, name, args, raw_args)
            batch.write_deferred(db.session)
            db.session.flush()
    except BaseException:
        # The savepoint is gone: so are the audit entries, changes and rows it queued, the
        # objects it added and the locks it took.
        audit.rewind(db.session, marks[0])
        changes.rewind(db.session, marks[1])
        batch.discard_deferred(db.session)
        batch.forget(db.session)
        return _failure(name)
    return _applied(outcome)


def _guarded(ctx: MutationContext, mut, name: str, args: dict, raw_args: dict):
    """The mutator's outcome, unless a guard answers for it first (e.g. a mutation that already
    reached the server in a member's section handed over by QR code: applied once)."""
    outcome = next((o for o in (g(ctx, name, args, raw_args) for g in GUARDS) if o is not None), None)
    return outcome if outcome is not None else mut.fn(ctx, args)


def _applied(outcome) -> tuple[str, dict | None, dict | None, dict | None]:
    if outcome and outcome.problem:
        # Refused by the mutator, which keeps what it wrote (e.g. a content mismatch it recorded).
        return "rejected", None, outcome.problem, None
    conflict = outcome.conflict if outcome else None
    data = outcome.data if outcome and outcome.data else None
    return "applied", conflict, None, data


def _failure(name: str):
    """Classify the exception being handled into a rejection, or re-raise it."""
    err = sys.exc_info()[1]
    if isinstance(err, ApiError):
        return "rejected", None, err.to_problem(), None
    if _transient(err):
        raise err  # transient: the whole batch answers 503 and is retried
    if isinstance(err, DBAPIError):
        log.exception("mutation %s failed on a database constraint", name)
        return "rejected", None, _reject("conflict", "与服务器数据冲突", "该操作与服务器上的数据冲突，未能保存。", status=409), None
    if not isinstance(err, Exception):
        raise err  # KeyboardInterrupt, SystemExit: never swallowed
    # A bug must not block the phone's queue forever: the mutation is kept,
    # shown to the user as needing attention, and can be re-sent later.
    log.exception("mutator %s crashed", name)
    return "rejected", None, _reject("internal_error", "服务器处理出错", "服务器处理此操作时出错，已记录。请稍后重试或联系管理员。",
                                     status=500), None


def push(principal, client_id: str, schema_version: int, mutations: list[dict]) -> dict:
    if schema_version != SCHEMA_VERSION:
        raise BadRequest(f"同步协议版本 {schema_version} 不受支持（服务器为 {SCHEMA_VERSION}），请更新应用。",
                         code="unsupported_schema_version")
    try:
        return _push(principal, client_id, mutations, isolate=False)
    except _Isolate:
        db.session.rollback()  # nothing of the attempt stays: not its effects, entries, changes or locks
    return _push(principal, client_id, mutations, isolate=True)


def _stored(client_id: str, ids: list[int]) -> dict[int, dict]:
    """The stored results of already processed mutations, in one query."""
    if not ids:
        return {}
    rows = db.session.execute(select(SyncMutation.mutation_id, SyncMutation.status, SyncMutation.conflict,
                                     SyncMutation.problem)
                              .where(SyncMutation.client_id == client_id, SyncMutation.mutation_id.in_(ids))).all()
    return {r.mutation_id: r._asdict() for r in rows}


_CLIENTS, _MUTATIONS = SyncClient.__table__, SyncMutation.__table__
# Below the ORM, built once: the client locked for the batch, its results, its counter moved.
_LOCK_CLIENT = (select(_CLIENTS.c.client_id, _CLIENTS.c.user_id, _CLIENTS.c.device_id, _CLIENTS.c.last_mutation_id)
                .where(_CLIENTS.c.client_id == bindparam("client_id")).with_for_update())
_INSERT_RESULTS = insert(_MUTATIONS)
_MOVE_CLIENT = (update(_CLIENTS).where(_CLIENTS.c.client_id == bindparam("b_client_id"))
                .values(last_mutation_id=bindparam("last"), last_push_at=bindparam("at")))


def _locked_client(principal, client_id: str):
    """The caller's client row, locked until the commit (registered on its first use)."""
    row = db.session.execute(_LOCK_CLIENT, {"client_id": client_id}).first()
    return check_owner(principal, row) if row is not None else claim(principal, client_id, lock=True)


def _push(principal, client_id: str, mutations: list[dict], isolate: bool) -> dict:
    # Validated afresh for each attempt (a mutator of the first attempt may have changed its args).
    prepared = [_prepare(m) for m in mutations]
    client = _locked_client(principal, client_id)
    last = client.last_mutation_id
    stored = _stored(client.client_id, sorted({m["id"] for m in mutations if m["id"] <= last}))
    results: list[dict] = []
    summary: list[dict] = []
    rows: list[dict] = []
    gap = None
    with batch.running(db.session, mutations):
        for m, prep in zip(mutations, prepared):
            mid = m["id"]
            if mid <= last:
                # Stored before this batch, or earlier in it (the same id sent twice in one batch).
                prior = stored.get(mid) or next((r for r in rows if r["mutation_id"] == mid), None)
                results.append({"id": mid, "status": "duplicate",
                                "original_status": prior["status"] if prior else None,
                                "conflict": prior["conflict"] if prior else None,
                                "problem": prior["problem"] if prior else None})
                continue
            if mid > last + 1:
                # A gap (or ids out of order): nothing from here on is applied; the
                # client resends from `last_mutation_id + 1`.
                gap = _reject("mutation_gap", "操作编号不连续",
                              f"操作编号须从 {last + 1} 开始连续递增，收到的是 {mid}；已停止处理本批其余操作，请从第 {last + 1} 条起重新推送。",
                              status=409)
                gap.update({"expected_id": last + 1, "received_id": mid})
                break
            ctx = MutationContext(principal=principal, client_id=client.client_id, mutation_id=mid,
                                  client_time=m.get("client_time"))
            status, conflict, problem, data = _apply_one(ctx, m["name"], m["args"], prep, isolate)
            rows.append({"client_id": client.client_id, "mutation_id": mid, "name": m["name"], "args": m["args"],
                         "client_time": m.get("client_time"), "status": status, "conflict": conflict,
                         "problem": problem, "processed_at": utcnow()})
            last = mid
            results.append({"id": mid, "status": status, "conflict": conflict, "problem": problem, "data": data})
            summary.append({"id": mid, "name": m["name"], "status": status, "args_sha256": prep.args_sha256})
        if not isolate:
            try:
                db.session.flush()  # a constraint only the flush meets is some mutation's failure too
                batch.write_deferred(db.session)
            except Exception as err:
                if _transient(err):
                    raise
                raise _Isolate("flush") from err
    if rows:
        db.session.execute(_INSERT_RESULTS, rows)
    db.session.execute(_MOVE_CLIENT, {"b_client_id": client.client_id, "last": last, "at": utcnow()})
    if summary:
        audit.record(db.session, "sync.push", "sync_client", client.client_id,
                     {"mutations": summary, "last_mutation_id": last})
    db.session.commit()
    return {"last_mutation_id": last, "stopped_at_gap": gap is not None, "problem": gap, "results": results}


def _jsonable(value):
    """Args as received are JSON already; floats are allowed in JCS but keep them exact."""
    return json.loads(json.dumps(value))


def rejections(principal, client_id: str | None) -> list[SyncMutation]:
    """The caller's rejected mutations (what the phone lists as needing attention)."""
    stmt = (select(SyncMutation).join(SyncClient, SyncClient.client_id == SyncMutation.client_id)
            .where(SyncClient.user_id == principal.user_id, SyncMutation.status == "rejected")
            .order_by(SyncMutation.processed_at.desc()).limit(500))
    if client_id:
        stmt = stmt.where(SyncMutation.client_id == client_id)
    return list(db.session.execute(stmt).scalars())
