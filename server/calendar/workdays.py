"""Working-day arithmetic for China (法定工作日).

Results of a spot check must be entered within 20 working days of the end of the check.
A working day is Monday–Friday unless it is a public holiday, plus the make-up workdays
(调休上班日) that fall on weekends. The official calendar comes from the ``chinesecalendar``
package (``import chinese_calendar``; 1.11.0 knows 2004–2026) and from an administrator
maintained override table that takes precedence over it.

A day is *unknown* when no override covers it and its year is neither in the package nor
declared complete by the administrator. Calculations touching an unknown day never raise:
they return ``known=False`` with the missing years, so a request never crashes because the
State Council has not yet published (or the package not yet shipped) next year's calendar.

Pure module: standard library + chinesecalendar only (and ``statutory``, pure too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from .statutory import FIXED_STATUTORY_HOLIDAYS, provisional_workday  # noqa: F401 (re-exported)

try:  # pragma: no cover - exercised only when the package is absent
    import chinese_calendar as _cc
except ImportError:  # pragma: no cover
    _cc = None

__all__ = ["WorkCalendar", "DeadlineResult", "WorkdayCount", "Coverage",
           "RESULT_ENTRY_WORKDAYS"]

RESULT_ENTRY_WORKDAYS = 20
"""Working days allowed for entering check results (rules Art. 20(3))."""

Coverage = Literal["package", "overrides", "missing"]

_ONE_DAY = timedelta(days=1)

# A year without its official calendar is counted provisionally: Monday to Friday less the
# statutory holidays (fixed, lunar and solar-term ones) and their days in lieu (``statutory``).
_package_years: dict[int, bool] = {}


def _package_knows(year: int) -> bool:
    """Whether chinesecalendar has the official calendar of ``year`` (cached)."""
    if _cc is None:
        return False
    if year not in _package_years:
        try:
            _cc.is_workday(date(year, 1, 1))
            _package_years[year] = True
        except NotImplementedError:
            _package_years[year] = False
    return _package_years[year]


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _add_year(years: list[int], year: int) -> None:
    if year not in years:
        years.append(year)


@dataclass(frozen=True)
class DeadlineResult:
    """Outcome of :meth:`WorkCalendar.add_workdays`.

    ``due`` is the deadline when ``known``; otherwise None, and ``missing_years`` lists the
    years whose calendar is missing. ``estimated_due`` is always filled: the same count with
    the days of missing years counted provisionally (``provisional_workday``): the provisional
    deadline, final once those years' calendars are entered.
    """

    due: date | None
    known: bool
    missing_years: list[int] = field(default_factory=list)
    estimated_due: date | None = None


@dataclass(frozen=True)
class WorkdayCount:
    """Outcome of :meth:`WorkCalendar.workdays_between` (``count`` is None when unknown)."""

    count: int | None
    known: bool
    missing_years: list[int] = field(default_factory=list)
    estimated_count: int = 0


class WorkCalendar:
    """China's working-day calendar: admin overrides, then chinesecalendar, then declared
    complete years.

    :param overrides: ``date → True`` (workday) / ``False`` (day off), maintained by an
        administrator; takes precedence over everything else.
    :param use_package: consult chinesecalendar for the years it knows.
    :param complete_years: years whose holidays and make-up workdays the administrator has
        entered completely; for these, days without an override follow the default rule
        (Monday–Friday work, Saturday/Sunday off) even if the package lacks the year.
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None,
                 use_package: bool = True, complete_years: Iterable[int] = ()) -> None:
        self.overrides: dict[date, bool] = {
            _as_date(d): bool(v) for d, v in (overrides or {}).items()}
        self.use_package = use_package
        self.complete_years: frozenset[int] = frozenset(int(y) for y in complete_years)

    def is_workday(self, d: date) -> bool | None:
        """True/False for a working day / day off, None when the calendar of its year is
        unknown (no override for the day, year not in the package, not declared complete)."""
        d = _as_date(d)
        if d in self.overrides:
            return self.overrides[d]
        if self.use_package and _package_knows(d.year):
            try:
                return bool(_cc.is_workday(d))
            except NotImplementedError:  # pragma: no cover - guarded by _package_knows
                pass
        if d.year in self.complete_years:
            return d.weekday() < 5
        return None

    def calendar_coverage(self, year: int) -> Coverage:
        """Where the calendar of ``year`` comes from: ``package`` (chinesecalendar knows it;
        overrides still apply per day), ``overrides`` (declared complete by an administrator)
        or ``missing``."""
        if self.use_package and _package_knows(year):
            return "package"
        if year in self.complete_years:
            return "overrides"
        return "missing"

    def add_workdays(self, start: date, n: int,
                     count_from_next_day: bool = True) -> DeadlineResult:
        """Date of the ``n``-th working day counted from the day after ``start``.

        With ``count_from_next_day=False`` counting begins at ``start`` itself (so it counts
        as the first day if it is a workday). ``n == 0`` returns ``start``. If any day counted
        over is unknown, returns ``known=False``, ``due=None`` and the missing years.
        Raises ``ValueError`` only for a negative ``n``.
        """
        start = _as_date(start)
        if n < 0:
            raise ValueError("n must not be negative")
        if n == 0:
            return DeadlineResult(start, True, [], start)
        missing: list[int] = []
        d = start + _ONE_DAY if count_from_next_day else start
        remaining = n
        while True:
            status = self.is_workday(d)
            if status is None:
                _add_year(missing, d.year)
                status = provisional_workday(d)
            if status:
                remaining -= 1
                if remaining == 0:
                    break
            d += _ONE_DAY
        if missing:
            return DeadlineResult(None, False, missing, d)
        return DeadlineResult(d, True, [], d)

    def workdays_between(self, a: date, b: date) -> WorkdayCount:
        """Number of working days in the half-open interval (a, b].

        For ``b < a`` the result is negative: ``-workdays_between(b, a)``. Typical uses:
        ``workdays_between(today, due)`` (working days left) and
        ``workdays_between(due, today)`` (working days overdue).
        """
        a, b = _as_date(a), _as_date(b)
        if b < a:
            r = self.workdays_between(b, a)
            return WorkdayCount(None if r.count is None else -r.count, r.known,
                                r.missing_years, -r.estimated_count)
        missing: list[int] = []
        count = 0
        d = a + _ONE_DAY
        while d <= b:
            status = self.is_workday(d)
            if status is None:
                _add_year(missing, d.year)
                status = provisional_workday(d)
            count += status
            d += _ONE_DAY
        if missing:
            return WorkdayCount(None, False, missing, count)
        return WorkdayCount(count, True, [], count)

    def missing_calendar_warning(self, today: date) -> str | None:
        """A Chinese warning for administrators when a needed calendar year is missing.

        From November 1 on, warns if next year's calendar is neither in the package nor
        declared complete; at any time, warns if the current year's calendar is missing.
        Returns None when there is nothing to warn about.
        """
        today = _as_date(today)
        if self.calendar_coverage(today.year) == "missing":
            year, when = today.year, "（本年度）"
        elif today.month >= 11 and self.calendar_coverage(today.year + 1) == "missing":
            year, when = today.year + 1, ""
        else:
            return None
        return (
            f"{year}年{when}法定节假日安排尚未录入：日历组件不含该年数据，管理员也未将该年"
            f"日历标记为已完整录入。涉及{year}年的工作日期限（如检查结果“20个工作日内录入”）"
            "只能暂定（暂未计入春节等农历节日和调休上班日）。请在国务院办公厅公布放假安排后，尽快在“工作日历”中录入该年的"
            "节假日和调休上班日，并将该年标记为“已完整录入”。"
        )
