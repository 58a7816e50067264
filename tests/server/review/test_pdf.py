"""The record PDF: Chinese text that survives extraction, an embedded subset font, the
signature images, the refusal case, page flow, the QR code, and a clear error without a font.

PNG renderings (pdftoppm) are kept in test-artifacts/pdf/ for people to look at.
"""
from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from server.review import pdf_font
from server.review.pdf import render_record_pdf
from server.review.pdf_font import FontSource, PdfFontMissing, embeddable_font, font_from_config, locate_font
from tests.server.review.pdf_fixture import CERT_NOS, CONTENT_SHA256, ID_NUMBER, VERIFY_URL, record

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "pdf"


def _pages_text(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _fonts(data: bytes) -> list[dict]:
    """Every font dictionary used on any page, with its descendant and descriptor."""
    out = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            out.append({"font": font, "cid": desc, "descriptor": desc["/FontDescriptor"].get_object()})
    return out


def _image_count(data: bytes) -> int:
    n = 0
    for page in PdfReader(io.BytesIO(data)).pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        n += sum(1 for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image")
    return n


def _png(data: bytes, name: str, dpi: int = 100) -> list[Path]:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTIFACTS / f"{name}.pdf"
    pdf_path.write_bytes(data)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf_path), str(ARTIFACTS / name)], check=True)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def test_record_pdf_text_font_and_rendering(caplog):
    caplog.set_level(logging.WARNING, logger="fpdf")
    data = render_record_pdf(record())
    assert data.startswith(b"%PDF-")
    print(f"record PDF: {len(data)} bytes")
    assert len(data) < 250_000  # a subset: the whole font alone is 8 MB
    assert not [r for r in caplog.records if "missing the following glyphs" in r.getMessage()]

    pages = _pages_text(data)
    text, flat = "\n".join(pages), _flat("\n".join(pages))
    for expected in ("随机抽查情况记录表", "忻府区和顺餐饮店（演示）", "92140902MA0LBJ6C3Q", "餐饮服务单位食品安全与安全生产联合抽查",
                     "2026-SCJG-01-T01-0007", "合格", "不合格", "不涉及", "4.5℃", "无明显老化", "发现问题待后续处理",
                     "发现问题经责令已改正", "责令整改（日常监管跟进）", "制作现场笔录、初步提取证据、督促整改", "2026-12-20",
                     "王建国", "赵志刚", "忻州市应急管理局", "北纬38.41639°", "整改期限笔误", VERIFY_URL):
        assert _flat(expected) in flat, expected
    for cert in CERT_NOS:
        assert cert in text
    assert CONTENT_SHA256 in flat
    for photo in record()["photos"]:
        assert photo["sha256"] in flat
    # The ID number is printed masked, never in clear.
    assert "1409**********0034" in text and ID_NUMBER not in flat
    # Times print in Asia/Shanghai (sealed_at is given in UTC).
    assert "封存时间2026-12-0311:05" in flat
    # Every page: the hash prefix and "第 n 页 共 m 页".
    for n, page in enumerate(pages, 1):
        assert CONTENT_SHA256[:16] in page, n
        assert f"第{n}页共{len(pages)}页" in _flat(page), n

    fonts = _fonts(data)
    assert fonts
    for f in fonts:
        assert f["font"]["/Subtype"] == "/Type0" and f["font"]["/Encoding"] == "/Identity-H"
        assert f["cid"]["/Subtype"] == "/CIDFontType2"
        assert "/FontFile2" in f["descriptor"], "the font must be embedded"
        assert re.fullmatch(r"/[A-Z]{6}\+NotoSansSC", f["font"]["/BaseFont"]), "a subset of Noto Sans SC"
        assert "/ToUnicode" in f["font"]
    assert _image_count(data) == 3  # two inspectors and the legal representative

    pngs = _png(data, "record")
    assert len(pngs) == len(pages)
    with Image.open(pngs[0]) as im:
        grey = im.convert("L")
        dark = sum(grey.histogram()[:128]) / (grey.width * grey.height)
    assert 0.01 < dark < 0.5  # text and rules, not a blank or black page


def test_refusal_record_shows_reason_and_witness():
    data = render_record_pdf(record(refused=True))
    flat = _flat("\n".join(_pages_text(data)))
    assert "法定代表人：刘海燕" in flat
    assert "拒绝签名，原因：当事人对进货查验问题有异议，拒绝在记录上签字" in flat
    assert "（拒绝签名）" in flat
    assert "见证人：孙丽（同楼商户）" in flat
    # Images: two inspectors and the witness; the refusing party has none.
    assert _image_count(data) == 3
    _png(data, "refusal")


def test_many_checkpoints_flow_onto_more_pages():
    rec = record(checkpoints=60)
    short, long = render_record_pdf(record()), render_record_pdf(rec)
    long_pages = _pages_text(long)
    assert len(long_pages) > len(_pages_text(short)) + 2
    flat = _flat("\n".join(long_pages))
    for i, cp in enumerate(rec["items"][0]["checkpoints"], 1):
        assert f"{i}{_flat(cp['prompt'])[:6]}" in flat, i
    # The table heading repeats on the page the table continues on.
    assert "检查要点" in long_pages[1] and "检查结果" in long_pages[1]
    _png(long, "long", dpi=60)


