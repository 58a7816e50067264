"""Permission-matrix rows of the working-day calendar: everyone signed in reads, only the
office administrator changes it."""
from __future__ import annotations

from tests.support.matrix import AUTHED, Row, uniq

OFFICE = {"office"}


def _new_day(ctx, who) -> str:
    # A distinct day per call, so every persona's attempt is a fresh change.
    n = uniq()
    return f"2031-{1 + n % 12:02d}-{1 + n % 28:02d}"


def prepare(ctx):
    client, office = ctx["client"], ctx["sessions"]["office"].headers
    r = client.post("/api/v1/calendar/overrides", headers=office,
                    json={"from": "2031-10-01", "to": "2031-10-07", "is_workday": False, "note": "国庆节"})
    assert r.status_code == 200, r.get_json()


def _delete(ctx, who):
    day = _new_day(ctx, who)
    office = ctx["sessions"]["office"].headers
    r = ctx["client"].post("/api/v1/calendar/overrides", headers=office,
                           json={"from": day, "is_workday": False, "note": "矩阵"})
    assert r.status_code == 200, r.get_json()
    return f"/api/v1/calendar/overrides/{day}", {}


ROWS = {
    ("GET", "/api/v1/calendar/overrides"): Row(AUTHED, lambda c, w: ("/api/v1/calendar/overrides?year=2031", {})),
    ("POST", "/api/v1/calendar/overrides"): Row(
        OFFICE, lambda c, w: ("/api/v1/calendar/overrides",
                              {"json": {"from": _new_day(c, w), "is_workday": True, "note": "调休上班"}})),
    ("DELETE", "/api/v1/calendar/overrides/<day>"): Row(OFFICE, _delete),
    ("PUT", "/api/v1/calendar/years/<int:year>"): Row(
        OFFICE, lambda c, w: ("/api/v1/calendar/years/2031",
                              {"json": {"declared_complete": True, "source": "国办发明电〔2030〕1号"}})),
    ("GET", "/api/v1/calendar/status"): Row(AUTHED, lambda c, w: ("/api/v1/calendar/status", {})),
    ("GET", "/api/v1/calendar/deadline"): Row(
        AUTHED, lambda c, w: ("/api/v1/calendar/deadline?ended_on=2025-09-26", {})),
}

