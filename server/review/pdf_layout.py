"""Layout helpers of the record PDF: styles, text cleaning and time formatting, and tables
whose over-long cells become numbered notes (so no row outgrows a page)."""
from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from fpdf.enums import WrapMode
from fpdf.fonts import FontFace

from ..types import SHANGHAI
from . import labels as L

FONT = "cjk"
WIDTH = 180.0  # A4 minus 15 mm margins
LINE = 5.0
LABEL = FontFace(fill_color=(243, 245, 248), color=(70, 70, 70))
HEAD = FontFace(fill_color=(228, 233, 240))
RED = FontFace(color=(176, 0, 0))
GREY = FontFace(color=(120, 120, 120))
HASH = FontFace(size_pt=7.2)
NUMERALS = "一二三四五六七八九十"

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


# --- text helpers ----------------------------------------------------------------------------

def clean(value: Any) -> str:
    """Printable text: None → "", control characters and lone surrogates dropped."""
    if value is None:
        return ""
    text = str(value).replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def fmt_time(value: Any) -> str:
    """'2026-12-03 09:12' in Asia/Shanghai; text that is no timestamp is printed as given."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return clean(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(SHANGHAI)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean(value)


def fmt_date(value: Any) -> str:
    """'2026-12-03'; a timestamp gives its date in Asia/Shanghai."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and len(value) == 10:
        return clean(value)
    text = fmt_time(value)
    return text[:10] if re.match(r"\d{4}-\d{2}-\d{2} ", text) else text


def as_dict(record: dict, key: str) -> dict:
    value = record.get(key)
    return value if isinstance(value, dict) else {}


def dict_list(record: dict, key: str) -> list:
    value = record.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def coded(value: Any, table: dict[str, str]) -> tuple[str, str]:
    """(code, label) of a code or a {"code", "label"} dict."""
    if isinstance(value, dict):
        code = clean(value.get("code"))
        return code, clean(value.get("label")) or L.label(table, code)
    code = clean(value)
    return code, L.label(table, code)


# --- layout helpers --------------------------------------------------------------------------

MAX_CELL_LINES = 14
_PT = 0.3528  # mm per point


@dataclass(frozen=True)
class Cell:
    text: str
    style: FontFace | None = None
    span: int = 1
    align: str | None = None


class Grid:
    """Rows of a table whose over-long cells are moved to numbered notes below it, so no row
    can outgrow a page (fpdf2 refuses such a row) and nothing is cut off."""

    def __init__(self, table, widths: tuple[float, ...], notes: list[str]) -> None:
        self.table, self.notes = table, notes
        total = sum(widths)
        self.widths = [w * WIDTH / total for w in widths]

    def _fit(self, text: str, width: float, size: float) -> str:
        per_line = max(1, int((width - 3) / (size * _PT)))  # a CJK glyph is 1 em wide
        lines = sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))
        if lines <= MAX_CELL_LINES:
            return text
        self.notes.append(text)
        return f"（内容较长，见表后附注 {len(self.notes)}）"

    def row(self, cells: list[str | Cell]) -> None:
        row, col = self.table.row(), 0
        for c in cells:
            c = c if isinstance(c, Cell) else Cell(c)
            width = sum(self.widths[col:col + c.span])
            size = (c.style.size_pt if c.style and c.style.size_pt else None) or 9
            row.cell(self._fit(clean(c.text), width, size), style=c.style, colspan=c.span, align=c.align)
            col += c.span


@contextmanager
def grid(pdf, widths: tuple[float, ...], headings: bool = True) -> Iterator[Grid]:
    """A bordered table over the full width (``widths`` are proportions), then its notes."""
    notes: list[str] = []
    pdf.set_font(FONT, size=9)
    pdf.set_fill_color(255)  # a table's cells start from the current fill colour
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    with pdf.table(col_widths=widths, width=WIDTH, first_row_as_headings=headings, headings_style=HEAD,
                   line_height=LINE, text_align="LEFT", v_align="MIDDLE", padding=(1, 1.5),
                   repeat_headings=1, wrapmode=WrapMode.CHAR) as table:
        yield Grid(table, widths, notes)
    if notes:
        pdf.ln(1)
    for i, text in enumerate(notes, 1):
        pdf.paragraph(f"附注 {i}：{text}", size=8.5)


def kv(pdf, rows: list[list[tuple[str, Any]]]) -> None:
    """Label/value rows: two pairs per row, or one pair spanning the row."""
    with grid(pdf, (30, 60, 26, 64), headings=False) as g:
        for pairs in rows:
            if len(pairs) == 1:
                g.row([Cell(pairs[0][0], LABEL), Cell(clean(pairs[0][1]) or "—", span=3)])
            else:
                g.row([c for label, value in pairs for c in (Cell(label, LABEL), Cell(clean(value) or "—"))])


def none(pdf) -> None:
    pdf.paragraph("无", color=90)
