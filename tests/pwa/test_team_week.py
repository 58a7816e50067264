"""The team leader's week (issue 16): the team's visits by day, several rescheduled at once (offline,
synced later), clashes named by person, and each member's section (department, synced, complete)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.pwa.helpers import login, small_text, wait_controlled, wait_synced

pytestmark = pytest.mark.browser


def test_leader_reschedules_two_visits_at_once_and_sees_the_clash_by_name(app, fu, live, page, context, shot, errors):
    base, _ = live
    login(page, base, fu["username"])
    wait_controlled(page)
    wait_synced(page)
    page.get_by_role("link", name="检查组").click()
    page.wait_for_selector(".week")
    shot(page, "week-01-team-week")
    first, second = fu["visits"][0], fu["visits"][1]

    # Offline, both visits moved to the same morning of another week.
    context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    # Each click re-renders the week: wait for the week shown (its Monday, in Beijing time, as the phone
    # counts days) before looking for a visit in it.
    monday = _monday(dt.datetime.now(ZoneInfo("Asia/Shanghai")).date())
    page.locator("button", has_text="本周").click()
    page.locator(f".day[data-date='{monday}']").wait_for()
    shown = monday
    for vid in (first, second):
        box = page.locator(f"label.pick[data-visit='{vid}'] input[type=checkbox]")
        if not box.count():  # not in this week: find it week by week
            for _ in range(6):
                page.locator("button", has_text="下一周").click()
                shown += dt.timedelta(days=7)
                page.locator(f".day[data-date='{shown}']").wait_for()
                if box.count():
                    break
        box.check()
    page.wait_for_selector("text=已选 2 户")
    page.locator("input[name=date]").fill("2026-12-16")
    page.locator("input[name=time_from]").fill("09:00")
    page.locator("input[name=time_to]").fill("11:00")
    shot(page, "week-02-reschedule-picked", top=False)
    page.get_by_role("button", name="调整所选日程").click()
    day = page.locator(".day[data-date='2026-12-16']")
    day.locator(f"label.pick[data-visit='{first}']").wait_for()
    day.locator(f"label.pick[data-visit='{second}']").wait_for()
    # The phone names the clash by person at once (the same team booked twice in one slot).
    clash = day.locator(f"label.pick[data-visit='{first}'] .conflict").first
    leader_name = page.evaluate("async () => (await (await import('/js/model.js')).me()).display_name")
    assert leader_name in clash.inner_text() and "编号" not in clash.inner_text()
    # The screen re-renders when the sync attempt ends: scroll in one step, not through a stale element.
    page.evaluate("document.querySelector(\".day[data-date='2026-12-16']\").scrollIntoView()")
    shot(page, "week-03-rescheduled-offline", top=False)

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_synced(page)
    with app.app_context():
        from server.extensions import db
        from server.visits.models import Visit
        rows = db.session.execute(select(Visit).where(Visit.id.in_([first, second]))).scalars().all()
        assert {(v.scheduled_date.isoformat(), v.time_from.strftime("%H:%M"), v.time_to.strftime("%H:%M")) for v in rows} \
            == {("2026-12-16", "09:00", "11:00")}
        db.session.remove()
    # After the sync the server's own warning, named by person, shows as well.
    page.get_by_role("link", name="检查组").click()
    page.locator(".day[data-date='2026-12-16']").wait_for()
    page.wait_for_function("""() => [...document.querySelectorAll(".day[data-date='2026-12-16'] .conflict")]
        .some((e) => e.textContent.includes('在同一时段'))""", timeout=20000)
    texts = page.locator(".day[data-date='2026-12-16'] .conflict").all_inner_texts()
    assert texts and not any("编号" in t for t in texts)

    # Each member's section as the server knows it (online): department, sync, checkpoints.
    members = page.locator("section.card", has_text="组员").first
    members.wait_for()
    text = members.inner_text()
    assert "组长（本机）" in text and "服务器已收到本部门要点" in text and "服务器情况截至" in text
    page.evaluate("[...document.querySelectorAll('section.card')].find((c) => c.textContent.includes('组员')).scrollIntoView()")
    shot(page, "week-04-members", top=False)
    assert small_text(page) == []
    assert not errors, errors


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
