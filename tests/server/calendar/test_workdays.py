"""Tests for server.workdays (China's working-day arithmetic).

Pinned dates were counted by hand against the State Council's 2025 holiday notice
(国务院办公厅关于2025年部分节假日安排的通知, Nov 2024): National Day + Mid-Autumn,
Oct 1–8 off; make-up workdays Sunday Sep 28 and Saturday Oct 11.
"""

import sys
from pathlib import Path

# pytest runs with --import-mode=importlib and no rootdir on sys.path; make `server` importable.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from server.calendar.workdays import RESULT_ENTRY_WORKDAYS, WorkCalendar

D = date
PACKAGE = WorkCalendar()


# --- facts about chinesecalendar 1.11.0 -----------------------------------------------

def test_package_knows_2004_to_2026_only():
    assert chinese_calendar.is_workday(D(2026, 12, 31)) is True
    for year in (2003, 2027):
        with pytest.raises(NotImplementedError):
            chinese_calendar.is_workday(D(year, 6, 1))
    assert PACKAGE.calendar_coverage(2004) == "package"
    assert PACKAGE.calendar_coverage(2026) == "package"
    assert PACKAGE.calendar_coverage(2003) == "missing"
    assert PACKAGE.calendar_coverage(2027) == "missing"


def test_is_workday_2025_national_day():
    assert PACKAGE.is_workday(D(2025, 9, 28)) is True     # make-up Sunday
    assert PACKAGE.is_workday(D(2025, 9, 27)) is False    # ordinary Saturday
    assert all(PACKAGE.is_workday(D(2025, 10, d)) is False for d in range(1, 9))
    assert PACKAGE.is_workday(D(2025, 10, 11)) is True    # make-up Saturday
    assert PACKAGE.is_workday(datetime(2025, 10, 9, 15, 30)) is True
    assert PACKAGE.is_workday(D(2027, 1, 4)) is None


# --- acceptance cases -----------------------------------------------------------------

def test_check_ending_2025_09_26_due_2025_10_30():
    # 9/28 9/29 9/30 (3), 10/9 10/10 10/11 (6), 10/13-17 (11), 10/20-24 (16), 10/27-30 (20)
    result = PACKAGE.add_workdays(D(2025, 9, 26), RESULT_ENTRY_WORKDAYS)
    assert result.known and result.missing_years == []
    assert result.due == D(2025, 10, 30)
    assert PACKAGE.workdays_between(D(2025, 9, 26), D(2025, 10, 30)).count == 20


def test_count_from_start_day():
    # The end day (a Friday workday) itself is day 1.
    result = PACKAGE.add_workdays(D(2025, 9, 26), 20, count_from_next_day=False)
    assert result.due == D(2025, 10, 29)


def test_check_ending_on_a_holiday():
    # 10/4-10/8 off; 10/9 10/10 10/11 (3), 10/13-17 (8), 10/20-24 (13), 10/27-31 (18),
    # 11/3 (19), 11/4 (20).
    assert PACKAGE.add_workdays(D(2025, 10, 3), 20).due == D(2025, 11, 4)
    # Counting from the start day changes nothing when the start day is a holiday.
    assert PACKAGE.add_workdays(D(2025, 10, 3), 20, count_from_next_day=False).due == D(2025, 11, 4)
    assert PACKAGE.add_workdays(D(2025, 10, 3), 1).due == D(2025, 10, 9)


def test_small_counts():
    assert PACKAGE.add_workdays(D(2025, 9, 26), 0).due == D(2025, 9, 26)
    assert PACKAGE.add_workdays(D(2025, 9, 26), 1).due == D(2025, 9, 28)
    assert PACKAGE.add_workdays(D(2025, 9, 30), 1).due == D(2025, 10, 9)
    with pytest.raises(ValueError):
        PACKAGE.add_workdays(D(2025, 9, 26), -1)


def test_crossing_into_unknown_year_is_unknown_not_an_error():
    result = PACKAGE.add_workdays(D(2026, 12, 15), 20)
    assert result.known is False
    assert result.due is None
    assert result.missing_years == [2027]
    # Provisional for the unknown days: Mon–Fri less the fixed-date statutory holidays:
    # 12/16-18 (3), 12/21-25 (8), 12/28-31 (12), 2027-01-01 New Year (off), 1/4-8 (17), 1/11-13 (20).
    assert result.estimated_due == D(2027, 1, 13)


def test_crossing_into_year_declared_complete():
    overrides = {D(2027, 1, 1): False}  # New Year's Day
    cal = WorkCalendar(overrides, complete_years={2027})
    result = cal.add_workdays(D(2026, 12, 15), 20)
    assert result.known and result.missing_years == []
    assert result.due == D(2027, 1, 13)
    assert cal.calendar_coverage(2027) == "overrides"
    # Declared complete without any override: plain Mon–Fri.
    assert WorkCalendar(complete_years=[2027]).add_workdays(D(2026, 12, 15), 20).due == D(2027, 1, 12)


