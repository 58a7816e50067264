"""The CJK font of the record PDF: where it comes from and how it is embedded.

Source: Noto Sans SC 2.004 (SIL OFL 1.1) from the pinned pip package ``pylopdf-fonts-zh-cn``
(so ``make run`` needs nothing from the system), else Debian's ``fonts-noto-cjk``, or any
file named by the configuration (PDF_FONT_PATH / PDF_FONT_INDEX).

Embedding: Noto Sans CJK has CFF (PostScript) outlines. Embedded as a CFF CID font, fpdf2
writes a custom encoding CMap that common text extractors (pypdf, pdfminer) misread, so text
could not be copied or indexed reliably. Instead, each document gets its own small subset —
the characters of the record plus the form's fixed text — converted to TrueType outlines
(fontTools cu2qu). It is then embedded as the most widely supported kind of CJK font:
CIDFontType2, Identity-H, with a ToUnicode map. A subset of ~500 glyphs takes ~0.3 s and
adds ~70 KB to the PDF.
"""
from __future__ import annotations

import importlib.util
import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from fontTools import subset as ft_subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, TTLibError, newTable

from ..errors import ApiError
from . import labels

DEBIAN_NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEBIAN_NOTO_CJK_SC = 2  # the collection holds JP, KR, SC, TC, HK
PIP_FONT_PACKAGE = "pylopdf_fonts_zh_cn"
PIP_FONT_FILE = "NotoSansSC-Regular.otf"
PROBE = "随机抽查情况记录表合格不合格"
_DROP = ["VORG", "DSIG", "BASE", "GPOS", "GSUB", "GDEF", "vhea", "vmtx", "JSTF", "MATH"]


class PdfFontMissing(ApiError):
    status, code, title = 503, "pdf_font_missing", "记录表 PDF 所需的中文字体缺失"


@dataclass(frozen=True)
class FontSource:
    path: Path
    index: int = 0


def locate_font(path: str | Path | None = None, index: int = 0) -> FontSource:
    """The CJK font to embed: ``path`` when given (config PDF_FONT_PATH), else Noto Sans SC
    from the pinned pip package, else Debian's fonts-noto-cjk. Raises PdfFontMissing."""
    if path:
        p = Path(path)
        if not p.is_file():
            raise PdfFontMissing(f"配置的中文字体文件不存在：{p}（PDF_FONT_PATH）。")
        return FontSource(p, index)
    spec = importlib.util.find_spec(PIP_FONT_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / PIP_FONT_FILE
            if candidate.is_file():
                return FontSource(candidate, 0)
    if DEBIAN_NOTO_CJK.is_file():
        return FontSource(DEBIAN_NOTO_CJK, DEBIAN_NOTO_CJK_SC)
    raise PdfFontMissing(
        "未找到中文字体，无法生成记录表 PDF。请安装依赖（pip install -r requirements.txt，含 "
        "pylopdf-fonts-zh-cn），或安装 Debian 软件包 fonts-noto-cjk，或用 PDF_FONT_PATH 指定字体文件。")


def font_from_config(config: Mapping[str, Any]) -> FontSource:
    """The font named by PDF_FONT_PATH / PDF_FONT_INDEX (e.g. ``current_app.config``), else the
    default search of :func:`locate_font`."""
    return locate_font(config.get("PDF_FONT_PATH"), int(config.get("PDF_FONT_INDEX") or 0))


def texts(value: Any) -> Iterable[str]:
    """Every string in a nested dict/list (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from texts(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from texts(v)


@lru_cache(maxsize=1)
def form_characters() -> frozenset[str]:
    """The fixed text of the form: every character in the PDF modules' source and in the
    label tables, plus printable ASCII."""
    here = Path(__file__).parent
    chars = set(chr(c) for c in range(0x20, 0x7F))
    for name in ("pdf.py", "pdf_layout.py", "pdf_sections.py", "labels.py"):
        chars.update((here / name).read_text(encoding="utf-8"))
    for table in vars(labels).values():
        if isinstance(table, dict):
            chars.update("".join(map(str, table.values())))
    return frozenset(c for c in chars if unicodedata.category(c)[0] != "C")


def _to_truetype(font: TTFont) -> None:
    """Replace CFF outlines by quadratic TrueType outlines, in place."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"], font["loca"] = glyf, newTable("loca")
    del font["CFF "]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for key in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, key, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 3.0, [], {}
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def embeddable_font(source: FontSource, characters: Iterable[str]) -> bytes:
    """A TrueType-outline subset of ``source`` holding ``characters`` (and .notdef).

    Raises PdfFontMissing when the file is no usable font or has no Chinese glyphs."""
    try:
        font = TTFont(str(source.path), fontNumber=source.index, lazy=True)
        cmap = font.getBestCmap() or {}
    except (TTLibError, OSError, AssertionError, KeyError, ValueError) as exc:
        raise PdfFontMissing(f"中文字体文件无法读取：{source.path}（{type(exc).__name__}）。") from exc
    if any(ord(ch) not in cmap for ch in PROBE):
        raise PdfFontMissing(f"字体文件 {source.path.name} 不含中文字形，不能用于记录表 PDF。")
    options = ft_subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.desubroutinize = True
    options.drop_tables += _DROP
    subsetter = ft_subset.Subsetter(options)
    wanted = {ord(c) for c in set(characters) | form_characters()}
    subsetter.populate(unicodes=[u for u in wanted if u >= 0x20 and not 0xD800 <= u <= 0xDFFF])
    subsetter.subset(font)
    if "CFF " in font:
        _to_truetype(font)
    elif "glyf" not in font:
        raise PdfFontMissing(f"字体文件 {source.path.name} 的轮廓格式不受支持（须为 TrueType 或 CFF）。")
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
