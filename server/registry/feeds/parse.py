"""Reading a feed file (docs/directory-feed.md): its batch header, then one record per line or row.

JSON Lines: the first non-empty line is ``{"batch": {"id", "source", "sequence"}}``, every
other line one record. CSV: a header row naming the columns, every row carrying the same
``batch_id``, ``source`` and ``sequence``. Both UTF-8 (with or without BOM) or GB18030, checked
over the whole file before anything is read. What makes the whole file unreadable (encoding,
header, batch identity) is refused with a 422 problem; a bad line only refuses that record.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

from ..importer.reading import CSV_FIELD_LIMIT, FileProblem, text_encoding

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
MAX_SEQUENCE = 2 ** 31 - 1


class BadLine(Exception):
    """A line that cannot be read as a record (its number and why); the record is refused."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class BatchId:
    id: str
    source: str
    sequence: int


@dataclass
class FeedFile:
    """An open feed: its batch identity and its records as ``(line, raw)``, where
    ``decode(raw)`` is the record (dict or `BadLine`); `records` decodes each one. A JSON Lines
    record's raw form is its text, so a reader can skip records without parsing them."""

    batch: BatchId
    format: str
    encoding: str
    raw: Iterator[tuple[int, Any]]
    decode: Callable[[Any], Any]
    _fh: Any = None

    @property
    def records(self) -> Iterator[tuple[int, Any]]:
        decode = self.decode
        return ((number, decode(raw)) for number, raw in self.raw)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def batch_id(raw: Any) -> BatchId:
    """Check a batch identity (the JSON header's object, or a CSV row's three columns)."""
    if not isinstance(raw, dict):
        raise FileProblem("批次信息应为对象：{\"id\", \"source\", \"sequence\"}。", code="feed_batch_invalid")
    bid, source, seq = raw.get("id"), raw.get("source"), raw.get("sequence")
    for label, value in (("批次号 id", bid), ("来源 source", source)):
        if not isinstance(value, str) or not _NAME.match(value):
            raise FileProblem(f"{label}应为 1–64 个字母、数字或 . _ : -，且以字母或数字开头。", code="feed_batch_invalid")
    if isinstance(seq, str) and seq.strip().isdigit():
        seq = int(seq.strip())
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQUENCE:
        raise FileProblem("序号 sequence 应为正整数。", code="feed_batch_invalid")
    return BatchId(bid, source, seq)


def open_feed(path: Path) -> FeedFile:
    """Detect the format by content: a first non-blank character ``{`` is JSON Lines, else CSV."""
    encoding = text_encoding(path)
    fh = open(path, encoding=encoding, newline="")
    try:
        first = ""
        while not first.strip():
            first = fh.readline()
            if not first:
                raise FileProblem("文件是空的。", code="import_file_empty")
        fh.seek(0)
        if first.lstrip().startswith("{"):
            return _jsonl(fh, encoding)
        return _csv(fh, encoding)
    except BaseException:
        fh.close()
        raise


def _jsonl(fh, encoding: str) -> FeedFile:
    lines = enumerate(fh, start=1)
    for number, text in lines:
        if text.strip():
            try:
                head = json.loads(text)
            except ValueError:
                raise FileProblem(f"第 {number} 行（批次信息）不是有效的 JSON。", code="feed_batch_invalid") from None
            if not isinstance(head, dict) or set(head) != {"batch"}:
                raise FileProblem("JSON Lines 文件的第一行应为 {\"batch\": {…}}。", code="feed_batch_invalid")
            return FeedFile(batch_id(head["batch"]), "jsonl", encoding, _json_lines(lines), json_record, fh)
    raise FileProblem("文件是空的。", code="import_file_empty")


def _json_lines(lines) -> Iterator[tuple[int, str]]:
    for number, text in lines:
        if text.strip():
            yield number, text


def json_record(text: str) -> Any:
    """One JSON Lines record: a dict, or `BadLine`.

    orjson reads it (about 3x faster than `json`: a first load reads millions). Where the two could
    differ, `json` decides: a line orjson refuses (lone surrogates, integers beyond 64 bits), and a
    record holding a number with a fraction or a nested value (orjson reads big integers as floats)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = _EXACT
    if type(value) is dict and not any(type(v) in _EXACT_TYPES for v in value.values()):
        return value
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return BadLine("json_invalid", "该行不是有效的 JSON。")
    return value if isinstance(value, dict) else BadLine("record_invalid", "该行应为 JSON 对象。")


_EXACT = object()
_EXACT_TYPES = frozenset((float, list, dict))


def _no_constant(name: str):
    raise ValueError(name)


def _csv(fh, encoding: str) -> FeedFile:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(fh)
    try:
        header = next(reader)
        headers = [h.strip().lower() for h in header]
        missing = [c for c in ("batch_id", "source", "sequence", "kind") if c not in headers]
        if missing:
            raise FileProblem(f"CSV 表头缺少列：{'、'.join(missing)}。", code="feed_header_missing")
        first = next(reader, None)
    except csv.Error as exc:
        raise FileProblem(f"CSV 格式有误（第 {reader.line_num} 行附近）：{exc}", code="import_csv_malformed") from exc
    if first is None:
        raise FileProblem("文件只有表头，没有记录。", code="import_file_empty")
    pos = {h: i for i, h in enumerate(headers)}
    ident = batch_id({"id": _cell(first, pos["batch_id"]), "source": _cell(first, pos["source"]),
                      "sequence": _cell(first, pos["sequence"])})
    return FeedFile(ident, "csv", encoding, _csv_records(reader, first, headers, ident), _same, fh)


def _same(record: Any) -> Any:
    return record


def _cell(row: list, i: int) -> str:
    return row[i].strip() if i < len(row) else ""


def _csv_records(reader, first: list, headers: list[str], ident: BatchId) -> Iterator[tuple[int, Any]]:
    row, number = first, reader.line_num
    mine = (ident.id, ident.source, str(ident.sequence))
    while row is not None:
        if any(cell.strip() for cell in row):
            values = {h: _cell(row, i) for i, h in enumerate(headers) if h}
            if (values["batch_id"], values["source"], values["sequence"].lstrip("0") or "0") != mine:
                yield number, BadLine("feed_batch_mixed", "该行的批次号、来源或序号与文件第一条记录不同。")
            else:
                yield number, {k: v for k, v in values.items() if k not in ("batch_id", "source", "sequence") and v != ""}
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise FileProblem(f"CSV 格式有误（第 {reader.line_num} 行附近）：{exc}", code="import_csv_malformed") from exc
        number = reader.line_num
