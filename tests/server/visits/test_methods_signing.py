"""Check methods (Art. 19, 20(1)), signature or stamp with typed identity documents, a witness
only when necessary, Art. 21 facts and credentials, consistency of the result, and the day the
check ended (Art. 20(3)) as the phone recorded it."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

import pytest

from sqlalchemy import select

from server.identifiers import check_identity_document
from server.review.models import Review
from server.visits.models import Signature, VisitRecord
from server.visits.seal import NO_PARTY_CASES
from server.visits.verification import check_record
from server.visits.models import Visit
from tests.server.visits.team import answer_args, chinese, finding_args, team_of
from tests.support.field import LEGAL_REP_ID, PHONE_TZ, STROKES, attach_photo, content_sha256, image_bytes, phone_time

HK_PERMIT = "H12345678"


def _answer_all(team, value: str = "pass", photos: bool = True) -> None:
    """Every checkpoint answered by its department's phone (with the photos on-site checks need)."""
    for item in team.task["items"]:
        code = next(d["code"] for d in team.task["departments"] if d["id"] == item["department_id"])
        phone = team.phones[code]
        for cp in item["checkpoints"]:
            v = {"pass_fail_na": value, "number": "4.5", "text": "情况正常", "choice": (cp["choices"] or ["x"])[0]}[cp["answer_type"]]
            phone.ok("answer.set", visit_id=team.visit_id, item_id=item["item_id"], checkpoint_key=cp["key"],
                     value=v, note=None, base_version=None)
            if photos and cp["photo_required"]:
                attach_photo(phone, team.visit_id, {"type": "answer", "id": f"{item['item_id']}:{cp['key']}"})


def _sign(phone, vid, role, name, content, kind="signature", **extra) -> dict:
    sid = str(uuid.uuid4())
    img = attach_photo(phone, vid, {"type": "signature", "id": sid}, kind="signature")
    args = dict(visit_id=vid, signature_id=sid, role=role, signer_name=name, content_sha256=content, kind=kind,
                image_media_id=img, image_sha256=hashlib.sha256(image_bytes(img)).hexdigest(), **extra)
    if kind == "signature":
        args["strokes"] = STROKES
    return phone.do("signature.capture", **args)


def _onsite(team, minutes_ago: float = 30) -> None:
    lead, vid = team.lead, team.visit_id
    lead.ok("visit.arrive", visit_id=vid, at=phone_time(minutes_ago), gps=None)
    lead.ok("visit.present", visit_id=vid, inspector_ids=team.inspectors())
    lead.ok("visit.credentials_shown", visit_id=vid, at=phone_time(minutes_ago - 1))
    lead.ok("visit.rights_informed", visit_id=vid, at=phone_time(minutes_ago - 2))


def _content(team) -> str:
    team.lead.pull()
    return content_sha256(team.lead.visit(team.visit_id))


def _seal_problems(team) -> set[str]:
    res = team.lead.do("visit.seal", visit_id=team.visit_id, content_sha256=_content(team))
    assert res["status"] == "rejected", res
    return {p["code"] for p in res["problem"]["problems"]}


def _inspectors_sign(team, content, n=2):
    for m in team.visit["team"][:n]:
        assert _sign(team.lead, team.visit_id, "inspector", m["name"], content, inspector_id=m["inspector_id"])["status"] == "applied"


# --- methods ------------------------------------------------------------------------------


