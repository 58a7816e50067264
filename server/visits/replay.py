"""`audit verify` replays the log for sealed records (trust.md: verify replays, it does not only re-hash).

Someone with the database and the instance key can edit a sealed record, recompute its hash and
re-sign the seal and the signature events: every check of the tables against themselves then
passes. The log still holds what was sealed (the `visit.seal` entry's content hash, seal signature
and signature ids, each `visit.signature` entry's event hash, each `visit.amendment` entry's patch
hash), and the chain commits to it. This check compares the tables with those entries, and names
a sealed record whose seal the log never saw (its entries cut from the end of the log).
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from ..audit.service import Finding, logged, register_verifier
from ..canonical import jcs_sha256, sha256_hex
from .models import Amendment, Signature, VisitRecord

ACTIONS = ["visit.seal", "visit.signature", "visit.amendment"]


def _iso(ts) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _log_state(session) -> tuple[dict, dict, dict]:
    seals: dict[str, dict] = {}
    events: dict[str, set[str]] = defaultdict(set)
    amendments: dict[str, str] = {}
    for e in logged(session, ACTIONS):
        if e.action == "visit.seal":
            seals[e.target_id] = e.data
        elif e.action == "visit.signature":
            events[e.target_id].add(e.data.get("event_sha256"))
        elif e.data.get("amendment"):
            amendments[e.data["amendment"]] = e.data.get("patch_sha256")
    return seals, events, amendments


def _problem(record: VisitRecord, seal: dict | None, sigs: list[Signature], events: set[str]) -> str | None:
    if seal is None:
        return "sealed, but the log holds no seal entry for it (entries removed or the log cut short)"
    if seal.get("content_sha256") != record.content_sha256:
        return (f"the sealed content hash {str(record.content_sha256)[:12]}… differs from the one the log sealed "
                f"({str(seal.get('content_sha256'))[:12]}…)")
    if seal.get("seal_signature") != record.seal_signature:
        return "the seal's signature differs from the one logged at sealing (re-signed)"
    if seal.get("sealed_at") != _iso(record.sealed_at) or seal.get("sealed_by") != record.sealed_by:
        return "the time or author of the seal differs from the log"
    if sorted(seal.get("signatures") or []) != sorted(s.id for s in sigs):
        return "the signatures bound to the seal differ from those the log sealed"
    for s in sigs:
        if sha256_hex(s.event_json.encode()) not in events:
            return f"signature {s.id}: its event is not the one logged when it was captured"
    return None


def verify_sealed_against_log(session) -> list[Finding]:
    seals, events, amendments = _log_state(session)
    records = session.execute(select(VisitRecord).where(VisitRecord.sealed_at.is_not(None))
                              .order_by(VisitRecord.visit_id)).scalars().all()
    sigs: dict[str, list[Signature]] = defaultdict(list)
    for s in session.execute(select(Signature).order_by(Signature.id)).scalars():
        sigs[s.visit_id].append(s)
    for record in records:
        problem = _problem(record, seals.get(record.visit_id), sigs[record.visit_id], events[record.visit_id])
        if problem:
            return [Finding(f"sealed record {record.visit_id} (log)", False, problem)]
    for a in session.execute(select(Amendment).order_by(Amendment.id)).scalars():
        if a.id not in amendments:
            return [Finding(f"amendment {a.id}", False, "no logged amendment has this id")]
        if amendments[a.id] != jcs_sha256(a.patch):
            return [Finding(f"amendment {a.id}", False, "its patch differs from the one logged")]
    return [Finding("sealed records (log)", True,
                    f"{len(records)} seals and their signatures and amendments agree with the log")]


register_verifier("sealed records (log)", verify_sealed_against_log)
