"""The administrator-maintained working-day calendar (overrides take precedence)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime, utcnow


class HolidayOverride(db.Model):
    """One day whose status an administrator fixed: a holiday (is_workday False) or a
    make-up workday (True). Wins over chinesecalendar and over the weekday rule."""

    __tablename__ = "calendar_overrides"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[Optional[str]] = mapped_column(String(200))
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarYear(db.Model):
    """A year whose holidays and make-up workdays the administrator declared fully entered
    (from the State Council's notice), so unknown days of it follow the Mon–Fri rule."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    declared_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[Optional[str]] = mapped_column(String(300))
    declared_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