def test_documentary_check_needs_its_own_evidence_and_no_site_steps(client, login, dbs):
    team = team_of(client, login("office"))
    lead, vid = team.lead, team.visit_id
    me = team.visit["team"][0]["inspector_id"]
    lead.plan_method(vid, "documentary")
    lead.ok("visit.method", visit_id=vid, method="documentary", details={})
    # Arrival is not a step of a documentary check.
    res = lead.do("visit.arrive", visit_id=vid, at=phone_time(5), gps=None)
    assert res["status"] == "rejected" and res["problem"]["code"] == "not_onsite" and "书面检查" in res["problem"]["detail"]
    lead.ok("visit.present", visit_id=vid, inspector_ids=[me])
    _answer_all(team, photos=False)  # photos of the premises are an on-site matter
    lead.ok("outcome.set", visit_id=vid, codes=["1"], followup="none", followup_note=None, case=None)
    lead.ok("visit.end_check", visit_id=vid, at=phone_time(1))
    # Without the documents received and their scans: refused, naming both, in Chinese.
    res = lead.do("visit.seal", visit_id=vid, content_sha256=_content(team))
    assert res["status"] == "rejected"
    messages = [p["message"] for p in res["problem"]["problems"]]
    assert any("收到的书面材料" in m and "照片或扫描件" in m for m in messages), messages
    # No arrival, credentials, rights, party signature or second inspector is asked for.
    assert not any(w in m for m in messages for w in ("到达", "证件", "权利义务", "法定代表人", "2 名")), messages
    assert "须由至少 1 名实施检查的执法人员签名" in messages
    scan = attach_photo(lead, vid, {"type": "method", "id": None})
    lead.ok("visit.method", visit_id=vid, method="documentary",
            details={"documents_received": "营业执照复印件、食品经营许可证、进货查验记录（2026 年 11 月）"})
    content = _content(team)
    _inspectors_sign(team, content, n=1)
    lead.ok("visit.seal", visit_id=vid, content_sha256=content)
    with dbs() as s:
        rec = s.get(VisitRecord, vid)
        sealed = json.loads(rec.sealed_content)
        assert sealed["method"] == "documentary" and "进货查验记录" in sealed["method_details"]["documents_received"]
        assert scan in [m["media_id"] for m in sealed["media"]] and sealed["check_ended_at"]
        assert check_record(s.get(Visit, vid), rec) is None  # the seal verifies with the new fields


def test_online_check_needs_urls_and_captures(client, login, dbs):
    team = team_of(client, login("office"))
    lead, vid = team.lead, team.visit_id
    lead.plan_method(vid, "online")
    res = lead.do("visit.method", visit_id=vid, method="online", details={"urls": ["ftp://shop.example.com/"]})
    assert res["status"] == "rejected" and res["problem"]["code"] == "validation_failed"
    lead.ok("visit.method", visit_id=vid, method="online", details={"urls": []})
    lead.ok("visit.present", visit_id=vid, inspector_ids=[team.visit["team"][0]["inspector_id"]])
    _answer_all(team, photos=False)
    lead.ok("outcome.set", visit_id=vid, codes=["1"], followup="none", followup_note=None, case=None)
    res = lead.do("visit.seal", visit_id=vid, content_sha256=_content(team))
    assert any("检查的网址" in p["message"] and "网页截图" in p["message"] for p in res["problem"]["problems"]), res
    attach_photo(lead, vid, {"type": "method", "id": None})
    lead.ok("visit.method", visit_id=vid, method="online", details={"urls": ["https://shop.example.com/store/1"]})
    content = _content(team)
    _inspectors_sign(team, content, n=1)
    lead.ok("visit.seal", visit_id=vid, content_sha256=content)


# --- signature or stamp, identity documents ---------------------------------------------------


@pytest.mark.parametrize("id_type,number,ok", [
    ("resident_id", LEGAL_REP_ID, True), ("resident_id", "360426199101010072", False),
    ("hk_mo_permit", HK_PERMIT, True), ("hk_mo_permit", "M1234567890", True), ("hk_mo_permit", "X12345678", False),
    ("tw_permit", "12345678", True), ("tw_permit", "1234567", False),
    ("hmt_residence", "810000199408230021", None), ("hmt_residence", "110105194912310021", False),
    ("passport", "E12345678", True), ("passport", "ABCDEFG", False), ("passport", "E1234567890", False),
])
def test_identity_document_formats(id_type, number, ok):
    if ok is None:  # a residence permit: the GB 11643 checksum decides
        from server.identifiers import id_check_char
        good = number[:17] + id_check_char(number[:17])
        bad = number[:17] + ("0" if good[-1] != "0" else "1")
        assert check_identity_document(id_type, good).ok and not check_identity_document(id_type, bad).ok
        assert check_identity_document(id_type, bad).code == "checksum"
        return
    check = check_identity_document(id_type, number)
    assert check.ok is ok
    if not ok:
        assert chinese(check.message)


def _ready_for_party(team) -> str:
    _onsite(team)
    _answer_all(team)
    team.lead.ok("outcome.set", visit_id=team.visit_id, codes=["1"], followup="none", followup_note=None, case=None)
    team.lead.ok("visit.end_check", visit_id=team.visit_id, at=phone_time(1))
    content = _content(team)
    _inspectors_sign(team, content)
    return content


