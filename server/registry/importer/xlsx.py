"""Reading XLSX with openpyxl in read-only mode, in flat memory.

openpyxl streams the sheet but loads the whole shared-string table (every
distinct text of the workbook) into a list first: for a 100,000-row file saved
by Excel that alone is ~80 MB. `DiskStrings` keeps that table in a temporary
file instead (4 bytes of offset per string stay in memory), and the reader is
openpyxl's own with only that step replaced. What still grows is openpyxl's
parse tree of the sheet, which keeps an emptied element per row (~70 bytes);
CSV has no such cost.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import zipfile
from array import array
from pathlib import Path
from typing import Iterator

from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from ..normalize import NumericCell
from .columns import map_headers
from .table import FileProblem, Table, data_rows, find_header

log = logging.getLogger(__name__)

DEFAULT_MAX_UNCOMPRESSED = 1024 * 1024 * 1024
_SI, _T, _R = ("{%s}%s" % (SHEET_MAIN_NS, tag) for tag in ("si", "t", "r"))


class DiskStrings:
    """A shared-string table read once from the XML into a temporary file; looked up by index."""

    def __init__(self, xml_source) -> None:
        self._file = tempfile.TemporaryFile()  # unlinked at once: nothing stays behind
        self._offsets = array("I", [0])  # 32-bit: the archive is capped far below 4 GiB
        buffered = open(self._file.fileno(), "wb", buffering=1 << 16, closefd=False)
        end = 0
        root = None
        for event, node in iterparse(xml_source, events=("start", "end")):
            if root is None:
                root = node
            if event == "end" and node.tag == _SI:
                data = _content(node).replace("x005F_", "").encode("utf-8")
                buffered.write(data)
                end += len(data)
                self._offsets.append(end)
                root.clear()  # drop parsed items, or the tree keeps growing
        buffered.close()

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index: int) -> str:
        start, stop = self._offsets[index], self._offsets[index + 1]
        return os.pread(self._file.fileno(), stop - start, start).decode("utf-8")

    def close(self) -> None:
        self._file.close()


def _content(si) -> str:
    """What openpyxl's `Text.content` gives: the plain text, or the rich-text runs joined
    (phonetic guides `rPh` left out), without building descriptor objects per string."""
    plain = si.findtext(_T)
    runs = [r.findtext(_T) or "" for r in si.iterfind(_R)]
    return (plain or "") + "".join(runs)


class _Reader(ExcelReader):
    def read_strings(self):
        ct = self.package.find(SHARED_STRINGS)
        self.shared_strings = []
        if ct is not None:
            with self.archive.open(ct.PartName[1:]) as src:
                self.shared_strings = DiskStrings(src)


def open_xlsx(path: Path, max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED) -> Table:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileProblem("Excel 文件已损坏，无法打开。", code="import_file_corrupt") from exc
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        raise FileProblem("这不是 Excel 工作簿（.xlsx）文件。", code="import_file_corrupt")
    if sum(i.file_size for i in infos) > max_uncompressed:
        raise FileProblem(f"Excel 文件解压后超过 {max_uncompressed // (1024 * 1024)} MB，请拆分文件或另存为 CSV（UTF-8）后导入。",
                          code="import_file_too_complex")
    fh = open(path, "rb")  # a file object: openpyxl would refuse our temporary file's name
    reader = _Reader(fh, read_only=True, data_only=True)
    try:
        reader.read()
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged files
        _close_strings(reader)
        fh.close()
        log.info("unreadable xlsx: %r", exc)
        raise FileProblem("Excel 文件已损坏或格式不受支持，无法打开。", code="import_file_corrupt") from exc
    wb = reader.wb

    def close() -> None:
        wb.close()
        _close_strings(reader)
        fh.close()

    try:
        for ws in wb.worksheets:
            numbered = _rows(ws)
            try:
                headers, header_row = find_header(numbered)
            except FileProblem as problem:
                if problem.code == "import_header_missing":
                    continue  # e.g. an instructions sheet before the data
                raise
            fields, ignored = map_headers(headers)
            estimate = (ws.max_row - header_row) if isinstance(ws.max_row, int) else None
            return Table("xlsx", headers, header_row, fields, ignored, data_rows(numbered, len(headers)), estimate, close)
        raise FileProblem("工作表中没有找到表头（前 10 行中没有“名称”列）。请使用导入模板。", code="import_header_missing")
    except BaseException:
        close()
        raise


def _close_strings(reader: _Reader) -> None:
    strings = getattr(reader, "shared_strings", None)
    if isinstance(strings, DiskStrings):
        strings.close()


def _rows(ws) -> Iterator[tuple[int, list]]:
    number = 0
    try:
        for values in ws.iter_rows(values_only=True):
            number += 1
            yield number, [_cell(v) for v in values]
    except Exception as exc:  # a damaged sheet part surfaces only while streaming
        raise FileProblem(f"Excel 文件内容损坏（约第 {number + 1} 行），无法继续读取。",
                          code="import_file_corrupt") from exc


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, int):
        return NumericCell(str(v))
    if isinstance(v, float):
        return NumericCell(str(int(v)) if v.is_integer() else repr(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)
