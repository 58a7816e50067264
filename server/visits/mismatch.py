"""Content mismatches of a joint handoff: what a member's phone sent that differs from what the
party signed (docs/field-contract.md, "Handoff by QR code").

Never silently accepted: each difference is a row (both values), an audit entry (both values),
and a line in the visit the leader's phone pulls and in the record the reviewer opens.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select

from sync import batch
from sync.registry import Outcome, guard

from ..audit import service as audit
from ..canonical import jcs_sha256
from ..errors import ApiError
from ..extensions import db
from ..types import utcnow
from . import access, batched
from .announce import announce
from .models import Answer, ContentMismatch, Finding, HandoffMutation, HandoffSection, MediaRef, Visit, VisitRecord

# What a member enters on its own phone and hands over: its department's answers, its findings,
# its photos and videos (by SHA-256; the bytes go by tus later).
MEMBER_MUTATIONS = {"answer.set", "finding.add", "finding.update", "media.attach"}
FINDING_FIELDS = ("description", "legal_basis", "measures", "rectify_deadline", "media_ids")


class ContentMismatchProblem(ApiError):
    status, code, title = 409, "content_mismatch", "与签名内容不一致"


def record_mismatch(visit: Visit, member_user_id: int, client_id: str, mutation_id: int | None, field: str,
                    signed, arrived, source: str) -> ContentMismatch:
    row = ContentMismatch(visit_id=visit.id, member_user_id=member_user_id, client_id=client_id, mutation_id=mutation_id,
                          field=field, signed=signed, arrived=arrived, source=source, at=utcnow())
    db.session.add(row)
    audit.record(db.session, "visit.content_mismatch", "visit", visit.id,
                 {"field": field, "member_user_id": member_user_id, "client_id": client_id, "mutation_id": mutation_id,
                  "signed": signed, "arrived": arrived, "source": source})
    visit.version += 1
    announce(visit)
    return row


_cm = ContentMismatch.__table__.c
_MISMATCHES = (select(_cm.visit_id, _cm.id, _cm.field, _cm.member_user_id, _cm.mutation_id, _cm.signed, _cm.arrived,
                      _cm.source, _cm.at).where(_cm.visit_id.in_(bindparam("ids", expanding=True)))
               .order_by(_cm.visit_id, _cm.id))


def mismatches_of(visit_ids) -> dict[str, list[dict]]:
    """The content mismatches of many visits, in one query."""
    ids = list(dict.fromkeys(visit_ids))
    out: dict[str, list[dict]] = {i: [] for i in ids}
    if not ids:
        return out
    for m in db.session.execute(_MISMATCHES, {"ids": ids}):
        out[m.visit_id].append({"id": m.id, "field": m.field, "member_user_id": m.member_user_id,
                                "mutation_id": m.mutation_id, "signed": m.signed, "arrived": m.arrived,
                                "source": m.source, "at": m.at.isoformat()})
    return out


def mismatches_view(visit_id: str) -> list[dict]:
    return mismatches_of([visit_id])[visit_id]


def _field_of(name: str, args: dict) -> str:
    if name == "answer.set":
        return f"answers.{args['item_id']}:{args['checkpoint_key']}"
    if name == "media.attach":
        return f"media.{args['media_id']}"
    return f"findings.{args['finding_id']}"


def _jsonable(v):
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v


def _finding_state(f: Finding | None) -> dict | None:
    return None if f is None else {k: _jsonable(getattr(f, k)) for k in FINDING_FIELDS}


def _current(visit_id: str, name: str, args: dict):
    """The record's current value of what the mutation touches (what was signed, once sealed)."""
    if name == "answer.set":
        a = db.session.execute(select(Answer).where(Answer.visit_id == visit_id, Answer.item_id == args["item_id"],
                                                    Answer.checkpoint_key == args["checkpoint_key"])).scalar_one_or_none()
        return None if a is None else {"value": a.value, "note": a.note}
    if name == "media.attach":
        m = db.session.get(MediaRef, str(args["media_id"]))
        return None if m is None or m.visit_id != visit_id else {"sha256": m.sha256}
    return _finding_state(db.session.get(Finding, str(args["finding_id"])))


def _arrived(name: str, raw: dict):
    if name == "answer.set":
        return {"value": raw.get("value"), "note": raw.get("note")}
    if name == "media.attach":
        return {"sha256": raw.get("sha256")}
    return {k: raw[k] for k in FINDING_FIELDS if k in raw}


def _unchanged(current, name: str, raw: dict) -> bool:
    if current is None:
        return False
    arrived = _arrived(name, raw)
    if name == "finding.add" or name == "finding.update":
        norm = {**arrived, **({"measures": sorted(set(arrived["measures"]))} if "measures" in arrived else {})}
        return all(current.get(k) == v for k, v in norm.items())
    return current == arrived