def test_company_stamp_instead_of_signature(client, login, dbs):
    team = team_of(client, login("office"))
    content = _ready_for_party(team)
    assert _seal_problems(team) == {"signature_required"}
    # A stamp needs its photo; no strokes, no ID number.
    res = team.lead.do("signature.capture", visit_id=team.visit_id, signature_id=str(uuid.uuid4()), role="legal_rep",
                       kind="stamp", signer_name="忻州示例餐饮有限公司", content_sha256=content)
    assert res["status"] == "rejected" and "公章照片" in json.dumps(res["problem"]["errors"], ensure_ascii=False)
    assert _sign(team.lead, team.visit_id, "legal_rep", "忻州示例餐饮有限公司", content, kind="stamp")["status"] == "applied"
    team.lead.ok("visit.seal", visit_id=team.visit_id, content_sha256=content)
    with dbs() as s:
        stamp = next(x for x in s.query(Signature).filter_by(visit_id=team.visit_id) if x.role == "legal_rep")
        assert stamp.kind == "stamp" and stamp.id_number_hash is None and '"kind":"stamp"' in stamp.event_json


def test_hong_kong_representative_signs_with_a_home_return_permit(client, login, dbs):
    team = team_of(client, login("office"))
    content = _ready_for_party(team)
    res = _sign(team.lead, team.visit_id, "legal_rep", "陈大文", content, id_type="hk_mo_permit", id_number="H1234567")
    assert res["status"] == "rejected" and res["problem"]["code"] == "invalid_id_number"
    assert "港澳居民来往内地通行证" in res["problem"]["detail"] and res["problem"]["id_type"] == "hk_mo_permit"
    # The mainland checksum still applies to a mainland ID.
    res = _sign(team.lead, team.visit_id, "legal_rep", "王五", content, id_number="360426199101010072")
    assert res["status"] == "rejected" and res["problem"]["code"] == "invalid_id_number"
    assert _sign(team.lead, team.visit_id, "legal_rep", "陈大文", content, id_type="hk_mo_permit",
                 id_number=HK_PERMIT)["status"] == "applied"
    team.lead.ok("visit.seal", visit_id=team.visit_id, content_sha256=content)
    team.lead.pull()
    sig = next(s for s in team.lead.visit(team.visit_id)["record"]["signatures"] if s["role"] == "legal_rep")
    assert sig["id_type"] == "hk_mo_permit" and sig["id_number_masked"] == "H******78"


# --- refusal, witness when necessary -------------------------------------------------------


def test_refusal_needs_a_witness_or_the_reason_none_was_necessary(client, login, dbs):
    team = team_of(client, login("office"))
    content = _ready_for_party(team)
    team.lead.ok("signature.capture", visit_id=team.visit_id, signature_id=str(uuid.uuid4()), role="person_in_charge",
                 signer_name="李四", content_sha256=content, refused=True, refusal_reason="当事人称需请示总公司，拒绝签字")
    assert _seal_problems(team) == {"witness_required"}
    # Whether a witness is necessary is the leader's call: a member cannot waive one.
    member = next(p for p in team.phones.values() if p.username != team.lead.username)
    res = member.do("signature.capture", visit_id=team.visit_id, signature_id=str(uuid.uuid4()), role="person_in_charge",
                    signer_name="李四", content_sha256=content, refused=True, refusal_reason="拒绝签字",
                    no_witness_reason="无需见证")
    assert res["status"] == "rejected" and res["problem"]["code"] == "not_team_leader"
    # The leader judges no witness necessary and says why: that is enough (Art. 20(3) "必要时").
    team.lead.ok("signature.capture", visit_id=team.visit_id, signature_id=str(uuid.uuid4()), role="person_in_charge",
                 signer_name="李四", content_sha256=content, refused=True, refusal_reason="当事人称需请示总公司，拒绝签字",
                 no_witness_reason="全程执法记录仪录像，现场无其他可邀请的见证人员")
    team.lead.ok("visit.seal", visit_id=team.visit_id, content_sha256=content)


def test_closed_shop_needs_no_party_signature():
    assert {"liquidating", "unreachable"} <= NO_PARTY_CASES


# --- Art. 21: credentials when somebody was met --------------------------------------------


def test_refused_record_cannot_be_sealed_without_credentials_shown(client, login, dbs):
    team = team_of(client, login("office"))
    lead, vid = team.lead, team.visit_id
    lead.ok("visit.arrive", visit_id=vid, at=phone_time(10), gps=None)
    lead.ok("visit.present", visit_id=vid, inspector_ids=team.inspectors())
    lead.ok("outcome.set", visit_id=vid, codes=[], followup="routine", followup_note=None, case="refused",
            evidence={"refused_what": "拒绝提供进货查验记录", "refused_how": "负责人锁闭仓库并要求检查人员离开", "media_ids": []})
    content = _content(team)
    _inspectors_sign(team, content)
    lead.ok("signature.capture", visit_id=vid, signature_id=str(uuid.uuid4()), role="person_in_charge",
            signer_name="李四", content_sha256=content, refused=True, refusal_reason="拒绝签字",
            no_witness_reason="全程录像")
    res = lead.do("visit.seal", visit_id=vid, content_sha256=content)
    assert res["status"] == "rejected"
    assert [p["message"] for p in res["problem"]["problems"]] == ["未记录出示执法证件"]


