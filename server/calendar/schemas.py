"""Schemas of the working-day calendar and result deadlines."""
from __future__ import annotations

from marshmallow import fields, validate

from ..schemas import BaseSchema
from .service import MAX_YEAR, MIN_YEAR

YEAR = validate.Range(min=MIN_YEAR, max=MAX_YEAR, error=f"年份须在 {MIN_YEAR}–{MAX_YEAR} 之间。")
COVERAGE = {"package": "日历组件已含该年", "overrides": "管理员已完整录入", "missing": "缺失"}


class OverrideListArgs(BaseSchema):
    year = fields.Integer(load_default=None, validate=YEAR, metadata={"description": "只列出该年的调整"})


class OverrideInSchema(BaseSchema):
    first = fields.Date(data_key="from", required=True, metadata={"description": "起始日期"})
    last = fields.Date(data_key="to", load_default=None, allow_none=True,
                       metadata={"description": "结束日期（含）；省略则只录入一天"})
    is_workday = fields.Boolean(required=True, metadata={"description": "true = 调休上班日，false = 放假"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                         metadata={"description": "说明，如“国庆节、中秋节”"})


class OverrideSchema(BaseSchema):
    date = fields.Date(attribute="day")
    is_workday = fields.Boolean()
    note = fields.String(allow_none=True)
    created_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class YearDeclareSchema(BaseSchema):
    declared_complete = fields.Boolean(required=True)
    source = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300),
                           metadata={"description": "依据，如“国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）”"})


class YearStatusSchema(BaseSchema):
    year = fields.Integer()
    coverage = fields.String(metadata={"description": "package | overrides | missing"})
    coverage_label = fields.Function(lambda y: COVERAGE[y.coverage])
    in_package = fields.Boolean()
    declared_complete = fields.Boolean()
    source = fields.String(allow_none=True)
    declared_by = fields.Integer(allow_none=True)
    declared_at = fields.DateTime(allow_none=True)
    holidays = fields.Integer(metadata={"description": "录入的放假日数"})
    workdays = fields.Integer(metadata={"description": "录入的调休上班日数"})


class CalendarStatusSchema(BaseSchema):
    today = fields.Date()
    warning = fields.String(allow_none=True, metadata={"description": "日历缺失提醒（给管理员）"})
    result_deadline_workdays = fields.Integer()
    count_from_next_day = fields.Boolean()
    due_soon_workdays = fields.Integer()
    years = fields.List(fields.Nested(YearStatusSchema))


class DeadlineArgs(BaseSchema):
    ended_on = fields.Date(required=True, metadata={"description": "检查结束日期 YYYY-MM-DD"})


class DeadlineSchema(BaseSchema):
    ended_on = fields.Date()
    workdays = fields.Integer(metadata={"description": "期限（工作日）"})
    count_from_next_day = fields.Boolean()
    known = fields.Boolean()
    due = fields.Date(allow_none=True, metadata={"description": "录入截止日期（日历缺失时为空）"})
    state = fields.String(metadata={"description": "ok | due_soon | overdue | unknown（相对今天）"})
    workdays_left = fields.Integer(allow_none=True, metadata={"description": "剩余工作日（逾期为负）"})
    missing_years = fields.List(fields.Integer())
    estimated_due = fields.Date(allow_none=True, metadata={"description": "暂定截止日期（与 provisional_due 相同；日历齐全时即正式日期）"})
    provisional = fields.Boolean(metadata={"description": "日历缺失时为 true：截止日期为暂定"})
    provisional_due = fields.Date(allow_none=True, metadata={"description": "暂定截止日期：缺失年份按周一至周五、扣除法定节假日（含按农历推算的春节、清明、端午、中秋及周末补假）推算"})
    message = fields.String(allow_none=True)
