"""A joint team's handoff with no network (docs/field-contract.md, "Handoff by QR code").

A member's phone shows its section of a visit (its own queued mutations of the visit) as QR
codes; the leader's phone scans them, shows every department's section and has the party sign
the whole record, then pushes `handoff.section` before the signatures and the seal. The server
applies each handed-over mutation once, in the member's name, and remembers it by the member's
(client, mutation id): when the member's phone later pushes the same mutation it is answered
`applied` without being applied again (whichever phone syncs first). What differs from what the
party signed is never silently accepted: it is a content mismatch (mismatch.py).
"""
from __future__ import annotations

import dataclasses

from marshmallow import ValidationError, fields, validate
from sqlalchemy import select

from sync.models import SyncClient, SyncMutation
from sync import batch
from sync.registry import MUTATORS, MutationContext, Outcome, mutator

from ..accounts.models import User
from ..audit import service as audit
from ..canonical import jcs_sha256
from ..errors import Forbidden, Invalid
from ..extensions import db
from ..schemas import BaseSchema
from .access import member_of, touched, writable_record
from .mismatch import MEMBER_MUTATIONS, record_mismatch, restore_signed_state
from .models import HandoffMutation, HandoffSection
from .sign import SHA

SECTION_VERSION = 1


class HandedMutation(BaseSchema):
    id = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 53 - 1))
    name = fields.String(required=True, validate=validate.OneOf(sorted(MEMBER_MUTATIONS)))
    client_time = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    args = fields.Dict(required=True)


class SectionArgs(BaseSchema):
    visit_id = fields.UUID(required=True)
    v = fields.Integer(required=True, validate=validate.Equal(SECTION_VERSION, error="交接格式版本不受支持，请更新应用。"))
    member_user_id = fields.Integer(required=True)
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    seq = fields.Integer(required=True, validate=validate.Range(min=1, max=10000))
    handed_at = fields.String(required=True, validate=validate.Length(min=10, max=40))
    section_sha256 = fields.String(required=True, validate=SHA)
    mutations = fields.List(fields.Nested(HandedMutation), required=True, validate=validate.Length(min=1, max=500))


def section_body(raw: dict) -> dict:
    """What `section_sha256` is the SHA-256 of (JCS): the section without its own hash."""
    return {k: raw[k] for k in ("v", "visit_id", "member_user_id", "client_id", "seq", "handed_at", "mutations")}


def _member_principal(leader, member, client: SyncClient):
    user = db.session.get(User, member.user_id)
    return dataclasses.replace(leader, user_id=user.id, username=user.username, display_name=user.display_name,
                               department_id=member.department_id, roles=frozenset(user.roles), device_id=client.device_id)


