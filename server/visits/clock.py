"""Times the phone supplies: parsed, and refused when they cannot be true.

The phone records when things happened on site (arrival, credentials shown,
rights informed, when a photo was taken, the moment of a signature or of the
seal). The server cannot prove those times, but it refuses the impossible: a
moment later than the server's clock by more than the skew a phone's clock may
have, and a seal earlier than an on-site moment it seals (the seal time is the
server's). A photo's time is checked when attached, not against the seal: see
``sign.seal``.
"""
from __future__ import annotations

import datetime as dt

from ..errors import Invalid, field_error
from ..types import SHANGHAI, utcnow

# How far a phone's clock may run ahead of the server's before its times are refused.
CLOCK_SKEW_TOLERANCE = dt.timedelta(minutes=5)

# The record's on-site moments: (column, Chinese label, code when later than the seal).
RECORD_MOMENTS = (
    ("arrival_at", "到达时间", "arrival_after_seal"),
    ("credentials_shown_at", "出示执法证件时间", "time_after_seal"),
    ("rights_informed_at", "告知权利义务时间", "time_after_seal"),
)
# The same moments in the canonical record view that amendments patch.
VIEW_MOMENTS = (
    (("arrival", "at"), "arrival_at"),
    (("credentials_shown_at",), "credentials_shown_at"),
    (("rights_informed_at",), "rights_informed_at"),
)


# The end of the check (``visit.end_check``) is not compared with the seal either: it comes
# minutes before it, and a phone whose clock runs a minute or two fast could then never seal.
# It is checked when recorded (not in the future, not before the arrival).

# What a media claim's `captured_at` is called, by media kind.
CAPTURE_LABELS = {"photo": "拍摄时间", "video": "拍摄时间", "audio": "录音时间", "signature": "签名时间"}


class TimeInFuture(Invalid):
    code, title = "time_in_future", "时间晚于服务器当前时间"


class TimeAfterSeal(Invalid):
    code, title = "time_after_seal", "时间晚于封存时间"


def _shown(t: dt.datetime) -> str:
    return t.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def parse_client_time(value: str, field: str) -> dt.datetime:
    """An ISO 8601 time with its UTC offset, as the phone sends it; anything else is refused."""
    try:
        t = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        t = None
    if t is None or t.tzinfo is None:
        message = "须为带时区的 ISO 8601 时间，例如 2026-03-02T09:14:03+08:00。"
        shown = str(value) if len(str(value)) <= 40 else str(value)[:40] + "…"
        raise Invalid(f"时间“{shown}”格式不正确：{message}", code="validation_failed",
                      errors=[field_error(field, message)])
    return t


def refuse_future(value: str, field: str, label: str, *, code: str = "time_in_future",
                  now: dt.datetime | None = None) -> dt.datetime:
    """The parsed time, unless it is more than CLOCK_SKEW_TOLERANCE after the server's now."""
    t = parse_client_time(value, field)
    now = now or utcnow()
    if t > now + CLOCK_SKEW_TOLERANCE:
        minutes = int(CLOCK_SKEW_TOLERANCE.total_seconds() // 60)
        raise TimeInFuture(
            f"{label}（{_shown(t)}）晚于服务器当前时间（{_shown(now)}）超过 {minutes} 分钟。"
            "请核对手机的日期、时间和时区设置，改正后重新记录。",
            code=code, errors=[field_error(field, f"{label}不能晚于当前时间。")],
            extra={"server_time": now.isoformat(), "tolerance_seconds": int(CLOCK_SKEW_TOLERANCE.total_seconds())})
    return t


def refuse_future_capture(claim: dict, kind: str) -> None:
    """A media claim's `captured_at`, when stated (not null), must be a time with its offset
    and not in the future (as `refuse_future`)."""
    value = claim.get("captured_at")
    if value is not None:
        refuse_future(value, "claim.captured_at", CAPTURE_LABELS.get(kind, "拍摄时间"))


def refuse_after_seal(moments: dict[str, str | None], sealed_at: dt.datetime) -> None:
    """Refuse a seal (or an amendment of a sealed record) that some on-site moment postdates.

    `moments` maps RECORD_MOMENTS columns to their recorded values. A value that is not
    a time with an offset (stored before times were checked) cannot be compared and is
    left to the reviewer.
    """
    for column, label, code in RECORD_MOMENTS:
        value = moments.get(column)
        if not value:
            continue
        try:
            t = parse_client_time(value, column)
        except Invalid:
            continue
        if t > sealed_at:
            raise TimeAfterSeal(
                f"记录的{label}（{_shown(t)}）晚于封存时间（{_shown(sealed_at)}）。"
                "请核对手机的日期、时间和时区设置；如记录的时间有误，改正后重新记录。",
                code=code, errors=[field_error(column, f"{label}不能晚于封存时间。")],
                extra={"sealed_at": sealed_at.isoformat()})


def view_moments(view: dict) -> dict[str, str | None]:
    """The on-site moments of a canonical record view (as amendments see it), by column."""
    out = {}
    for path, column in VIEW_MOMENTS:
        node = view
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        out[column] = node if isinstance(node, str) or node is None else str(node)
    return out


def check_ended_on_site(sealed_at: dt.datetime, client_time: str | None = None,
                        moments: dict[str, str | None] | None = None) -> dt.date:
    """The day the check ended on site (Beijing time): the one day every deadline of a check
    counts from (result entry, Art. 20(3)) and the day the object's check history records.

    A record sealed on site but synced later still ended on the day the team sealed it: the
    phone's seal time (``client_time``) counts, never later than the server's seal time and never
    earlier than the latest on-site moment recorded (``moments``: RECORD_MOMENTS columns). Without
    a usable phone time it is the day of the server's seal."""
    ended = sealed_at
    if client_time:
        try:
            ended = min(parse_client_time(client_time, "client_time"), sealed_at)
        except Invalid:
            ended = sealed_at
        for value in (moments or {}).values():
            try:
                ended = max(ended, parse_client_time(value, "moment")) if value else ended
            except Invalid:
                continue
        ended = min(ended, sealed_at)
    return ended.astimezone(SHANGHAI).date()
