"""Art. 21: every outcome that ends a visit without a normal check needs its own evidence.

For each case of server/visits/rules.py: refused with nothing, refused with each
single piece of evidence missing (and with photos that were never attached), then
accepted with all of it and sealed with the signatures the case calls for.
"""
from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import select

from server.visits.models import Finding
from server.visits.rules import EVIDENCE_LABELS, MET_CASES, OUTCOMES, RESULT_CODES
from server.visits.seal import NO_PARTY_CASES
from tests.server.visits.team import chinese, team_of
from tests.support.field import LEGAL_REP_ID, phone_time, STROKES, attach_photo, content_sha256, image_bytes

TEXT = {"description": "现场情况说明：经营场所大门紧锁，门口无招牌", "phone_attempt": "09:10 拨打登记电话 0350-1234567 无人接听",
        "refused_what": "拒绝提供进货查验记录，拒绝检查人员进入后厨", "refused_how": "负责人口头拒绝并锁闭后厨门",
        "witness": "社区网格员 张三", "address_checked": "忻府区和平街 12 号（登记住所）",
        "neighbours_asked": "询问隔壁商户王某：该店已半年未开门"}


def _evidence(case: str, media_ids: list[str], drop: str | None = None) -> dict:
    ev = {"media_ids": []}
    for need in OUTCOMES[case]["requires"]:
        if need == drop:
            continue
        if need in ("site_photos", "documents"):
            ev["media_ids"] = media_ids
        else:
            ev[need] = TEXT[need]
    return ev


def _sign(phone, vid, role, name, content, **extra) -> None:
    sid = str(uuid.uuid4())
    img = attach_photo(phone, vid, {"type": "signature", "id": sid}, kind="signature")
    phone.ok("signature.capture", visit_id=vid, signature_id=sid, role=role, signer_name=name, content_sha256=content,
             strokes=STROKES, image_media_id=img, image_sha256=hashlib.sha256(image_bytes(img)).hexdigest(), **extra)


@pytest.mark.parametrize("case", sorted(OUTCOMES))
def test_art21_outcome_needs_its_evidence(case, client, login, dbs):
    team = team_of(client, login("office"))
    lead, vid = team.lead, team.visit_id
    lead.ok("visit.present", visit_id=vid, inspector_ids=team.inspectors())
    if case in MET_CASES:  # somebody was met: arrival and credentials shown are on the record
        lead.ok("visit.arrive", visit_id=vid, at=phone_time(3), gps=None)
        lead.ok("visit.credentials_shown", visit_id=vid, at=phone_time(2))
    rule = OUTCOMES[case]
    photos = [attach_photo(lead, vid, {"type": "outcome", "id": None}) for _ in range(2)]
    outcome = dict(visit_id=vid, codes=[], followup="routine", followup_note=None, case=case)

    # Nothing: refused, naming everything it lacks, in Chinese.
    res = lead.do("outcome.set", **outcome, evidence={})
    assert res["status"] == "rejected" and res["problem"]["code"] == "evidence_required"
    assert res["problem"]["missing"] == [EVIDENCE_LABELS[n] for n in rule["requires"]]
    assert chinese(res["problem"]["detail"]) and rule["label"] in res["problem"]["detail"]
    # Each single piece missing: refused, naming exactly that piece.
    for need in rule["requires"]:
        res = lead.do("outcome.set", **outcome, evidence=_evidence(case, photos, drop=need))
        assert res["status"] == "rejected" and res["problem"]["missing"] == [EVIDENCE_LABELS[need]], (need, res)
    # Photos the server never saw attached to this visit are no evidence.
    if {"site_photos", "documents"} & set(rule["requires"]):
        res = lead.do("outcome.set", **outcome, evidence=_evidence(case, [str(uuid.uuid4())]))
        assert res["status"] == "rejected" and res["problem"]["code"] == "evidence_required"
    # A whitespace-only text is no evidence either.
    text_needs = [n for n in rule["requires"] if n in TEXT]
    if text_needs:
        res = lead.do("outcome.set", **outcome, evidence={**_evidence(case, photos), text_needs[0]: "   "})
        assert res["status"] == "rejected" and res["problem"]["missing"] == [EVIDENCE_LABELS[text_needs[0]]]
    # The visit cannot be sealed meanwhile.
    lead.pull()
    res = lead.do("visit.seal", visit_id=vid, content_sha256=content_sha256(lead.visit(vid)))
    assert res["status"] == "rejected" and any(p["code"] == "evidence_required" for p in res["problem"]["problems"])

    # Everything: accepted, with the case's result code.
    lead.ok("outcome.set", **outcome, evidence=_evidence(case, photos))
    lead.pull()
    v = lead.visit(vid)
    assert v["record"]["outcome"]["case"] == case
    assert v["record"]["outcome"]["codes"][0] == rule["result_code"] and rule["result_code"] in RESULT_CODES
    if {"site_photos", "documents"} & set(rule["requires"]):
        assert v["record"]["outcome"]["evidence"]["media_ids"] == sorted(photos)
    if case == "unlicensed":
        with dbs() as s:
            f = s.execute(select(Finding).where(Finding.visit_id == vid, Finding.unlicensed.is_(True))).scalar_one()
            assert f.description == TEXT["description"] and sorted(f.media_ids) == sorted(photos)
        assert any(f["unlicensed"] for f in v["record"]["findings"])

    # Signatures the case calls for, then the seal. No normal check: no answers, arrival etc. needed.
    content = content_sha256(v)
    for m in v["team"][:2]:
        _sign(lead, vid, "inspector", m["name"], content, inspector_id=m["inspector_id"])
    if case not in NO_PARTY_CASES:
        lead.pull()
        res = lead.do("visit.seal", visit_id=vid, content_sha256=content)
        assert res["status"] == "rejected" and {p["code"] for p in res["problem"]["problems"]} == {"signature_required"}
        if case == "refused":
            _sign(lead, vid, "witness", "张三", content)
            lead.ok("signature.capture", visit_id=vid, signature_id=str(uuid.uuid4()), role="person_in_charge",
                    signer_name="李四", content_sha256=content, refused=True, refusal_reason="当事人拒绝签字")
        else:
            _sign(lead, vid, "person_in_charge", "李四", content, id_number=LEGAL_REP_ID)
    lead.ok("visit.seal", visit_id=vid, content_sha256=content)
    lead.pull()
    v = lead.visit(vid)
    assert v["status"] == "sealed" and v["record"]["sealed"]["content_sha256"] == content