@mutator("handoff.section", SectionArgs())
def handoff_section(ctx, args):
    visit, record = writable_record(ctx.principal, args["visit_id"])
    me = member_of(visit, ctx.principal.user_id)
    if me.role != "leader":
        raise Forbidden("组员的交接内容由检查组组长的手机接收并提交。", code="not_team_leader")
    member = member_of(visit, args["member_user_id"])
    if member is None or member.user_id == ctx.principal.user_id:
        raise Invalid("交接人须为本检查组的其他成员。", code="not_in_team")
    client = db.session.get(SyncClient, args["client_id"])
    if client is None or client.user_id != member.user_id:
        raise Invalid("交接内容不是该组员的手机生成的。", code="unknown_client")
    body = section_body({**args, "visit_id": str(args["visit_id"])})
    if jcs_sha256(body) != args["section_sha256"]:
        raise Invalid("交接内容的 SHA-256 校验不一致（可能扫描不完整），请重新扫描。", code="section_corrupt")
    vid = str(visit.id)
    if any(str(m["args"].get("visit_id")) != vid for m in body["mutations"]):
        raise Invalid("交接内容含有其他检查任务的记录。", code="section_corrupt")
    done = db.session.execute(select(HandoffSection).where(
        HandoffSection.visit_id == vid, HandoffSection.section_sha256 == args["section_sha256"])).scalar_one_or_none()
    if done is not None:
        return Outcome(data={"handoff_id": done.id})  # the same section again: nothing more to do
    newer = db.session.execute(select(HandoffSection.seq).where(
        HandoffSection.visit_id == vid, HandoffSection.member_user_id == member.user_id,
        HandoffSection.seq > args["seq"]).limit(1)).first()
    if newer is not None:
        # An older handover of the member arriving after a newer one: the newer one stands.
        return Outcome(data={"superseded_by_seq": newer[0]})
    section = HandoffSection(visit_id=vid, member_user_id=member.user_id, client_id=client.client_id, seq=args["seq"],
                             section_sha256=args["section_sha256"], handed_at=args["handed_at"],
                             mutation_count=len(body["mutations"]), received_by=ctx.principal.user_id)
    db.session.add(section)
    db.session.flush()
    as_member = _member_principal(ctx.principal, member, client)
    applied, already = 0, 0
    for m in body["mutations"]:
        sha = jcs_sha256(m["args"])
        seen = _already_here(client.client_id, m["id"])
        if seen is not None:
            already += 1
            if seen != sha:
                record_mismatch(visit, member.user_id, client.client_id, m["id"], f"mutation:{m['name']}",
                                signed=m["args"], arrived=_stored_args(client.client_id, m["id"]), source="handoff")
            continue
        mut = MUTATORS[m["name"]]
        try:
            loaded = mut.schema.load(m["args"])
        except ValidationError as err:
            raise Invalid(f"交接内容中第 {m['id']} 条记录无效：{err.messages}", code="section_invalid")
        mut.fn(MutationContext(principal=as_member, client_id=client.client_id, mutation_id=m["id"],
                               client_time=m.get("client_time")), loaded)
        db.session.add(HandoffMutation(client_id=client.client_id, mutation_id=m["id"], visit_id=vid,
                                       handoff_id=section.id, name=m["name"], args=m["args"], args_sha256=sha))
        applied += 1
    db.session.flush()
    # The member's phone may have synced a later change before this section arrived: the party
    # signed the section, so the record is brought back to it, and the difference is kept.
    restored = restore_signed_state(visit, member.user_id, client.client_id, body["mutations"])
    batch.forget(db.session)  # the batch's kept answers may predate what was applied and restored here
    audit.record(db.session, "visit.handoff", "visit", vid,
                 {"section_sha256": args["section_sha256"], "member_user_id": member.user_id, "client_id": client.client_id,
                  "seq": args["seq"], "handed_at": args["handed_at"], "mutation_ids": [m["id"] for m in body["mutations"]],
                  "applied": applied, "already_applied": already, "restored": restored})
    touched(visit, record)
    return Outcome(data={"handoff_id": section.id, "applied": applied, "already_applied": already})


def _already_here(client_id: str, mutation_id: int) -> str | None:
    """The args hash of the member's mutation if the server has it already (pushed by the member
    or handed over before), else None."""
    row = db.session.get(HandoffMutation, (client_id, mutation_id))
    if row is not None:
        return row.args_sha256
    synced = db.session.get(SyncMutation, (client_id, mutation_id))
    if synced is not None and synced.status == "applied":
        return jcs_sha256(synced.args)
    return None


def _stored_args(client_id: str, mutation_id: int):
    row = db.session.get(HandoffMutation, (client_id, mutation_id))
    return row.args if row is not None else db.session.get(SyncMutation, (client_id, mutation_id)).args


def handovers_of(visit) -> dict[int, dict]:
    """What the server knows of each member's section handed to the leader's phone (the leader's
    view, sections.py): inspector id → the newest handover received for this visit."""
    rows = db.session.execute(select(HandoffSection.member_user_id, HandoffSection.handed_at, HandoffSection.seq)
                              .where(HandoffSection.visit_id == visit.id)).all()
    newest: dict[int, tuple] = {}
    for user_id, handed_at, seq in rows:
        if user_id not in newest or seq > newest[user_id][1]:
            newest[user_id] = (handed_at, seq)
    inspector_of = {m.user_id: m.inspector_id for m in visit.members if m.user_id is not None}
    return {inspector_of[u]: {"handed_over_at": at} for u, (at, _seq) in newest.items() if u in inspector_of}
