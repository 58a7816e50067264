"""Outcome, signatures, seal and amendments: the mutators that finish a record."""
from __future__ import annotations

from marshmallow import fields, validate, validates_schema, ValidationError
from sqlalchemy import select

from sync.registry import mutator

from .. import keys
from ..audit import service as audit
from ..canonical import jcs, jcs_sha256, sha256_hex
from ..errors import ApiError, Conflict, Forbidden, Invalid
from ..extensions import db
from ..identifiers import ID_DOCUMENT_TYPES, check_identity_document, mask_document_number
from ..schemas import BaseSchema
from ..types import utcnow
from . import hooks
from .access import amendment_record, member_of, team_visit, touched, writable_record
from .announce import announce
from .clock import RECORD_MOMENTS, parse_client_time, refuse_after_seal, refuse_future, view_moments
from .content import canonical_record, content_sha256
from .jsonpatch import PatchError, apply_patch
from .models import Amendment, Finding, MediaRef, Signature, VisitRecord
from .mutations import GpsSchema, VisitArgs
from .checkdate import ended_on_at_seal
from .method_choice import planned
from .rules import (FOLLOWUPS, METHODS, ONSITE_CASES, OUTCOME_EVIDENCE_KEYS, OUTCOMES, PHONE_SIGNER_ROLES, RESULT_CODES,
                    missing_evidence)
from .seal import PARTY_ROLES, seal_problems
from .views import current_view

SHA = validate.Regexp(r"^[0-9a-f]{64}$", error="须为 64 位小写十六进制。")


class EvidenceSchema(BaseSchema):
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    phone_attempt = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    refused_what = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    refused_how = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    witness = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    address_checked = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    neighbours_asked = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    media_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=50))


class OutcomeArgs(VisitArgs):
    codes = fields.List(fields.String(validate=validate.OneOf(list(RESULT_CODES))), load_default=list,
                        validate=validate.Length(max=15))
    followup = fields.String(required=True, validate=validate.OneOf(list(FOLLOWUPS)))
    followup_note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    case = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(OUTCOMES)))
    evidence = fields.Nested(EvidenceSchema, load_default=lambda: EvidenceSchema().load({}))


class SignatureArgs(VisitArgs):
    signature_id = fields.UUID(required=True)
    role = fields.String(required=True, validate=validate.OneOf(PHONE_SIGNER_ROLES))
    kind = fields.String(load_default="signature", validate=validate.OneOf(["signature", "stamp"]))
    id_type = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(ID_DOCUMENT_TYPES)))
    signer_name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    inspector_id = fields.Integer(load_default=None, allow_none=True)
    id_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=24))
    content_sha256 = fields.String(required=True, validate=SHA)
    strokes = fields.List(fields.List(fields.List(fields.Float(allow_nan=False), validate=validate.Length(min=3, max=4)),
                                      validate=validate.Length(max=5000)), load_default=list,
                          validate=validate.Length(max=500))
    image_media_id = fields.UUID(load_default=None, allow_none=True)
    image_sha256 = fields.String(load_default=None, allow_none=True, validate=SHA)
    refused = fields.Boolean(load_default=False)
    refusal_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    no_witness_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    gps = fields.Nested(GpsSchema, load_default=None, allow_none=True)
    app_version = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))

    @validates_schema
    def _shape(self, data, **kwargs):
        party = data["role"] in PARTY_ROLES
        if data.get("kind") == "stamp" and (not party or data.get("refused")):
            raise ValidationError("只有被检查方可以盖章确认。", "kind")
        if data.get("no_witness_reason") and not data.get("refused"):
            raise ValidationError("只有拒绝签字时才需注明无需见证的原因。", "no_witness_reason")
        if data.get("refused"):
            if not party:
                raise ValidationError("只有被检查方可以拒绝签名。", "refused")
            if not (data.get("refusal_reason") or "").strip():
                raise ValidationError("拒绝签名须注明原因。", "refusal_reason")
        else:
            if data.get("kind") != "stamp" and (not data.get("strokes") or not any(data["strokes"])):
                raise ValidationError("缺少手写签名笔迹。", "strokes")
            if not data.get("image_media_id") or not data.get("image_sha256"):
                raise ValidationError("缺少公章照片。" if data.get("kind") == "stamp" else "缺少签名图像。", "image_media_id")


class SealArgs(VisitArgs):
    content_sha256 = fields.String(required=True, validate=SHA)


class AmendmentArgs(VisitArgs):
    amendment_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))
    patch = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=100))


class ContentMismatch(ApiError):
    status, code, title = 409, "content_mismatch", "记录内容已变化"


def _require_same_content(visit, record, claimed: str) -> str:
    current = content_sha256(visit, record)
    if current != claimed:
        raise ContentMismatch("签名时看到的记录与服务器上的记录不一致（可能有组员刚刚修改），请重新核对后再签名。",
                              extra={"server_content_sha256": current})
    return current


