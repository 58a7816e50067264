"""The per-row error report and the blank template, as XLSX written in streaming mode."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select

from ...extensions import db
from ...identifiers import make_credit_code
from ...types import SHANGHAI, utcnow
from ..models import REGISTRATION_STATUSES, ImportJob, ImportRowError
from .columns import COLUMNS, HEADERS

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_COLUMNS = ["原行号", "列", "值", "错误说明"]
_MODES = {"dry_run": "试导入（仅校验）", "commit": "正式导入"}
_STATUSES = {"pending": "排队中", "running": "处理中", "done": "已完成", "failed": "失败"}


def _text_cell(ws, value, bold: bool = False) -> WriteOnlyCell:
    """A cell that is always text: a value like "=HYPERLINK(…)" from an upload must never become a formula."""
    cell = WriteOnlyCell(ws, value=None if value is None else str(value))
    if value is not None:
        cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def text_row(ws, values, bold: bool = False) -> list:
    return [v if isinstance(v, int) and not isinstance(v, bool) else _text_cell(ws, v, bold) for v in values]


def write_error_report(job: ImportJob, dest: Path) -> None:
    """错误明细 (one line per problem, with the original row) and 导入概况 (the job's counts)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误明细")
    headers = list(job.headers or [])
    ws.append(text_row(ws, REPORT_COLUMNS + [f"原文件：{h}" if h else "原文件：（无表头）" for h in headers], bold=True))
    stmt = (select(ImportRowError.row_number, ImportRowError.column, ImportRowError.value, ImportRowError.message,
                   ImportRowError.raw)
            .where(ImportRowError.job_id == job.id).order_by(ImportRowError.row_number, ImportRowError.id))
    for number, column, value, message, raw in db.session.execute(stmt, execution_options={"yield_per": 2000}):
        ws.append(text_row(ws, [number, column, value, message, *(raw or [])]))
    summary = wb.create_sheet("导入概况")
    finished = job.finished_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if job.finished_at else "未完成"
    for label, value in (("文件名", job.filename), ("文件 SHA-256", job.file_sha256), ("方式", _MODES.get(job.mode)),
                         ("状态", _STATUSES.get(job.status)), ("完成时间", finished),
                         ("读取行数", job.rows_processed), ("新增", job.created), ("更新", job.updated),
                         ("未变化", job.unchanged), ("拒绝", job.rejected), ("说明", job.error or ""),
                         ("报告生成时间", utcnow().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))):
        summary.append(text_row(summary, [label, value]))
    wb.save(dest)


_EXAMPLE = ["忻府区示例餐饮店（演示）", make_credit_code("92140902MA0X00001"), "个体工商户", "张三", "", "0350-1234567",
            "忻州市忻府区示例路1号", "忻州市忻府区示例路1号", "140902", "餐饮业", "存续", "否", "", "食品经营",
            "B", "否", "否", "0"]
_NOTES = [
    ("名称", "必填。企业、个体工商户、合作社等填登记名称；产品、项目、行为填其名称。"),
    ("统一社会信用代码", "企业、个体工商户、农民专业合作社、其他组织必填，18 位，系统按 GB 32100 校验；"
                  "同一代码再次导入时合并到已有对象，不会重复建档。请将此列设为文本格式。"),
    ("对象类型", "企业、农民专业合作社、个体工商户、其他组织、产品、项目、行为；有信用代码时可不填（按代码第1–2位识别）。"),
    ("法定代表人身份证号", "选填，按 GB 11643 校验；系统加密保存，任何页面只显示遮盖后的号码。请设为文本格式。"),
    ("行政区划代码", "6 位代码（如 140902）或县区名称（如 忻府区）；不填时按信用代码第3–8位确定。"),
    ("登记状态", "、".join(REGISTRATION_STATUSES.values()) + "；新建对象不填时为“存续”。"),
    ("所属分库", "分库代码或名称，多个以“、”分隔；部门管理员只能填本部门的分库。"),
    ("信用风险分类", "A、B、C、D 或“未分类”。"),
    ("是/否列", "填“是”或“否”。"),
    ("空白单元格", "已有对象的空白单元格表示“不修改”；要清空某项请在系统中逐户修改。"),
]


def write_template(dest: Path) -> None:
    """The blank import template: standard headers; the rules and an example row on a second sheet
    (not on the data sheet, so importing an untouched template creates nothing)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("检查对象")
    ws.append(text_row(ws, HEADERS, bold=True))
    notes = wb.create_sheet("填写说明")
    notes.append(text_row(notes, ["列", "说明"], bold=True))
    for header, text in _NOTES:
        notes.append(text_row(notes, [header, text]))
    notes.append(text_row(notes, ["可识别的其他表头", "；".join(f"{h}：{'、'.join(v)}" for h, v in COLUMNS.values())]))
    notes.append([])
    notes.append(text_row(notes, ["示例（请在“检查对象”工作表中填写）"], bold=True))
    notes.append(text_row(notes, HEADERS, bold=True))
    notes.append(text_row(notes, _EXAMPLE))
    wb.save(dest)
