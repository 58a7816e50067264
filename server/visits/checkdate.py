"""The day a check ended: what the 20-working-day result deadline counts from (Art. 20(3)).

"检查结果应在检查完成之日起20个工作日内录入": the clock starts on the day the check ended on site
(for a documentary check: the day of the desk review), as the phone recorded it — not on the
day the sealed record reached the server, which may be a week later for a team without signal.

The phone records the end (``visit.end_check``: its time with its UTC offset, within the
server's clock tolerance) before the party signs, so the moment is part of the content every
signature binds and the seal keeps. A record sealed without it (older phones) ends on the day
of the seal as the phone's clock read it (the seal mutation's ``client_time``), else on the
server's day of sealing. Days are Asia/Shanghai days.

``check_ended_on(record)`` is the one answer every deadline (the review's, each department's
entry) reads.
"""
from __future__ import annotations

import datetime as dt

from ..errors import Invalid
from ..types import SHANGHAI
from .clock import RECORD_MOMENTS, check_ended_on_site, parse_client_time
from .models import VisitRecord


def local_day(value: str | None) -> dt.date | None:
    """The Asia/Shanghai day of a phone time (ISO 8601 with offset); None if absent or unreadable."""
    if not value:
        return None
    try:
        return parse_client_time(value, "check_ended_at").astimezone(SHANGHAI).date()
    except Invalid:
        return None


def ended_on_at_seal(record: VisitRecord, sealed_at: dt.datetime, seal_client_time: str | None) -> dt.date:
    """The day to store when a record is sealed: the recorded end of the check, else the day of
    the seal on the phone's clock (never after the server's seal, never before the latest on-site
    moment recorded: ``clock.check_ended_on_site``)."""
    ended = local_day(record.check_ended_at)
    if ended is not None:
        return ended
    return check_ended_on_site(sealed_at, seal_client_time,
                               {column: getattr(record, column) for column, _, _ in RECORD_MOMENTS})


def check_ended_on(record: VisitRecord) -> dt.date | None:
    """The day the check ended on site (see the module docstring); None while not ended.

    Sealed records answer the day stored at sealing; unsealed ones the recorded end, if any.
    """
    if record.check_ended_on is not None:
        return record.check_ended_on
    return local_day(record.check_ended_at)