def test_partial_overrides_do_not_make_a_year_known():
    cal = WorkCalendar({D(2027, 1, 1): False, D(2027, 1, 4): True})
    assert cal.is_workday(D(2027, 1, 1)) is False
    assert cal.is_workday(D(2027, 1, 4)) is True
    assert cal.is_workday(D(2027, 1, 5)) is None
    # The weekend 1/2-1/3 is unknown too (it could be a make-up workday).
    result = cal.add_workdays(D(2026, 12, 31), 1)
    assert result.due is None and result.estimated_due == D(2027, 1, 4)
    # Once every day up to the deadline is covered, the count is known.
    cal = WorkCalendar({D(2027, 1, 1): False, D(2027, 1, 2): False,
                        D(2027, 1, 3): False, D(2027, 1, 4): True})
    assert cal.add_workdays(D(2026, 12, 31), 1).due == D(2027, 1, 4)
    result = cal.add_workdays(D(2026, 12, 31), 2)
    assert not result.known and result.missing_years == [2027]


def test_missing_years_lists_every_year_crossed():
    result = PACKAGE.add_workdays(D(2026, 12, 30), 300)
    assert result.due is None and result.missing_years == [2027, 2028]


def test_overrides_take_precedence_over_package():
    monday = D(2025, 10, 13)
    cal = WorkCalendar({monday: False})
    assert PACKAGE.is_workday(monday) is True
    assert cal.is_workday(monday) is False
    assert cal.add_workdays(D(2025, 9, 26), 20).due == D(2025, 10, 31)
    # And the other way round: an official holiday declared a workday.
    cal = WorkCalendar({D(2025, 10, 8): True})
    assert cal.add_workdays(D(2025, 9, 26), 20).due == D(2025, 10, 29)


def test_without_package():
    cal = WorkCalendar(use_package=False)
    assert cal.is_workday(D(2025, 10, 1)) is None
    assert cal.calendar_coverage(2025) == "missing"
    cal = WorkCalendar(use_package=False, complete_years={2025})
    assert cal.is_workday(D(2025, 10, 1)) is True  # default rule: a Wednesday


# --- workdays_between -----------------------------------------------------------------

def test_workdays_between():
    assert PACKAGE.workdays_between(D(2025, 9, 30), D(2025, 10, 9)).count == 1
    assert PACKAGE.workdays_between(D(2025, 10, 1), D(2025, 10, 8)).count == 0
    assert PACKAGE.workdays_between(D(2025, 10, 9), D(2025, 10, 9)).count == 0
    back = PACKAGE.workdays_between(D(2025, 10, 30), D(2025, 9, 26))
    assert back.count == -20 and back.known
    unknown = PACKAGE.workdays_between(D(2026, 12, 30), D(2027, 1, 5))
    assert unknown.count is None and not unknown.known
    assert unknown.missing_years == [2027]
    assert unknown.estimated_count == 3  # 12/31, 1/4, 1/5 (1/1 is New Year's Day, a fixed-date holiday)


# --- coverage warnings ----------------------------------------------------------------

def test_missing_calendar_warning():
    assert PACKAGE.missing_calendar_warning(D(2026, 10, 31)) is None
    warning = PACKAGE.missing_calendar_warning(D(2026, 11, 1))
    assert warning is not None and warning.startswith("2027年法定节假日安排尚未录入")
    assert PACKAGE.missing_calendar_warning(D(2025, 11, 15)) is None   # 2026 is in the package
    assert WorkCalendar(complete_years={2027}).missing_calendar_warning(D(2026, 12, 20)) is None
    current = PACKAGE.missing_calendar_warning(D(2027, 3, 1))
    assert current is not None and current.startswith("2027年（本年度）")


# --- properties -----------------------------------------------------------------------

_starts = st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 12, 31))
_overrides = st.dictionaries(
    st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 12, 31)), st.booleans(), max_size=30)


@settings(max_examples=300, deadline=None)
@given(_starts, st.integers(min_value=1, max_value=60))
def test_property_due_is_nth_workday_after_start(start, n):
    result = PACKAGE.add_workdays(start, n)
    if not result.known:
        assert result.due is None and result.missing_years == [2027]
        assert result.estimated_due.year >= 2027
        return
    due = result.due
    assert due > start
    assert PACKAGE.is_workday(due) is True
    assert PACKAGE.workdays_between(start, due).count == n
    assert PACKAGE.workdays_between(start, due - timedelta(days=1)).count == n - 1


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 12, 31)),
       st.integers(min_value=1, max_value=40), _overrides, st.booleans())
def test_property_with_overrides(start, n, overrides, complete_2027):
    cal = WorkCalendar(overrides, complete_years={2027} if complete_2027 else ())
    result = cal.add_workdays(start, n)
    assume(result.known)
    assert result.due > start
    assert cal.is_workday(result.due) is True
    assert cal.workdays_between(start, result.due).count == n
    for d, value in overrides.items():
        assert cal.is_workday(d) is value


@settings(max_examples=200, deadline=None)
@given(_starts, st.integers(min_value=1, max_value=40))
def test_property_count_from_start_equals_count_from_previous_day(start, n):
    inclusive = PACKAGE.add_workdays(start, n, count_from_next_day=False)
    assert inclusive == PACKAGE.add_workdays(start - timedelta(days=1), n)