@guard
def member_push(ctx, name, args, raw):
    """A member's own push of what it handed over is applied once; after the seal, a change made
    after the handoff is a content mismatch (refused, both values kept), not `record_sealed`."""
    if name not in MEMBER_MUTATIONS:
        return None
    vid = str(args["visit_id"])
    if batch.memo(db.session) is not None:
        # In a push batch: the visit is locked now, as its mutator would lock it, so what was
        # handed over is read once under the lock (and the mutator reuses the visit and record).
        visit, record = access.locked(vid)
        if visit is None:
            return None
        handed = _handed_here(ctx, vid) if access.handed_over(vid) else None
    else:
        handed = db.session.get(HandoffMutation, (ctx.client_id, ctx.mutation_id))
        if (handed is None or handed.visit_id != vid) and not _sealed(vid):
            return None  # the usual case, answered without loading the visit (its mutator loads and locks it)
        visit, record = db.session.get(Visit, vid), db.session.get(VisitRecord, vid)
        if visit is None:
            return None
    if handed is not None and handed.visit_id == vid:
        if handed.args_sha256 == jcs_sha256(raw):
            return Outcome(data={"handed_over": True})  # applied when the leader's phone pushed the section
        return _refuse(ctx, visit, name, raw, signed=handed.args, arrived=raw,
                       message="这条记录已随交接提交，但本机后来发送的内容与交接（签名）时不同，已记录为内容不一致。")
    if record is None or record.sealed_at is None:
        return None  # not sealed: applied as usual (a handed-over section arriving later is compared then)
    member_handed = db.session.execute(select(HandoffSection.id).where(
        HandoffSection.visit_id == vid, HandoffSection.member_user_id == ctx.principal.user_id).limit(1)).first()
    if not member_handed:
        return None
    current = _current(vid, name, args)
    if _unchanged(current, name, raw):
        return Outcome(data={"unchanged": True})
    return _refuse(ctx, visit, name, raw, signed=current, arrived=_arrived(name, raw),
                   message="交接之后本机又修改了记录，与当事人签名的内容不一致；已记录为内容不一致，请联系组长和审核人员处理（补正）。")


def _sealed(visit_id: str) -> bool:
    return db.session.execute(select(VisitRecord.sealed_at).where(VisitRecord.visit_id == visit_id)).scalar() is not None


def _handed_here(ctx, vid: str) -> HandoffMutation | None:
    """The member's mutation as handed over in `vid`, once this batch holds the visit locked: its
    handed-over mutations from here on are read once (a section is applied only under the same lock,
    handoff.py, which empties the batch's memo after it)."""
    memo = batch.memo(db.session)
    key = ("visits.handed", ctx.client_id, vid)
    if key not in memo:
        with db.session.no_autoflush:  # what a flush would write is not a handed-over mutation
            memo[key] = {h.mutation_id: h for h in db.session.execute(select(HandoffMutation).where(
                HandoffMutation.client_id == ctx.client_id, HandoffMutation.visit_id == vid,
                HandoffMutation.mutation_id >= ctx.mutation_id)).scalars()}
    return memo[key].get(ctx.mutation_id)


def _refuse(ctx, visit, name, raw, signed, arrived, message):
    record_mismatch(visit, ctx.principal.user_id, ctx.client_id, ctx.mutation_id, _field_of(name, raw), signed, arrived,
                    "member_push")
    return Outcome(problem=ContentMismatchProblem(message).to_problem())


def _signed_state(mutations: list[dict]) -> tuple[dict, dict]:
    """The final answers and findings of a section (its mutations applied in order)."""
    answers, findings = {}, {}
    for m in mutations:
        a = m["args"]
        if m["name"] == "answer.set":
            answers[(a["item_id"], a["checkpoint_key"])] = {"value": a.get("value"), "note": a.get("note")}
        elif m["name"] == "finding.add":
            findings.setdefault(str(a["finding_id"]), {k: a.get(k, [] if k in ("measures", "media_ids") else None)
                                                       for k in FINDING_FIELDS})
        elif m["name"] == "finding.update" and str(a["finding_id"]) in findings:
            findings[str(a["finding_id"])].update({k: a[k] for k in FINDING_FIELDS if k in a})
    for f in findings.values():
        f["measures"] = sorted(set(f["measures"] or []))
    return answers, findings


def restore_signed_state(visit: Visit, member_user_id: int, client_id: str, mutations: list[dict]) -> int:
    """Bring the member's answers and findings back to the handed-over section where a later push
    of the member changed them; each such difference is recorded. Returns how many."""
    answers, findings = _signed_state(mutations)
    restored = 0
    for (item_id, key), want in answers.items():
        row = db.session.execute(select(Answer).where(Answer.visit_id == visit.id, Answer.item_id == item_id,
                                                      Answer.checkpoint_key == key)).scalar_one_or_none()
        if row is None or (row.value, row.note) == (want["value"], want["note"]):
            continue
        have = {"value": row.value, "note": row.note}
        record_mismatch(visit, member_user_id, client_id, None, f"answers.{item_id}:{key}", want, have, "handoff")
        batched.history(visit.id, f"answers.{item_id}:{key}", have, want, row.answered_by, member_user_id, True)
        row.value, row.note, row.answered_by, row.version, row.updated_at = (
            want["value"], want["note"], member_user_id, row.version + 1, utcnow())
        restored += 1
    for fid, want in findings.items():
        f = db.session.get(Finding, fid)
        have = _finding_state(f)
        if f is None or all(have[k] == _jsonable(v) for k, v in want.items()):
            continue
        record_mismatch(visit, member_user_id, client_id, None, f"findings.{fid}", want, have, "handoff")
        for k, v in want.items():
            setattr(f, k, dt.date.fromisoformat(v) if k == "rectify_deadline" and isinstance(v, str) else v)
        f.version += 1
        restored += 1
    return restored
