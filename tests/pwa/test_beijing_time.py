"""On-site times on the phone are Beijing time (issue 16) even on a phone set to another time zone:
what it records carries +08:00 and what it shows (server times are UTC) is converted."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PROBE = """async () => {
  const u = await import('/js/util.js');
  return { now: u.isoNow(), hhmm: u.hhmm('2026-12-03T01:05:00+00:00'), beijing: u.beijing('2026-12-03T17:30:00Z'),
           when: u.when('2026-12-03T17:30:00+00:00'), local: u.hhmm('2026-12-03T09:05:00+08:00'), km: u.km(12.345),
           near: u.km(0.04), today: u.today() };
}"""


def test_times_are_beijing_on_a_phone_set_to_new_york(browser, live):
    base, _ = live
    context = browser.new_context(timezone_id="America/New_York", locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(base + "/")
        got = page.evaluate(PROBE)
        beijing_today = page.evaluate("() => new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Shanghai'}).format(new Date())")
    finally:
        context.close()
    assert got["now"].endswith("+08:00") and len(got["now"]) == 25
    assert got["hhmm"] == "09:05" and got["local"] == "09:05"
    assert got["beijing"] == "2026-12-04 01:30" and got["when"] == "12月4日 01:30"
    assert got["km"] == "12.3 公里" and got["near"] == "<0.1 公里"
    assert got["today"] == beijing_today
