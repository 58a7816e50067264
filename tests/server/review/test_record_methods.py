"""The record PDF states the check method with its evidence, the end of the check, a company stamp,
the signer's identity document type and an Art. 21 refusal's facts."""
from __future__ import annotations

import io
import re
import uuid

import pytest
from pypdf import PdfReader

from tests.server.visits.team import team_of
from tests.server.visits.test_methods_signing import _answer_all, _content, _inspectors_sign, _ready_for_party, _sign
from tests.support.field import attach_photo, phone_time


@pytest.fixture
def seed_level():
    return "field"


def _pdf_text(client, login, vid) -> str:
    r = client.get(f"/api/v1/reviews/{vid}/record.pdf", headers=login("scjg-reviewer"))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages))


def test_pdf_shows_a_documentary_check_and_its_evidence(client, login, dbs):
    team = team_of(client, login("office"))
    lead, vid = team.lead, team.visit_id
    lead.plan_method(vid, "documentary")
    lead.ok("visit.present", visit_id=vid, inspector_ids=[team.visit["team"][0]["inspector_id"]])
    attach_photo(lead, vid, {"type": "method", "id": None})
    lead.ok("visit.method", visit_id=vid, method="documentary", details={"documents_received": "营业执照复印件与进货台账"})
    _answer_all(team, photos=False)
    lead.ok("outcome.set", visit_id=vid, codes=["1"], followup="none", followup_note=None, case=None)
    lead.ok("visit.end_check", visit_id=vid, at=phone_time(1))
    content = _content(team)
    _inspectors_sign(team, content, n=1)
    lead.ok("visit.seal", visit_id=vid, content_sha256=content)
    text = _pdf_text(client, login, vid)
    for expected in ("书面检查", "收到的书面材料", "营业执照复印件与进货台账", "检查结束时间", "检查依据材料"):
        assert expected in text, expected


def test_pdf_shows_a_stamp_and_a_hong_kong_permit(client, login, dbs):
    for kind in ("stamp", "permit"):
        team = team_of(client, login("office"), index=0 if kind == "stamp" else 1)
        content = _ready_for_party(team)
        extra = {"kind": "stamp"} if kind == "stamp" else {"id_type": "hk_mo_permit", "id_number": "H12345678"}
        assert _sign(team.lead, team.visit_id, "legal_rep", "陈大文", content, **extra)["status"] == "applied"
        team.lead.ok("visit.seal", visit_id=team.visit_id, content_sha256=content)
        text = _pdf_text(client, login, team.visit_id)
        if kind == "stamp":
            assert "以加盖公章确认" in text
        else:
            assert "证件：港澳居民来往内地通行证号码：H******78" in text and "H12345678" not in text, text[text.find("签名确认"):][:400]


def test_pdf_states_the_facts_of_a_refusal(client, login, dbs):
    team = team_of(client, login("office"))
    lead, vid = team.lead, team.visit_id
    lead.ok("visit.arrive", visit_id=vid, at=phone_time(10), gps=None)
    lead.ok("visit.present", visit_id=vid, inspector_ids=team.inspectors())
    lead.ok("visit.credentials_shown", visit_id=vid, at=phone_time(9))
    lead.ok("outcome.set", visit_id=vid, codes=[], followup="routine", followup_note=None, case="refused",
            evidence={"refused_what": "拒绝提供进货查验记录", "refused_how": "锁闭仓库门", "media_ids": []})
    content = _content(team)
    _inspectors_sign(team, content)
    lead.ok("signature.capture", visit_id=vid, signature_id=str(uuid.uuid4()), role="person_in_charge",
            signer_name="李四", content_sha256=content, refused=True, refusal_reason="拒绝签字", no_witness_reason="全程录像")
    lead.ok("visit.seal", visit_id=vid, content_sha256=content)
    text = _pdf_text(client, login, vid)
    for expected in ("拒绝配合的事项", "拒绝提供进货查验记录", "锁闭仓库门", "未请见证人，原因：全程录像"):
        assert expected in text, expected
