"""The record PDF: 随机抽查情况记录表（现场检查笔录）, rendered from a plain dict.

``render_record_pdf(record, font=None) -> bytes`` is pure: no database, no request, no output
file (only a private temporary copy of the font subset, as fpdf2 reads fonts from files). The
caller (the review feature) builds the dict from a sealed visit record and passes
``font_from_config(current_app.config)``; this module lays it out on A4 with the Chinese font
embedded as a subset (pdf_font.py) and a QR code to the record's verification page.

The record dict (keys marked * are required; everything else may be missing or None, and a
missing section prints "无"). Times are ISO 8601 strings with offset or aware datetimes and
print in Asia/Shanghai; dates are "YYYY-MM-DD" strings or dates.

    {
      "record_no"*: "2026-SCJG-01-T01-0007",          # printed under the title and in the header
      "content_sha256"*: "64 hex",                     # SHA-256(JCS(canonical record)), field-contract.md
      "verify_url"*: "https://…/verify/records/5b0e…", # the QR code's target
      "sealed_at": "2026-12-03T11:05:00+08:00",
      "generated_at": "…",                             # defaults to now
      "plan": {"code": "2026-SCJG-01", "name": "…"},
      "task": {"code": "2026-SCJG-01-T01", "name": "…", "check_type": "undirected"},
      "authority": "忻州市市场监督管理局（牵头）、忻州市应急管理局",  # checking authority
      "business"*: {"name"*: "…", "credit_code": "92140902…", "object_type": "individual",
                    "address": "…", "registered_address": "…",
                    "legal_rep_name": "王某某", "legal_rep_id_number": "…"},  # printed masked
      "team": [{"name": "王建国", "department": "忻州市市场监督管理局", "cert_no": "14090020231234",
                "role": "leader|member|expert", "present": true}],
      "arrival": {"at": "…", "gps": {"lat": 38.41, "lon": 112.73, "accuracy": 12}},
      "method": "onsite",                              # catalog METHOD_LABELS codes
      "credentials_shown_at": "…", "rights_informed_at": "…",
      "items": [{"code": "SCJG-SP-001", "name": "…", "department": "忻州市市场监督管理局",
                 "checkpoints": [{"key": "cp1", "prompt": "…", "answer_type": "pass_fail_na|number|text|choice",
                                  "value": "pass|fail|na|'12.5'|text|choice", "unit": "℃", "note": "…",
                                  "answered_by": "王建国", "department": "忻州市市场监督管理局"}]}],
      "findings": [{"item": "SCJG-SP-001", "checkpoint": "cp3 的要点文字", "description": "…",
                    "legal_basis": "…", "measures": ["onsite_record", "urge_rectify"],
                    "rectify_deadline": "2026-12-20"}],
      "outcome": {"codes": ["A", "E"], "followup": "rectify", "followup_note": "…",
                  "evidence": {"description": "…", …}},    # Art. 21 evidence, printed as given
      "signatures": [{"role": "legal_rep|person_in_charge|witness|inspector", "signer_name": "…",
                      "signed_at": "…", "image_png": b"…PNG…", "refused": false,
                      "refusal_reason": null, "server_verified": true}],
      "photos": [{"kind": "photo|video|audio", "sha256": "64 hex", "captured_at": "…",
                  "caption": "问题 1 现场照片"}],
      "amendments": [{"at": "…", "by": "李四", "reason": "…", "summary": "…"}],
    }

Outcome codes and follow-ups may also be given as ``{"code": …, "label": …}`` to override the
labels of server/review/labels.py. A refusal to sign is a signature with ``refused: true`` and
its reason; the witness who saw it is a separate ``witness`` signature with an image.

Errors: ``PdfFontMissing`` (problem ``pdf_font_missing``, 503) when no CJK font can be found;
``ValueError`` for a dict lacking a required key (a programming error of the caller).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import TextMode, WrapMode, XPos, YPos

from . import pdf_sections
from .pdf_font import FontSource, PdfFontMissing, embeddable_font, font_from_config, locate_font, texts
from .pdf_layout import FONT, clean

# --- the document ------------------------------------------------------------------------------

class RecordPDF(FPDF):
    """A4 with the running header (system name, record number) and footer (content hash
    prefix, "第 n 页 共 m 页") on every page."""

    MARGIN = 15

    def __init__(self, record_no: str, content_sha256: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.record_no = record_no
        self.content_sha256 = content_sha256
        self.set_margins(self.MARGIN, 20, self.MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.set_creator("忻州市部门联合双随机抽查系统")
        self.set_title(f"随机抽查情况记录表 {record_no}")
        self.set_lang("zh-CN")

    def header(self) -> None:
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.set_y(9)
        self.cell(0, 4, "忻州市市场监管领域部门联合“双随机、一公开”抽查")
        self.set_x(self.MARGIN)
        self.cell(0, 4, f"记录编号：{self.record_no}", align="R")
        self.set_draw_color(160)
        self.set_line_width(0.2)
        self.line(self.MARGIN, 14, self.w - self.MARGIN, 14)
        self.set_text_color(0)
        self.set_y(18)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_draw_color(160)
        self.set_line_width(0.2)
        self.line(self.MARGIN, self.get_y(), self.w - self.MARGIN, self.get_y())
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(90)
        self.cell(0, 5, f"内容摘要 SHA-256：{self.content_sha256[:16]}…")
        self.set_x(self.MARGIN)
        self.cell(0, 5, f"第 {self.page_no()} 页 共 {{nb}} 页", align="R")
        self.set_text_color(0)

    # Shared drawing helpers used by pdf_sections.

    def bold_text(self, size: float, text: str, align: str = "C", h: float | None = None) -> None:
        """A line in faux bold (fill + stroke): the embedded font has one weight."""
        self.set_font(FONT, size=size)
        with self.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.12 * size / 10):
            self.cell(0, h or size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def section(self, title: str) -> None:
        """A section heading bar; starts a new page when less than 30 mm remain."""
        if self.get_y() > self.page_break_trigger - 30:
            self.add_page()
        self.ln(3)
        self.set_fill_color(228, 233, 240)
        self.set_font(FONT, size=11)
        with self.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.12):
            self.cell(0, 7, f" {title}", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)
        self.set_font(FONT, size=9.5)

    def paragraph(self, text: str, size: float = 9.5, color: int = 0) -> None:
        self.set_font(FONT, size=size)
        self.set_text_color(color)
        self.multi_cell(0, size * 0.52, clean(text) or "无", new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                        wrapmode=WrapMode.CHAR)
        self.set_text_color(0)


def _require(record: dict, key: str) -> Any:
    value = record.get(key)
    if value in (None, "", {}):
        raise ValueError(f"record[{key!r}] is required")
    return value


def render_record_pdf(record: dict, font: FontSource | None = None) -> bytes:
    """The PDF of one visit record (shape: the module docstring). Raises PdfFontMissing when
    no CJK font is available and ValueError for a record without its required keys."""
    record_no = clean(_require(record, "record_no"))
    content_sha256 = clean(_require(record, "content_sha256"))
    _require(record, "verify_url")
    if not clean(_require(record, "business").get("name")):
        raise ValueError("record['business']['name'] is required")
    font_bytes = embeddable_font(font or locate_font(), "".join(texts(record)))
    # fpdf2 reads fonts from files only (lazily, until output): hand it the subset through a
    # private temporary file that lives as long as the rendering.
    fd, tmp = tempfile.mkstemp(suffix=".ttf", prefix="dsr-record-font-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(font_bytes)
        pdf = RecordPDF(record_no, content_sha256)
        pdf.add_font(FONT, "", tmp)
        pdf.add_page()
        pdf_sections.render(pdf, record)
        return bytes(pdf.output())
    finally:
        os.unlink(tmp)


def render_to_file(record: dict, path: str | Path, font: FontSource | None = None) -> int:
    """Write the PDF to ``path``; returns its size in bytes (for tools and tests)."""
    data = render_record_pdf(record, font)
    Path(path).write_bytes(data)
    return len(data)


__all__ = ["render_record_pdf", "render_to_file", "locate_font", "font_from_config", "FontSource", "PdfFontMissing",
           "RecordPDF"]
