"""The record PDF of a sealed record over HTTP, and the public verification page its QR code
points to (content hash and "intact", nothing private)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from tests.support.field import LEGAL_REP_ID, complete_inspection
from tests.support.http import assert_problem
from tests.support.tamper import drop_append_only_guards

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "pdf"


@pytest.fixture
def seed_level():
    return "field"


def _flat(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_record_pdf_download_and_verification_page(app, client, login, dbs):
    ctx = complete_inspection(client, login("office"), codes=("A",), followup="rectify", findings=[
        {"department": None, "description": "未按规定公示许可证", "measures": ["preliminary_evidence"]}])
    vid, sha = ctx["visit_id"], ctx["content_sha256"]
    # Sign the record off with an amendment first, so that the PDF shows one.
    import uuid

    ctx["lead"].ok("amendment.add", visit_id=vid, amendment_id=str(uuid.uuid4()), reason="补充检查方法说明",
                   patch=[{"op": "replace", "path": "/answers/0/note", "value": "查阅台账"}])
    first = min(ctx["task"]["items"], key=lambda i: i["item_id"])
    r = client.get(f"/api/v1/reviews/{vid}/record.pdf", headers=login("scjg-reviewer"))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/pdf" and r.data[:5] == b"%PDF-"
    assert "attachment" in r.headers["Content-Disposition"]
    text_all = _flat("".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages))
    task, obj = ctx["task"], ctx["visit"]["object"]
    for expected in ("随机抽查情况记录表", _flat(obj["name"]), task["code"], sha, "补充检查方法说明",
                     # the codes the phone chose, in the words it showed (one label table for both)
                     "责令整改（日常监管跟进）", "初步提取证据", "发现问题待后续处理",
                     # the amendment in words, naming the checkpoint it changed
                     _flat(f"检查要点「{first['code']} {first['checkpoints'][0]['prompt']}」的说明改为：查阅台账")):
        assert expected in text_all, expected
    for item in task["items"]:
        assert _flat(item["name"])[:8] in text_all
    for m in ctx["visit"]["team"][:2]:
        if m["cert_no"]:
            assert m["cert_no"] in text_all
    assert LEGAL_REP_ID not in text_all
    # Every photo's SHA-256 is listed (possibly wrapped: compare a long prefix).
    with dbs() as s:
        shas = s.execute(text("SELECT sha256 FROM visit_media WHERE visit_id = :v AND kind = 'photo'"), {"v": vid}).scalars().all()
    for h in shas:
        assert h[:32] in text_all
    # Signature images are embedded.
    n_images = sum(1 for p in PdfReader(io.BytesIO(r.data)).pages
                   for x in (p["/Resources"].get("/XObject") or {}).values() if x.get_object().get("/Subtype") == "/Image")
    assert n_images >= len(ctx["signatures"])  # the QR code is drawn as vectors
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / "http-record.pdf"
        path.write_bytes(r.data)
        for old in ARTIFACTS.glob("http-record-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(path), str(ARTIFACTS / "http-record")], check=True)
        assert list(ARTIFACTS.glob("http-record-*.png"))

    # Only those who may read the record get it.
    assert client.get(f"/api/v1/reviews/{vid}/record.pdf", headers=login("office")).status_code == 200
    assert_problem(client.get(f"/api/v1/reviews/{vid}/record.pdf", headers=login("sthj-reviewer")), 404)
    assert_problem(client.get(f"/api/v1/reviews/{vid}/record.pdf", headers=login("scjg-insp1")), 403)
    assert_problem(client.get(f"/api/v1/reviews/{vid}/record.pdf"), 401)

    # The QR code's target: anyone may check the hash; nothing private is shown.
    page = client.get(f"/verify/{vid}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert sha in html and "记录完好" in html
    api = client.get(f"/api/v1/public/records/{vid}/verification").get_json()
    assert api["intact"] is True and api["content_sha256"] == sha
    assert set(api) == {"visit_id", "record_no", "task_no", "task_name", "object_name", "sealed_at", "content_sha256",
                        "intact", "problem", "review_status"}
    for secret in [LEGAL_REP_ID, *ctx["media"], *ctx["signatures"], "情况正常"]:
        assert secret not in html and secret not in str(api)
    if obj.get("phone"):
        assert obj["phone"] not in html
    # A database edit of a sealed answer shows on the page.
    with dbs() as s:
        drop_append_only_guards(s)
        s.execute(text("UPDATE visit_answers SET value = 'fail' WHERE visit_id = :v AND id = "
                       "(SELECT MIN(id) FROM visit_answers WHERE visit_id = :v)"), {"v": vid})
        s.commit()
    html = client.get(f"/verify/{vid}").get_data(as_text=True)
    assert "记录已被改动" in html and "记录完好" not in html
    assert client.get(f"/api/v1/public/records/{vid}/verification").get_json()["intact"] is False
    # Unknown or not-yet-sealed records: 404.
    assert client.get("/verify/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/verify/not-a-uuid").status_code == 404
    assert_problem(client.get("/api/v1/public/records/00000000-0000-4000-8000-000000000000/verification"),
                   404, "record_not_found")
