"""The statutory holidays of a year, for provisional deadlines (全国年节及纪念日放假办法, 2024 revision).

Until the office enters the State Council's notice for a year, its working days are counted
provisionally: Monday to Friday, less the days off the law itself fixes —

- 元旦 1 January; 劳动节 1–2 May; 国庆节 1–3 October (fixed dates);
- 春节 the lunar New Year's Eve and the first three days of the first lunar month (4 days);
  清明节 the day of the Qingming solar term; 端午节 the 5th day of the 5th lunar month;
  中秋节 the 15th day of the 8th lunar month (``LUNAR_HOLIDAYS``);
- and, for each of these days that falls on a Saturday or Sunday, a day off in lieu on the
  next working day (Art. 6: "适逢星期六、星期日，应当在工作日补假").

Assumptions, stated on every provisional deadline (``service.provisional_message``): the make-up
workdays (调休上班日) and the bridging days of the State Council's notice are not known in
advance and are not counted; a holiday that coincides with another (中秋节 on 1–3 October) is
one day off, not two.

The lunar and solar-term dates of 2024–2050 below were computed with ``lunar-python`` 1.4.8
(6tail's Chinese calendar: ``Lunar.fromYmd(y, 1, 1).getSolar()``, the 清明 entry of
``getJieQiTable()``, ``Lunar.fromYmd(y, 5, 5)``, ``Lunar.fromYmd(y, 8, 15)``) and agree with
the State Council's notices of 2024–2026 (the revised holidays apply from 2025 on; every year
without its official calendar is later). They are kept here as data so that no deadline
depends on a package being installed; years after 2050 count the fixed-date holidays only.

Pure module: standard library only.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

FIXED_STATUTORY_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})

# year: (正月初一, 清明, 端午 (五月初五), 中秋 (八月十五)) as (month, day) in the Gregorian calendar.
LUNAR_HOLIDAYS: dict[int, tuple[tuple[int, int], ...]] = {
    2024: ((2, 10), (4, 4), (6, 10), (9, 17)), 2025: ((1, 29), (4, 4), (5, 31), (10, 6)),
    2026: ((2, 17), (4, 5), (6, 19), (9, 25)), 2027: ((2, 6), (4, 5), (6, 9), (9, 15)),
    2028: ((1, 26), (4, 4), (5, 28), (10, 3)), 2029: ((2, 13), (4, 4), (6, 16), (9, 22)),
    2030: ((2, 3), (4, 5), (6, 5), (9, 12)), 2031: ((1, 23), (4, 5), (6, 24), (10, 1)),
    2032: ((2, 11), (4, 4), (6, 12), (9, 19)), 2033: ((1, 31), (4, 4), (6, 1), (9, 8)),
    2034: ((2, 19), (4, 5), (6, 20), (9, 27)), 2035: ((2, 8), (4, 5), (6, 10), (9, 16)),
    2036: ((1, 28), (4, 4), (5, 30), (10, 4)), 2037: ((2, 15), (4, 4), (6, 18), (9, 24)),
    2038: ((2, 4), (4, 5), (6, 7), (9, 13)), 2039: ((1, 24), (4, 5), (5, 27), (10, 2)),
    2040: ((2, 12), (4, 4), (6, 14), (9, 20)), 2041: ((2, 1), (4, 4), (6, 3), (9, 10)),
    2042: ((1, 22), (4, 4), (6, 22), (9, 28)), 2043: ((2, 10), (4, 5), (6, 11), (9, 17)),
    2044: ((1, 30), (4, 4), (5, 31), (10, 5)), 2045: ((2, 17), (4, 4), (6, 19), (9, 25)),
    2046: ((2, 6), (4, 4), (6, 8), (9, 15)), 2047: ((1, 26), (4, 5), (5, 29), (10, 4)),
    2048: ((2, 14), (4, 4), (6, 15), (9, 22)), 2049: ((2, 2), (4, 4), (6, 4), (9, 11)),
    2050: ((1, 23), (4, 4), (6, 23), (9, 30)),
}
_ONE_DAY = timedelta(days=1)


def holidays(year: int) -> frozenset[date]:
    """The statutory holidays of ``year`` themselves (without the days in lieu)."""
    days = {date(year, m, d) for m, d in FIXED_STATUTORY_HOLIDAYS}
    lunar = LUNAR_HOLIDAYS.get(year)
    if lunar:
        new_year = date(year, *lunar[0])
        days.update(new_year + timedelta(days=k) for k in range(-1, 3))  # 除夕 and 初一 to 初三
        days.update(date(year, m, d) for m, d in lunar[1:])
    # The lunar New Year lies between 21 January and 20 February: its eve is always in the same year.
    return frozenset(days)


@lru_cache(maxsize=64)
def days_off(year: int) -> frozenset[date]:
    """Every weekday off in ``year`` by the law alone: the holidays and the days in lieu."""
    off = holidays(year)
    out = set(d for d in off if d.weekday() < 5)
    for d in sorted(off):
        if d.weekday() >= 5:
            lieu = d + _ONE_DAY
            while lieu.weekday() >= 5 or lieu in off or lieu in out:
                lieu += _ONE_DAY
            out.add(lieu)
    return frozenset(out)


def provisional_workday(d: date) -> bool:
    """A day of a year whose official calendar is missing, counted provisionally: Monday to
    Friday, except the statutory holidays and their days in lieu (``days_off``)."""
    return d.weekday() < 5 and d not in days_off(d.year)


def covers_lunar(year: int) -> bool:
    """Whether the lunar holidays of ``year`` are known here (2024–2050)."""
    return year in LUNAR_HOLIDAYS
