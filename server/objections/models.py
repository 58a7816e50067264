"""An objection (异议) to a published result: who filed it (name and contact, never shown
publicly), the reference number the filer looks it up by, and the department's decision."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import JSONType, UTCDateTime, utcnow

OBJECTION_STATUSES = {"filed": "待处理", "accepted": "已受理并更正", "rejected": "不予采纳"}


class Objection(db.Model):
    __tablename__ = "result_objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("published_results.id"), index=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="filed", index=True)
    decision_reason: Mapped[Optional[str]] = mapped_column(Text)
    decided_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    result_before: Mapped[Optional[Any]] = mapped_column(JSONType)
    result_after: Mapped[Optional[Any]] = mapped_column(JSONType)
