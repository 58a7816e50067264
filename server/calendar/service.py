"""Working-day calendar from the database, result-entry deadlines and their state.

The calendar is chinesecalendar plus the administrator's override table (which wins), plus
the years the administrator declared complete (`workdays` has the arithmetic). It is
built once per request (or app context) and rebuilt after a change.

Deadlines never raise for a missing calendar year: they come back ``known=False`` with the
missing years and a provisional date (``deadline_of``): the days of those years counted as
Monday–Friday less the fixed-date statutory holidays, marked 暂定 with the reason
(``provisional_message``) until the office enters the State Council's notice for the year.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from flask import current_app, g, has_app_context
from sqlalchemy import func, select

from ..accounts.auth import Principal
from ..audit import service as audit
from ..errors import Conflict, Invalid, NotFound, field_error
from ..extensions import db
from ..types import utcnow
from .workdays import DeadlineResult, WorkCalendar
from .models import CalendarYear, HolidayOverride

DeadlineState = Literal["ok", "due_soon", "overdue", "unknown"]
MIN_YEAR, MAX_YEAR = 2000, 2099
MAX_RANGE_DAYS = 31
_CACHE_KEY = "work_calendar"


# --- the calendar -----------------------------------------------------------------------

def work_calendar() -> WorkCalendar:
    """The deployment's calendar: package + overrides + declared-complete years (cached on
    the app context, so once per request)."""
    if has_app_context():
        cached = g.get(_CACHE_KEY)
        if cached is not None:
            return cached
    overrides = dict(db.session.execute(select(HolidayOverride.day, HolidayOverride.is_workday)).all())
    complete = db.session.execute(
        select(CalendarYear.year).where(CalendarYear.declared_complete.is_(True))).scalars().all()
    cal = WorkCalendar(overrides, complete_years=complete)
    if has_app_context():
        setattr(g, _CACHE_KEY, cal)
    return cal


def _forget_calendar() -> None:
    if has_app_context():
        g.pop(_CACHE_KEY, None)


def _cfg(key: str, default):
    return current_app.config.get(key, default) if has_app_context() else default


def provisional_message(missing_years: list[int]) -> str:
    """Why a deadline is provisional, for reviewers and leaders (Chinese)."""
    years = "、".join(f"{y} 年" for y in sorted(missing_years))
    return (f"暂定：{years}的法定节假日安排尚未录入，此截止日期暂按周一至周五、扣除法定节假日推算"
            "（元旦、春节、清明节、劳动节、端午节、中秋节、国庆节，春节等按农历推算；适逢周六、周日的在其后工作日补假；"
            "调休上班日尚未计入）。"
            "领导小组办公室录入国务院办公厅公布的放假安排并确认该年已完整录入后，自动改为正式截止日期。")


def deadline_of(check_ended_on: dt.date) -> tuple[dt.date, bool]:
    """(last day for entering the results, provisional?): the official deadline, or while a
    calendar year is missing the provisional one (``provisional_workday`` for its days)."""
    result = result_deadline(check_ended_on)
    return (result.due, False) if result.known else (result.estimated_due, True)


def result_deadline(check_ended_on: dt.date) -> DeadlineResult:
    """The last day for entering the results of a check that ended on ``check_ended_on``:
    RESULT_DEADLINE_WORKDAYS working days, counted from the next day when
    DEADLINE_COUNT_FROM_NEXT_DAY (the default). ``known=False`` when a calendar is missing."""
    if not (MIN_YEAR <= check_ended_on.year <= MAX_YEAR):
        raise Invalid(f"检查结束日期须在 {MIN_YEAR}–{MAX_YEAR} 年之间。", code="date_out_of_range",
                      errors=[field_error("ended_on", "日期超出范围。")])
    n = int(_cfg("RESULT_DEADLINE_WORKDAYS", 20))
    from_next = bool(_cfg("DEADLINE_COUNT_FROM_NEXT_DAY", True))
    return work_calendar().add_workdays(check_ended_on, n, count_from_next_day=from_next)


def deadline_state(due: dt.date | None, today: dt.date) -> DeadlineState:
    """``overdue`` after the due day; ``due_soon`` when at most DEADLINE_DUE_SOON_WORKDAYS
    working days are left (the due day itself included); ``unknown`` without a due date."""
    if due is None:
        return "unknown"
    if today > due:
        return "overdue"
    left = work_calendar().workdays_between(today, due)
    count = left.count if left.known else left.estimated_count
    return "due_soon" if count <= int(_cfg("DEADLINE_DUE_SOON_WORKDAYS", 5)) else "ok"


def workdays_left(due: dt.date, today: dt.date) -> int | None:
    """Working days in (today, due]; negative when overdue; None when a calendar is missing."""
    return work_calendar().workdays_between(today, due).count


def deadline_view(check_ended_on: dt.date, today: dt.date) -> dict:
    """The deadline of a check as the API and the dashboard show it (never raises for a
    missing calendar year)."""
    result = result_deadline(check_ended_on)
    due = result.due if result.known else result.estimated_due
    return {
        "ended_on": check_ended_on,
        "workdays": int(_cfg("RESULT_DEADLINE_WORKDAYS", 20)),
        "count_from_next_day": bool(_cfg("DEADLINE_COUNT_FROM_NEXT_DAY", True)),
        "known": result.known,
        "due": result.due,
        "provisional": not result.known,
        "provisional_due": None if result.known else result.estimated_due,
        "state": deadline_state(due, today),
        "workdays_left": workdays_left(result.due, today) if result.due else None,
        "missing_years": result.missing_years,
        "estimated_due": result.estimated_due,
        "message": None if result.known else provisional_message(result.missing_years),
    }


def calendar_warning(today: dt.date) -> str | None:
    """For administrators: from November on, next year's calendar is neither in the package
    nor declared complete (or this year's is missing). None when all is well."""
    return work_calendar().missing_calendar_warning(today)


@dataclass(frozen=True)
class YearStatus:
    year: int
    coverage: str
    in_package: bool
    declared_complete: bool
    source: str | None
    declared_by: int | None
    declared_at: dt.datetime | None
    holidays: int
    workdays: int


def year_status(year: int) -> YearStatus:
    """Where a year's calendar comes from and what the administrator entered for it."""
    cal = work_calendar()
    row = db.session.get(CalendarYear, year)
    counts = dict(db.session.execute(
        select(HolidayOverride.is_workday, func.count())
        .where(HolidayOverride.day >= dt.date(year, 1, 1), HolidayOverride.day <= dt.date(year, 12, 31))
        .group_by(HolidayOverride.is_workday)).all())
    return YearStatus(
        year=year, coverage=cal.calendar_coverage(year),
        in_package=WorkCalendar(use_package=True).calendar_coverage(year) == "package",
        declared_complete=bool(row and row.declared_complete), source=row.source if row else None,
        declared_by=row.declared_by if row else None, declared_at=row.declared_at if row else None,
        holidays=counts.get(False, 0), workdays=counts.get(True, 0))


def status(today: dt.date) -> dict:
    """Coverage of last, this and next year (and of every year with entries) + the warning."""
    years = {today.year - 1, today.year, today.year + 1}
    years.update(db.session.execute(select(CalendarYear.year)).scalars())
    years.update(d.year for d in work_calendar().overrides)
    return {
        "today": today,
        "warning": calendar_warning(today),
        "result_deadline_workdays": int(_cfg("RESULT_DEADLINE_WORKDAYS", 20)),
        "count_from_next_day": bool(_cfg("DEADLINE_COUNT_FROM_NEXT_DAY", True)),
        "due_soon_workdays": int(_cfg("DEADLINE_DUE_SOON_WORKDAYS", 5)),
        "years": [year_status(y) for y in sorted(years)],
    }


# --- administration -----------------------------------------------------------------------

def _check_year(year: int, field: str) -> None:
    if not (MIN_YEAR <= year <= MAX_YEAR):
        raise Invalid(f"年份须在 {MIN_YEAR}–{MAX_YEAR} 之间。", code="year_out_of_range",
                      errors=[field_error(field, "年份超出范围。")])


def list_overrides(year: int | None) -> list[HolidayOverride]:
    stmt = select(HolidayOverride).order_by(HolidayOverride.day)
    if year is not None:
        stmt = stmt.where(HolidayOverride.day >= dt.date(year, 1, 1), HolidayOverride.day <= dt.date(year, 12, 31))
    return list(db.session.execute(stmt).scalars())


def set_overrides(principal: Principal, first: dt.date, last: dt.date | None, is_workday: bool,
                  note: str | None) -> list[HolidayOverride]:
    """Mark every day of [first, last] a holiday or a make-up workday (as the State Council's
    notice reads: "10月1日至7日放假", "9月26日（周日）上班"). Existing entries are replaced."""
    last = last or first
    _check_year(first.year, "from")
    _check_year(last.year, "to")
    if last < first:
        raise Invalid("结束日期早于开始日期。", errors=[field_error("to", "结束日期早于开始日期。")])
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise Invalid(f"一次最多录入 {MAX_RANGE_DAYS} 天。", code="range_too_long",
                      errors=[field_error("to", f"一次最多录入 {MAX_RANGE_DAYS} 天。")])
    out = []
    d = first
    while d <= last:
        row = db.session.get(HolidayOverride, d)
        before = None if row is None else {"is_workday": row.is_workday, "note": row.note}
        if row is None:
            row = HolidayOverride(day=d)
            db.session.add(row)
        if before != {"is_workday": is_workday, "note": note}:
            row.is_workday, row.note = is_workday, note
            row.created_by, row.created_at = principal.user_id, utcnow()
            audit.record(db.session, "calendar.override.set", "calendar_day", d.isoformat(),
                         {"is_workday": is_workday, "note": note, "previous": before})
        out.append(row)
        d += dt.timedelta(days=1)
    db.session.flush()
    _forget_calendar()
    return out


def parse_day(value: str) -> dt.date | None:
    """A path segment 'YYYY-MM-DD'; None for anything else (which is simply not an override)."""
    if len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def delete_override(principal: Principal, day: str) -> None:
    d = parse_day(day)
    row = db.session.get(HolidayOverride, d) if d is not None else None
    if row is None:
        raise NotFound("该日期没有调整记录。", code="override_not_found")
    audit.record(db.session, "calendar.override.delete", "calendar_day", d.isoformat(),
                 {"is_workday": row.is_workday, "note": row.note})
    db.session.delete(row)
    db.session.flush()
    _forget_calendar()


def declare_year(principal: Principal, year: int, complete: bool, source: str | None) -> YearStatus:
    """Declare (or withdraw) that ``year``'s holidays and make-up workdays are fully entered.

    Declaring needs the source (the State Council notice and its document number) and at
    least one holiday entered for that year: every official calendar has some.
    """
    _check_year(year, "year")
    if complete:
        if not (source or "").strip():
            raise Invalid("请注明依据（如国务院办公厅关于该年部分节假日安排的通知及文号）。",
                          errors=[field_error("source", "宣告完整录入须注明依据。")])
        if year_status(year).holidays == 0:
            raise Conflict(f"{year} 年尚未录入任何法定节假日，不能标记为已完整录入。", code="year_has_no_holidays")
    row = db.session.get(CalendarYear, year)
    before = None if row is None else {"declared_complete": row.declared_complete, "source": row.source}
    if row is None:
        row = CalendarYear(year=year, declared_complete=False)
        db.session.add(row)
    row.declared_complete, row.source = complete, (source or None)
    row.declared_by, row.declared_at = principal.user_id, utcnow()
    audit.record(db.session, "calendar.year.declare", "calendar_year", year,
                 {"declared_complete": complete, "source": row.source, "previous": before})
    db.session.flush()
    _forget_calendar()
    return year_status(year)
