"""Opening an uploaded file as a table: format by content, CSV here, XLSX in `xlsx`.

CSV: UTF-8 with or without BOM, else GB18030 (what Excel on a Chinese
Windows writes); the whole file is checked once before reading so a bad
byte deep in the file cannot surface half way through an import. Anything
that is not a table we can read is refused up front with a 422 problem.
"""
from __future__ import annotations

import codecs
import csv
from pathlib import Path
from typing import Iterator

from .columns import map_headers
from .table import FileProblem, Table, data_rows, find_header
from .xlsx import DEFAULT_MAX_UNCOMPRESSED, open_xlsx

CSV_FIELD_LIMIT = 64 * 1024
_BLOCK = 1 << 20

__all__ = ["FileProblem", "Table", "open_table", "DEFAULT_MAX_UNCOMPRESSED"]


def open_table(path: Path, filename: str, max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED) -> Table:
    """Detect the format by content (not by name) and read up to the header row."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise FileProblem("文件是空的。", code="import_file_empty")
    if head.startswith(b"PK\x03\x04"):
        return open_xlsx(path, max_uncompressed)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV（UTF-8）后上传。", code="import_xls_unsupported")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileProblem("文件扩展名是 .xlsx，但内容不是有效的 Excel 文件（可能已损坏）。", code="import_file_corrupt")
    return _open_csv(path)


def text_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or GB18030, checked over the whole file; 422 otherwise."""
    with open(path, "rb") as fh:
        if fh.read(3) == codecs.BOM_UTF8:
            enc = "utf-8-sig"
            if _decodes(path, enc):
                return enc
            raise FileProblem("文件以 UTF-8 标记开头，但内容不是有效的 UTF-8 文本。", code="import_encoding")
    for enc in ("utf-8", "gb18030"):
        if _decodes(path, enc):
            return enc
    raise FileProblem("文件不是文本表格，或编码无法识别（支持 UTF-8 与 GB18030/GBK）。", code="import_encoding")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            if b"\x00" in block:
                raise FileProblem("文件含有空字节，不是文本表格（请上传 .xlsx 或 CSV 文件）。", code="import_not_text")
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                return False
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _open_csv(path: Path) -> Table:
    encoding = text_encoding(path)
    fh = open(path, encoding=encoding, newline="")
    try:
        first = fh.readline()
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        fh.seek(0)
        csv.field_size_limit(CSV_FIELD_LIMIT)
        reader = csv.reader(fh, delimiter=delimiter)
        numbered = enumerate(_csv_rows(reader), start=1)  # record numbers: the rows Excel shows
        headers, header_row = find_header(numbered)
        fields, ignored = map_headers(headers)
        estimate = max(_count_lines(path) - header_row, 0)
    except BaseException:
        fh.close()
        raise
    return Table("csv", headers, header_row, fields, ignored, data_rows(numbered, len(headers)), estimate, fh.close)


def _csv_rows(reader) -> Iterator[list]:
    try:
        yield from reader
    except csv.Error as exc:
        raise FileProblem(f"CSV 格式有误（第 {reader.line_num} 行附近）：{exc}", code="import_csv_malformed") from exc


def _count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            n += block.count(b"\n")
    return n
