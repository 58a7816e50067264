"""Check methods (Art. 19, 20(1)) and the end of the check: the phone's mutators.

``visit.method`` chooses how the visit is checked (rules.METHODS) with that method's own
evidence; ``visit.end_check`` records the moment the check ended on site (or the desk review
ended), which the content binds and the result deadline counts from (``checkdate``).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import fields, validate, ValidationError
from sqlalchemy import select

from sync.registry import mutator

from ..errors import Invalid, field_error
from ..extensions import db
from ..schemas import BaseSchema
from .access import touched, writable_record
from .clock import parse_client_time, refuse_future
from .method_choice import refuse_unplanned
from .models import MediaRef
from .mutations import ISO, MomentArgs, VisitArgs
from .rules import METHODS


def _web_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("须为以 http:// 或 https:// 开头的网址。")


class MethodDetailsSchema(BaseSchema):
    documents_received = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    urls = fields.List(fields.String(validate=[validate.Length(max=2000), _web_url]), load_default=list,
                       validate=validate.Length(max=20))
    body = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    report_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    authority = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    document = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    document_date = fields.Date(load_default=None, allow_none=True)


class MethodArgs(VisitArgs):
    method = fields.String(required=True, validate=validate.OneOf(list(METHODS)))
    details = fields.Nested(MethodDetailsSchema, load_default=lambda: MethodDetailsSchema().load({}))


def stored_details(method: str, details: dict) -> dict | None:
    """What the record keeps of a method's details: none for on-site checks; otherwise every
    field the method may state, trimmed, dates as ISO days."""
    if method == "onsite":
        return None
    out = {}
    for key, value in details.items():
        if key == "urls":
            out[key] = [u.strip() for u in value if u.strip()]
        elif key == "document_date":
            out[key] = value.isoformat() if value else None
        else:
            out[key] = (value or "").strip() or None
    return out


def method_media_count(visit_id: str) -> int:
    """Media attached as the method's evidence (documents, captures, the body's report)."""
    return len(list(db.session.execute(select(MediaRef.media_id).where(
        MediaRef.visit_id == visit_id, MediaRef.target_type == "method")).scalars()))


@mutator("visit.method", MethodArgs())
def choose_method(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    if record.method != args["method"]:
        refuse_unplanned(visit, args["method"])
    record.method = args["method"]
    record.method_details = stored_details(args["method"], args["details"])
    touched(visit, record)


class EndCheckArgs(MomentArgs):
    at = fields.String(required=True, validate=ISO)


@mutator("visit.end_check", EndCheckArgs())
def end_check(ctx, args):
    """The check ended (on site, or the desk review for a documentary check): not in the
    future, not before the arrival it ends."""
    visit, record = writable_record(ctx.principal, args["visit_id"])
    ended = refuse_future(args["at"], "at", "检查结束时间")
    if record.arrival_at:
        try:
            arrived = parse_client_time(record.arrival_at, "arrival_at")
        except Invalid:
            arrived = None
        if arrived is not None and ended < arrived:
            raise Invalid("检查结束时间早于到达现场的时间，请核对手机的日期和时间。", code="ended_before_arrival",
                          errors=[field_error("at", "检查结束时间不能早于到达时间。")])
    record.check_ended_at = args["at"]
    touched(visit, record)
