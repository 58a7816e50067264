"""Test-only mutators and an entity over app_settings, to exercise the sync core alone."""
from __future__ import annotations

import uuid

import pytest
from marshmallow import fields

from server.errors import Conflict
from server.extensions import db
from server.schemas import BaseSchema
from server.settings import AppSetting
from sync import registry
from sync.changes import emit


class PutArgs(BaseSchema):
    key = fields.String(required=True)
    value = fields.String(required=True)
    recipients = fields.List(fields.Integer(), load_default=list)
    base_version = fields.Integer(load_default=None)


class DelArgs(BaseSchema):
    key = fields.String(required=True)
    recipients = fields.List(fields.Integer(), load_default=list)


def _put(ctx, args):
    from server.audit import service as audit

    key = "t:" + args["key"]
    row = db.session.get(AppSetting, key)
    conflict = None
    if row is None:
        row = AppSetting(key=key, value={"value": args["value"], "version": 1, "history": []})
        db.session.add(row)
    else:
        cur = dict(row.value)
        if args["base_version"] is not None and args["base_version"] < cur["version"] and cur["value"] != args["value"]:
            conflict = {"field": "value", "server_value": cur["value"], "your_value": args["value"]}
        row.value = {"value": args["value"], "version": cur["version"] + 1, "history": cur["history"] + [cur["value"]]}
    audit.record(db.session, "test.put", "setting", key, {"value": args["value"]})
    emit(db.session, "setting", key, args["recipients"] or [ctx.principal.user_id])
    return registry.Outcome(conflict=conflict)


def _delete(ctx, args):
    key = "t:" + args["key"]
    row = db.session.get(AppSetting, key)
    if row is not None:
        db.session.delete(row)
    emit(db.session, "setting", key, args["recipients"] or [ctx.principal.user_id], op="del")


def _fail(ctx, args):
    # Emits first, then fails: the emission must be rewound with the savepoint.
    emit(db.session, "setting", "t:ghost", [ctx.principal.user_id])
    raise Conflict("记录已封存，不能再修改。", code="record_sealed")


def _crash(ctx, args):
    raise RuntimeError("bug in a mutator")


def _load(ids, principal):
    rows = db.session.query(AppSetting).filter(AppSetting.key.in_(ids)).all()
    return {r.key: {"value": r.value["value"], "version": r.value["version"]} for r in rows}


def _snapshot(principal):
    for r in db.session.query(AppSetting).filter(AppSetting.key.like("t:%")).order_by(AppSetting.key):
        yield r.key, {"value": r.value["value"], "version": r.value["version"]}


@pytest.fixture(autouse=True)
def test_mutators():
    registry.mutator("test.put", PutArgs())(_put)
    registry.mutator("test.del", DelArgs())(_delete)
    registry.mutator("test.fail", DelArgs())(_fail)
    registry.mutator("test.crash", DelArgs())(_crash)
    registry.entity("setting", _load, _snapshot)
    yield
    for name in ("test.put", "test.del", "test.fail", "test.crash"):
        registry.MUTATORS.pop(name, None)
    registry.ENTITIES.pop("setting", None)


@pytest.fixture
def new_client_id():
    return lambda: str(uuid.uuid4())