def test_qr_code_decodes_to_the_verification_url():
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip("zbarimg (zbar-tools) is not installed: QR decoding not checked")
    data = render_record_pdf(record())
    pages = _png(data, "qr", dpi=150)
    out = subprocess.run([zbarimg, "--quiet", "--raw", str(pages[-1])], capture_output=True, text=True)
    assert out.stdout.strip() == VERIFY_URL


def test_awkward_content_renders(caplog):
    rec = record()
    rec["business"]["name"] = "🙂 测试\x00商户\x07（含控制字符）" + "很长的名称" * 30
    rec["items"][0]["checkpoints"][0]["note"] = "说明" * 400 + "\ud800"
    rec["items"][0]["checkpoints"][1]["value"] = None
    rec["signatures"][0]["image_png"] = b"\x89PNG\r\n\x1a\nnot really a png"
    rec["signatures"][1]["image_png"] = _bilevel_png(6000, 4000)  # 24 MP: refused, not decoded
    rec["outcome"] = {"codes": [{"code": "X9", "label": "自定义结果"}, "ZZ"], "followup": None,
                      "evidence": {"description": "经营场所已关闭", "phone_attempt": "拨打 3 次无人接听"}}
    rec["arrival"] = {"at": "not a time", "gps": {"lat": "north", "lon": float("nan"), "accuracy": None}}
    rec["findings"] = [{"description": "措施不是列表", "measures": "urge_rectify", "rectify_deadline": None}]
    rec["team"] = []
    del rec["amendments"]
    data = render_record_pdf(rec)
    flat = _flat("\n".join(_pages_text(data)))
    assert "测试商户（含控制字符）" in flat
    assert flat.count("（无签名图像或图像无法读取）") == 2
    assert "未填写" in flat and "X9自定义结果" in flat and "ZZ" in flat
    assert "情况说明经营场所已关闭" in flat and "电话联系情况拨打3次无人接听" in flat
    assert "未取得定位" in flat and "notatime" in flat
    assert "措施不是列表" in flat and "督促整改" in flat
    assert "无（记录封存后未作更正）" in flat
    assert _image_count(data) == 1


def _bilevel_png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("1", (w, h), 1).save(buf, "PNG")
    return buf.getvalue()


def test_missing_required_keys_are_a_programming_error():
    for key in ("record_no", "content_sha256", "verify_url", "business"):
        rec = record()
        del rec[key]
        with pytest.raises(ValueError, match=key):
            render_record_pdf(rec)


def test_font_sources(tmp_path, monkeypatch):
    found = locate_font()
    assert found.path.name == "NotoSansSC-Regular.otf"  # the pinned pip package
    assert font_from_config({"PDF_FONT_PATH": None}) == found
    assert font_from_config({"PDF_FONT_PATH": str(found.path), "PDF_FONT_INDEX": 0}) == found

    # Debian's collection (CFF outlines, index 2 = SC) works the same way, when installed.
    if pdf_font.DEBIAN_NOTO_CJK.is_file():
        data = render_record_pdf(record(), FontSource(pdf_font.DEBIAN_NOTO_CJK, pdf_font.DEBIAN_NOTO_CJK_SC))
        assert all(re.fullmatch(r"/[A-Z]{6}\+NotoSansCJKsc", f["font"]["/BaseFont"], re.I) for f in _fonts(data))
        assert "忻府区和顺餐饮店" in _flat("".join(_pages_text(data)))

    # A TrueType-outline font is subset without conversion.
    ttf = tmp_path / "subset.ttf"
    ttf.write_bytes(embeddable_font(found, "忻府区和顺餐饮店（演示）"))
    data = render_record_pdf(record(), FontSource(ttf))
    assert "忻府区和顺餐饮店（演示）" in _flat("".join(_pages_text(data)))

    # No font at all: a clear problem (HTTP 503 pdf_font_missing), never a crash.
    monkeypatch.setattr(pdf_font, "PIP_FONT_PACKAGE", "no_such_font_package_here")
    monkeypatch.setattr(pdf_font, "DEBIAN_NOTO_CJK", tmp_path / "absent.ttc")
    with pytest.raises(PdfFontMissing) as err:
        render_record_pdf(record())
    assert err.value.status == 503 and err.value.code == "pdf_font_missing"
    assert "fonts-noto-cjk" in err.value.detail and "PDF_FONT_PATH" in err.value.detail

    with pytest.raises(PdfFontMissing, match="不存在"):
        locate_font(tmp_path / "nope.otf")
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"this is not a font" * 10)
    with pytest.raises(PdfFontMissing, match="无法读取"):
        render_record_pdf(record(), FontSource(junk))
    latin = tmp_path / "latin.ttf"
    latin.write_bytes(_latin_only(found))
    with pytest.raises(PdfFontMissing, match="不含中文字形"):
        render_record_pdf(record(), FontSource(latin))


def _latin_only(source: FontSource) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(source.path))
    sub = subset.Subsetter(subset.Options())
    sub.populate(text="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def test_font_missing_is_a_problem_response(app):
    from server.errors import handle_api_error

    with app.test_request_context("/api/v1/x"):
        resp = handle_api_error(PdfFontMissing("未找到中文字体。"))
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "pdf_font_missing"