# --- consistency ---------------------------------------------------------------------------


@pytest.mark.parametrize("conflict", ["failed_checkpoint", "finding", "problem_without_evidence"])
def test_result_codes_must_match_answers_and_findings(conflict, client, login, dbs):
    team = team_of(client, login("office"))
    _onsite(team)
    _answer_all(team)
    codes = ["1"]
    if conflict == "failed_checkpoint":
        team.phones["scjg"].ok("answer.set", **answer_args(team, "scjg", value="fail"))
    elif conflict == "finding":
        team.lead.ok("finding.add", **finding_args(team))
    else:
        codes = ["A"]
    team.lead.ok("outcome.set", visit_id=team.visit_id, codes=codes, followup="none", followup_note=None, case=None)
    res = team.lead.do("visit.seal", visit_id=team.visit_id, content_sha256=_content(team))
    clash = [p for p in res["problem"]["problems"] if p["code"] == "result_inconsistent"]
    assert len(clash) == 1 and chinese(clash[0]["message"])
    assert {"failed_checkpoint": "不合格", "finding": "发现的问题", "problem_without_evidence": "发现问题待后续处理"}[conflict] \
        in clash[0]["message"]


# --- the day the check ended ---------------------------------------------------------------


def _days_ago(n: int) -> str:
    return (dt.datetime.now(PHONE_TZ) - dt.timedelta(days=n)).replace(microsecond=0).isoformat()


def test_deadline_counts_from_the_day_the_check_ended_on_the_phone(client, login, dbs):
    """A team that checked 6 days ago and syncs today: the review counts from the day of the check,
    which the signatures and the seal bind."""
    team = team_of(client, login("office"))
    _onsite(team, minutes_ago=6 * 24 * 60 + 60)
    _answer_all(team)
    team.lead.ok("outcome.set", visit_id=team.visit_id, codes=["1"], followup="none", followup_note=None, case=None)
    # The end cannot be in the future, nor before the arrival.
    assert team.lead.do("visit.end_check", visit_id=team.visit_id, at=_days_ago(-1))["problem"]["code"] == "time_in_future"
    assert team.lead.do("visit.end_check", visit_id=team.visit_id, at=_days_ago(7))["problem"]["code"] == "ended_before_arrival"
    ended = _days_ago(6)
    team.lead.ok("visit.end_check", visit_id=team.visit_id, at=ended)
    content = _content(team)
    _inspectors_sign(team, content)
    assert _sign(team.lead, team.visit_id, "legal_rep", "王五", content, id_number=LEGAL_REP_ID)["status"] == "applied"
    team.lead.ok("visit.seal", visit_id=team.visit_id, content_sha256=content)
    day = dt.date.fromisoformat(ended[:10])
    with dbs() as s:
        rec = s.get(VisitRecord, team.visit_id)
        assert rec.check_ended_on == day and json.loads(rec.sealed_content)["check_ended_at"] == ended
        entries = s.execute(select(Review).where(Review.visit_id == team.visit_id)).scalars().all()
        assert entries and {e.check_ended_on for e in entries} == {day}  # every department's entry


def test_seal_without_a_recorded_end_takes_the_phone_day_of_the_seal(client, login, dbs):
    """An older phone that never sends visit.end_check seals offline 3 days ago and syncs now."""
    team = team_of(client, login("office"))
    _onsite(team, minutes_ago=4 * 24 * 60)
    _answer_all(team)
    team.lead.ok("outcome.set", visit_id=team.visit_id, codes=["1"], followup="none", followup_note=None, case=None)
    content = _content(team)
    _inspectors_sign(team, content)
    assert _sign(team.lead, team.visit_id, "legal_rep", "王五", content, id_number=LEGAL_REP_ID)["status"] == "applied"
    m = team.lead.mutation("visit.seal", visit_id=team.visit_id, content_sha256=content)
    m["client_time"] = _days_ago(3)
    assert team.lead.push(m)["results"][0]["status"] == "applied"
    with dbs() as s:
        assert s.get(VisitRecord, team.visit_id).check_ended_on == dt.date.fromisoformat(_days_ago(3)[:10])
        assert "check_ended_at" not in json.loads(s.get(VisitRecord, team.visit_id).sealed_content)
