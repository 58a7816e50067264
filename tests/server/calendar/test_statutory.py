"""Provisional working days of a year without its official calendar: the statutory holidays,
lunar and solar-term ones included, and their days in lieu (server/calendar/statutory.py)."""
from __future__ import annotations

from datetime import date as D, timedelta

import chinese_calendar
import pytest

from server.calendar.statutory import LUNAR_HOLIDAYS, days_off, holidays, provisional_workday
from server.calendar.workdays import WorkCalendar


def test_2027_lunar_holidays_and_days_in_lieu():
    off = days_off(2027)
    # 春节: eve Friday 5 Feb, 初一–初三 Saturday 6 – Monday 8 Feb; Saturday and Sunday in lieu on 9 and 10 Feb.
    assert {D(2027, 2, 5), D(2027, 2, 8), D(2027, 2, 9), D(2027, 2, 10)} <= off
    assert provisional_workday(D(2027, 2, 4)) and provisional_workday(D(2027, 2, 11))
    # 清明 Monday 5 April, 端午 Wednesday 9 June, 中秋 Wednesday 15 September.
    assert {D(2027, 4, 5), D(2027, 6, 9), D(2027, 9, 15)} <= off
    # 国庆 Friday 1 – Sunday 3 October: the weekend days in lieu on 4 and 5 October.
    assert {D(2027, 10, 1), D(2027, 10, 4), D(2027, 10, 5)} <= off and provisional_workday(D(2027, 10, 6))
    # Thirteen statutory days (元旦 1, 春节 4, 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3), each one weekday off.
    assert len(off) == 13 and all(d.weekday() < 5 for d in off)


def test_a_provisional_deadline_across_the_2027_spring_festival():
    result = WorkCalendar().add_workdays(D(2027, 1, 29), 20)
    # 2/1–4 (4), 2/5–10 off, 2/11–12 (6), 2/15–19 (11), 2/22–26 (16), 3/1–4 (20).
    assert not result.known and result.missing_years == [2027] and result.estimated_due == D(2027, 3, 4)
    between = WorkCalendar().workdays_between(D(2027, 2, 1), D(2027, 2, 15))
    assert not between.known and between.estimated_count == 6


@pytest.mark.parametrize("year", sorted(LUNAR_HOLIDAYS))
def test_every_year_has_its_thirteen_days_less_coincidences(year):
    lunar = LUNAR_HOLIDAYS[year]
    new_year = D(year, *lunar[0])
    assert D(year, 1, 21) <= new_year <= D(year, 2, 20)
    assert D(year, 4, 4) <= D(year, *lunar[1]) <= D(year, 4, 6)  # the Qingming solar term
    assert D(year, 5, 28) - timedelta(days=1) <= D(year, *lunar[2]) <= D(year, 6, 25)
    assert D(year, 9, 7) <= D(year, *lunar[3]) <= D(year, 10, 8)
    coincide = 1 if (lunar[3][0], lunar[3][1]) in {(10, 1), (10, 2), (10, 3)} else 0
    assert len(holidays(year)) == 13 - coincide and len(days_off(year)) == 13 - coincide


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_table_agrees_with_the_official_calendars(year):
    """Every statutory day of the table is a holiday in the State Council's notice (chinesecalendar).
    From 2025 on: the 2024 revision (New Year's Eve, the second day of 劳动节) took effect then."""
    for d in holidays(year):
        assert chinese_calendar.is_holiday(d), d


def test_years_past_the_table_count_the_fixed_dates_only():
    assert not provisional_workday(D(2051, 1, 2)) and provisional_workday(D(2051, 2, 1))
    assert holidays(2051) == {D(2051, 1, 1), D(2051, 5, 1), D(2051, 5, 2), D(2051, 10, 1), D(2051, 10, 2), D(2051, 10, 3)}


def test_the_table_matches_lunar_python_when_installed():
    lunar_python = pytest.importorskip("lunar_python")
    for year, (new_year, qingming, dragon_boat, mid_autumn) in LUNAR_HOLIDAYS.items():
        got = (lunar_python.Lunar.fromYmd(year, 1, 1).getSolar(),
               lunar_python.Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"],
               lunar_python.Lunar.fromYmd(year, 5, 5).getSolar(), lunar_python.Lunar.fromYmd(year, 8, 15).getSolar())
        assert [(s.getMonth(), s.getDay()) for s in got] == [new_year, qingming, dragon_boat, mid_autumn], year