@mutator("outcome.set", OutcomeArgs())
def outcome_set(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    codes = list(dict.fromkeys(args["codes"]))
    evidence = {k: v for k, v in args["evidence"].items() if k != "media_ids"}
    media_ids = sorted(str(m) for m in args["evidence"]["media_ids"])
    attached = set(db.session.execute(select(MediaRef.media_id).where(
        MediaRef.visit_id == visit.id, MediaRef.media_id.in_(media_ids))).scalars()) if media_ids else set()
    case = args["case"]
    method = record.method or planned(visit)
    if case in ONSITE_CASES and method != "onsite":
        message = (f"“{OUTCOMES[case]['label']}”须到现场核实（须有现场照片），本次检查方式为“{METHODS[method]['label']}”，"
                   "不能记录此情形；如需到现场核实，请组长将检查方式改为实地核查。")
        raise Invalid(message, code="case_needs_onsite", errors=[{"field": "case", "pointer": "/case", "message": message}])
    if case:
        missing = missing_evidence(case, evidence, len(attached))
        if missing:
            raise ApiError(f"“{OUTCOMES[case]['label']}”须提供：{'、'.join(missing)}。", code="evidence_required",
                           status=422, title="缺少必要证据", extra={"missing": missing})
        rc = OUTCOMES[case]["result_code"]
        if rc not in codes:
            codes.insert(0, rc)
    if not codes:
        raise Invalid("请选择检查结果。", code="validation_failed",
                      errors=[{"field": "codes", "pointer": "/codes", "message": "请选择检查结果。"}])
    if "1" in codes and len(codes) > 1:
        raise Invalid("“未发现问题”不能与其他结果同时选择。", code="validation_failed",
                      errors=[{"field": "codes", "pointer": "/codes", "message": "“未发现问题”不能与其他结果同时选择。"}])
    if case == "unlicensed":
        fid = f"unlicensed-{visit.id}"[:36]
        if db.session.get(Finding, fid) is None:
            db.session.add(Finding(id=fid, visit_id=visit.id, department_id=ctx.principal.department_id,
                                   description=evidence.get("description") or "发现无证无照经营", measures=["onsite_record"],
                                   media_ids=sorted(attached), unlicensed=True, created_by=ctx.principal.user_id,
                                   created_at=utcnow(), version=1))
    record.outcome = {"codes": codes, "followup": args["followup"], "followup_note": args["followup_note"],
                      "case": case, "evidence": {**{k: evidence.get(k) for k in OUTCOME_EVIDENCE_KEYS},
                                                "media_ids": sorted(attached)}}
    touched(visit, record)


def _party_id(args) -> tuple[str | None, str | None, str | None]:
    """(keyed hash, masked number, type) of the party's identity document; none for inspectors,
    witnesses and refusals. Required with a signature; optional with the company stamp."""
    if args["role"] not in PARTY_ROLES or args["refused"]:
        return None, None, None
    if args["kind"] == "stamp" and not (args["id_number"] or "").strip():
        return None, None, None
    id_type = args["id_type"] or "resident_id"
    check = check_identity_document(id_type, args["id_number"] or "")
    if not check.ok:
        label = ID_DOCUMENT_TYPES[id_type]
        raise ApiError(check.message or f"{label}号码无效。", code="invalid_id_number", status=422, title=f"{label}号码无效",
                       errors=[{"field": "id_number", "pointer": "/id_number", "message": check.message}],
                       extra={"id_type": id_type})
    # The mainland ID keeps its plain keyed hash (as before); other documents are typed, so equal
    # numbers of different documents never match.
    subject = check.normalized if id_type == "resident_id" else f"{id_type}:{check.normalized}"
    return keys.keyed_hash("id_number", subject), mask_document_number(id_type, check.normalized), id_type


@mutator("signature.capture", SignatureArgs())
def signature_capture(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    sid = str(args["signature_id"])
    if db.session.get(Signature, sid) is not None:
        return None  # created once
    if ctx.client_time is not None:
        refuse_future(ctx.client_time, "client_time", "签名时间")
    if args["no_witness_reason"] and member_of(visit, ctx.principal.user_id).role != "leader":
        # "必要时可以邀请有关人员做见证记录": whether a witness is necessary is the leader's call.
        raise Forbidden("是否需要见证人由检查组组长决定，请由组长注明无需见证的原因。", code="not_team_leader")
    current = _require_same_content(visit, record, args["content_sha256"])
    id_hash, id_masked, id_type = _party_id(args)
    if args["role"] == "inspector":
        team = {m.inspector_id for m in visit.members if m.active}
        if args["inspector_id"] not in team or args["inspector_id"] not in (record.present or []):
            raise Invalid("签名的执法人员须为在场的检查组成员。", code="not_in_team")
    strokes_sha = jcs_sha256(args["strokes"]) if args["strokes"] else None
    server_time = utcnow()
    event = {"signature_id": sid, "visit_id": visit.id, "record_version": record.version, "content_sha256": current,
             "role": args["role"], "kind": args["kind"], "signer_name": args["signer_name"],
             "inspector_id": args["inspector_id"], "id_type": id_type, "id_number_hash": id_hash, "strokes_sha256": strokes_sha,
             "image_media_id": str(args["image_media_id"]) if args["image_media_id"] else None,
             "image_sha256": args["image_sha256"], "refused": args["refused"], "refusal_reason": args["refusal_reason"],
             "no_witness_reason": args["no_witness_reason"], "device_id": ctx.principal.device_id, "app_version": args["app_version"], "gps": args["gps"],
             "client_time": ctx.client_time, "server_time": server_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    event_json = jcs(event).decode()
    db.session.add(Signature(id=sid, visit_id=visit.id, role=args["role"], kind=args["kind"], signer_name=args["signer_name"],
                             signer_inspector_id=args["inspector_id"], id_type=id_type, id_number_hash=id_hash,
                             id_number_masked=id_masked, no_witness_reason=args["no_witness_reason"],
                             content_sha256=current, strokes=args["strokes"], strokes_sha256=strokes_sha,
                             image_media_id=event["image_media_id"], image_sha256=args["image_sha256"],
                             refused=args["refused"], refusal_reason=args["refusal_reason"],
                             device_id=ctx.principal.device_id, app_version=args["app_version"], gps=args["gps"],
                             client_time=ctx.client_time, server_time=server_time, event_json=event_json,
                             server_signature=keys.sign(event_json.encode())))
    audit.record(db.session, "visit.signature", "visit", visit.id,
                 {"event_sha256": sha256_hex(event_json.encode()), "role": args["role"], "kind": args["kind"],
                  "content_sha256": current, "refused": args["refused"]})
    touched(visit, record)


@mutator("visit.seal", SealArgs())
def seal(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    current = _require_same_content(visit, record, args["content_sha256"])
    sealed_at = utcnow()
    if ctx.client_time is not None:
        refuse_future(ctx.client_time, "client_time", "封存时间", now=sealed_at)
    refuse_after_seal({column: getattr(record, column) for column, _, _ in RECORD_MOMENTS}, sealed_at)
    # Media claims are not compared with the seal: each was checked when attached (not more than the
    # clock skew ahead of the server), and a claim cannot be changed, so a phone running a minute fast
    # could never seal a record it had just photographed and signed.
    problems = seal_problems(visit, record, current)
    if problems:
        raise ApiError("尚不能封存：" + "；".join(p["message"] for p in problems) + "。", code=problems[0]["code"],
                       status=422, title="不能封存", extra={"problems": problems})
    body = canonical_record(visit, record)
    sigs = sorted(db.session.execute(select(Signature.id).where(Signature.visit_id == visit.id)).scalars())
    statement = {"visit_id": visit.id, "content_sha256": current, "signatures": sigs,
                 "sealed_at": sealed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "sealed_by": ctx.principal.user_id}
    record.sealed_content = jcs(body).decode()
    record.content_sha256 = current
    record.seal_signature = keys.sign(jcs(statement))
    record.sealed_at, record.sealed_by = sealed_at, ctx.principal.user_id
    record.check_ended_on = ended_on_at_seal(record, sealed_at, ctx.client_time)
    visit.status = "sealed"

    hooks.sealed(visit, record)
    audit.record(db.session, "visit.seal", "visit", visit.id, {**statement, "seal_signature": record.seal_signature})
    touched(visit, record)


@mutator("amendment.add", AmendmentArgs())
def amendment_add(ctx, args):
    visit, record = amendment_record(ctx.principal, args["visit_id"])
    aid = str(args["amendment_id"])
    if db.session.get(Amendment, aid) is not None:
        return None

    view = current_view(visit, record)
    try:
        patched = apply_patch(view, args["patch"])
    except (PatchError, ValueError, TypeError) as err:
        raise Invalid(f"补正内容无效：{err}", code="invalid_patch")
    # A correction may move an on-site moment, but not past the seal it amends.
    before = view_moments(view)
    changed = {c: v for c, v in view_moments(patched).items() if v is not None and v != before[c]}
    for column, value in changed.items():
        parse_client_time(value, column)
    refuse_after_seal(changed, record.sealed_at)
    amendment = Amendment(id=aid, visit_id=visit.id, reason=args["reason"], patch=args["patch"],
                          author_id=ctx.principal.user_id, created_at=utcnow())
    db.session.add(amendment)
    audit.record(db.session, "visit.amendment", "visit", visit.id,
                 {"amendment": aid, "reason": args["reason"], "patch_sha256": jcs_sha256(args["patch"])})

    hooks.amended(visit, record, amendment)
    record.version += 1
    visit.version += 1
    announce(visit)

