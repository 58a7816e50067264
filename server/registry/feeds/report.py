"""The per-batch report as XLSX: 概况 (identity and counts per record kind) and 拒绝明细 (line by line)."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from ...types import SHANGHAI, utcnow
from ..importer.report import text_row
from .models import FeedBatch
from .records import KINDS
from .service import refusals_of

_OUTCOMES = (("applied", "已生效"), ("unchanged", "未变化"), ("refused", "拒绝"))
_KIND_LABELS = {**KINDS, "unreadable": "无法读取的行"}


def write_batch_report(batch: FeedBatch, dest: Path) -> None:
    wb = Workbook(write_only=True)
    summary = wb.create_sheet("概况")
    received = batch.received_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    for label, value in (("批次号", batch.id), ("来源", batch.source), ("序号", batch.sequence),
                         ("文件 SHA-256", batch.file_sha256), ("格式", f"{batch.format}（{batch.encoding}）"),
                         ("接收时间", received), ("记录数", batch.records), ("已生效", batch.applied),
                         ("未变化", batch.unchanged), ("拒绝", batch.refused),
                         ("注销、吊销、撤销或迁出的对象", batch.closed_objects), ("已提示组长的在办检查", batch.flagged_visits),
                         ("报告生成时间", utcnow().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))):
        summary.append(text_row(summary, [label, value]))
    summary.append([])
    summary.append(text_row(summary, ["记录类型", *(label for _, label in _OUTCOMES)], bold=True))
    for kind, counts in (batch.counts or {}).items():
        summary.append(text_row(summary, [_KIND_LABELS.get(kind, kind), *(counts.get(k, 0) for k, _ in _OUTCOMES)]))
    ws = wb.create_sheet("拒绝明细")
    ws.append(text_row(ws, ["行号", "记录类型", "统一社会信用代码", "字段", "错误代码", "原因"], bold=True))
    for r in refusals_of(batch.id):
        ws.append(text_row(ws, [r.line, _KIND_LABELS.get(r.kind or "unreadable"), r.credit_code, r.field, r.code, r.message]))
    wb.save(dest)
