"""Background Sync: the service worker's `sync` event (tag "outbox") delivers what an inspector
recorded offline, with no page of the app open (the worker sends the mutations itself) and with
one open (the worker asks the page to flush). The event is fired through the DevTools protocol
(ServiceWorker.dispatchSyncEvent), as Chromium does when the network comes back.

The test context grants only geolocation, so the app's own `sync.register('outbox')` is refused
there and the browser fires nothing by itself: that isolates the dispatched event. The last test
grants Background Sync (a phone's default) to watch the browser fire it on reconnect."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from tests.pwa import flows
from tests.pwa.helpers import login, outbox_state, wait_controlled, wait_synced

pytestmark = pytest.mark.browser
PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"


class Worker:
    """The app's service worker as DevTools sees it, through a CDP session on a page of the context."""

    def __init__(self, context, target_page, origin: str):
        self.origin = origin
        self.cdp = context.new_cdp_session(target_page)
        self.registrations: dict[str, dict] = {}
        self.cdp.on("ServiceWorker.workerRegistrationUpdated",
                    lambda ev: self.registrations.update({r["registrationId"]: r for r in ev["registrations"]}))
        self.cdp.send("ServiceWorker.enable")

    def registration_id(self, page) -> str:
        deadline = time.monotonic() + 10
        while True:
            ids = [rid for rid, r in self.registrations.items()
                   if r["scopeURL"] == self.origin + "/" and not r.get("isDeleted")]
            if ids:
                return ids[0]
            assert time.monotonic() < deadline, f"no service worker registration for {self.origin}: {self.registrations}"
            page.wait_for_timeout(100)

    def sync(self, page, tag: str = "outbox") -> None:
        self.cdp.send("ServiceWorker.dispatchSyncEvent", {"origin": self.origin, "registrationId": self.registration_id(page),
                                                          "tag": tag, "lastChance": False})

    def watch_background_sync(self) -> list[dict]:
        """What the browser's own Background Sync does (registered, dispatched, completed or failed)."""
        events: list[dict] = []
        self.cdp.on("BackgroundService.backgroundServiceEventReceived", lambda ev: events.append(ev["backgroundServiceEvent"]))
        self.cdp.send("BackgroundService.startObserving", {"service": "backgroundSync"})
        self.cdp.send("BackgroundService.setRecording", {"shouldRecord": True, "service": "backgroundSync"})
        return events


def _applied(app) -> list[tuple[int, str]]:
    from server.extensions import db
    from sync.models import SyncMutation

    with app.app_context():
        rows = db.session.execute(select(SyncMutation.mutation_id, SyncMutation.status).order_by(SyncMutation.mutation_id)).all()
        db.session.remove()
        return [(r.mutation_id, r.status) for r in rows]


def _wait_applied(app, page, n: int, timeout: float = 30) -> list:
    deadline = time.monotonic() + timeout
    while len(rows := _applied(app)) < n:
        assert time.monotonic() < deadline, f"the server has {rows}, expected {n} mutations"
        page.wait_for_timeout(200)
    return rows


def _sync_delivers(app, rec, worker, page, before: int, queued: int) -> int:
    """Nothing reaches the server until the dispatched sync event; after it, one push applies the
    queued mutations. Returns the request log's mark from before the event."""
    mark = len(rec.log)
    worker.registration_id(page)
    page.wait_for_timeout(1500)
    assert _pushes(rec, mark) == 0 and len(_applied(app)) == before, "nothing is sent before the sync event"
    worker.sync(page)
    rows = _wait_applied(app, page, before + queued)
    assert [s for _, s in rows[before:]] == ["applied"] * queued, rows
    assert _pushes(rec, mark) == 1
    return mark


def _record_offline(page, context, base: str, visit_id: str) -> int:
    """Arrive at the visit with no network: the outbox holds the site steps' mutations."""
    page.goto(f"{base}/#/visit/{visit_id}")
    page.wait_for_selector("text=检查对象")
    context.set_offline(True)
    flows.on_site(page)
    queued = outbox_state(page)["outbox"]
    assert queued == 4, queued
    return queued


def _last_sync(page) -> str | None:
    return page.evaluate("async () => (await import('/js/store.js')).get('last_sync_at')")


def _pushes(rec, since: int) -> int:
    return sum(1 for m, p in rec.log[since:] if m == "POST" and p == PUSH)


@pytest.mark.parametrize("other", ["about:blank", "/review"], ids=["blank", "back-office-open"])
def test_sync_event_with_no_page_open_sends_the_outbox(app, fu, live, page, context, shot, errors, other):
    """`other` is the page left open (and the DevTools target): a blank tab, or the back office of
    the same origin, which is a window of the worker but no page of the app."""
    base, rec = live
    login(page, base, fu["username"])
    wait_controlled(page)
    wait_synced(page)
    last = _last_sync(page)
    before = len(_applied(app))
    visit_id = fu["visits"][0]
    queued = _record_offline(page, context, base, visit_id)
    assert not errors, errors
    page.close()  # every page of the app; the context (and its service worker) stays
    context.set_offline(False)

    other_page = context.new_page()
    if other != "about:blank":
        other_page.goto(base + other)
    # Sent by the worker itself: no page of the app is open.
    mark = _sync_delivers(app, rec, Worker(context, other_page, base), other_page, before, queued)
    from server.extensions import db
    from server.visits.models import VisitRecord

    with app.app_context():
        record = db.session.get(VisitRecord, visit_id)
        assert len(record.present) == 2 and record.arrival_gps["lat"] == pytest.approx(38.4167)
        db.session.remove()

    # The worker pulls after its push, and only that pull drops the acknowledged mutations: the
    # network goes only once the pull has been asked for and had time to be answered and written
    # (going offline first failed that pull now and then on a loaded machine).
    deadline = time.monotonic() + 30
    while not any(m == "GET" and p == PULL for m, p in rec.log[mark:]):
        assert time.monotonic() < deadline, "the worker did not pull after its push"
        other_page.wait_for_timeout(100)
    other_page.wait_for_timeout(3000)

    # Reopened with no network (so this page can send nothing): the worker's pull already
    # settled the outbox, and the sync bar says so.
    context.set_offline(True)
    reopened = context.new_page()
    reopened.goto(f"{base}/#/visit/{visit_id}/site")
    # Any flush still running (the worker's) ends before the outbox is read: it holds this lock.
    reopened.evaluate("() => navigator.locks.request('dsr-sync-flush', () => true)")
    reopened.wait_for_selector("text=已记录 2 人")
    assert outbox_state(reopened) == {"outbox": 0, "attention": 0, "media": 0}
    assert reopened.evaluate("async () => (await (await import('/js/store.js')).all('outbox')).length") == 0, \
        "acknowledged mutations were dropped after the pull"
    assert _last_sync(reopened) > last
    reopened.wait_for_selector("[data-k=mutations]:has-text('待发送 0 项')")
    if other == "about:blank":
        shot(reopened, "20-background-sync-reopened")
    assert _pushes(rec, mark) == 1
    assert not errors, errors


def test_sync_event_with_the_app_open_asks_the_page_to_flush(app, fu, live, page, context, shot, errors):
    base, rec = live
    login(page, base, fu["username"])
    wait_controlled(page)
    wait_synced(page)
    before = len(_applied(app))
    visit_id = fu["visits"][0]
    # The server turns pushes away for an hour: the page's own triggers (after each change, and
    # its retry timer) are spent, so only the sync event can make it flush within this test.
    rec.busy_push = 3600
    page.goto(f"{base}/#/visit/{visit_id}")
    page.wait_for_selector("text=检查对象")
    flows.on_site(page)
    page.wait_for_selector("[data-k=status]:has-text('请求过于频繁')")
    page.wait_for_function("""async () => { const { state } = await import('/js/sync.js');
      return !state.running && state.retryAt > Date.now() + 1800 * 1000; }""")
    # Sync events the browser fired for the steps' registrations may still be on their way to the
    # page (a loaded machine delays them): let them meet the busy server too, then check again.
    page.wait_for_timeout(2000)
    page.wait_for_function("""async () => { const { state } = await import('/js/sync.js');
      return !state.running && state.retryAt > Date.now() + 1800 * 1000; }""")
    queued = outbox_state(page)["outbox"]
    assert queued == 4 and len(_applied(app)) == before
    rec.busy_push = 0
    page.evaluate("""() => { window.swMessages = [];
      navigator.serviceWorker.addEventListener('message', (e) => window.swMessages.push(e.data)); }""")
    _sync_delivers(app, rec, Worker(context, page, base), page, before, queued)
    assert page.evaluate("window.swMessages") == [{"type": "flush"}]
    # The page's own flush ran and succeeded: its retry an hour away is cleared, the error gone.
    page.wait_for_function("""async () => { const { state } = await import('/js/sync.js');
      return !state.running && state.retryAt === null && state.error === null; }""")
    wait_synced(page)
    page.wait_for_selector("[data-k=status]:has-text('在线')")
    shot(page, "21-background-sync-page-flushed")
    assert not [e for e in errors if "429" not in e], errors


def test_the_browser_fires_sync_on_reconnect_and_retries_a_failed_flush(app, fu, live, page, context, errors):
    """With Background Sync allowed (a phone's default; the test context denies what it does not
    grant), the registration made offline waits; the network returns with no page of the app open
    and the browser fires it. The server turns the push away: the event must fail, so that the
    browser keeps it and fires it again later (Chromium: in 5 minutes), since the worker's own retry
    timer dies with the worker."""
    base, rec = live
    context.grant_permissions(["geolocation", "background-sync"], origin=base)
    login(page, base, fu["username"])
    wait_controlled(page)
    wait_synced(page)
    before = len(_applied(app))
    queued = _record_offline(page, context, base, fu["visits"][0])
    page.close()
    rec.busy_push = 3600
    mark = len(rec.log)
    blank = context.new_page()
    worker = Worker(context, blank, base)
    events = worker.watch_background_sync()
    context.set_offline(False)
    deadline = time.monotonic() + 20
    while not (ended := [e for e in events if e["eventName"] in ("Sync completed", "sync event failed")]):
        assert time.monotonic() < deadline, events
        blank.wait_for_timeout(100)
    assert [e["eventName"] for e in events][:1] == ["Dispatched sync event"], events
    assert ended[0]["eventName"] == "sync event failed", ended
    meta = {m["key"]: m["value"] for m in ended[0]["eventMetadata"]}
    assert meta["Failure Reason"] == "waitUntil rejected" and int(meta["Next Attempt Delay (ms)"]) > 0, meta
    assert _pushes(rec, mark) == 1 and len(_applied(app)) == before

    rec.busy_push = 0
    _sync_delivers(app, rec, worker, blank, before, queued)  # the dispatch stands in for the browser's retry
    assert not errors, errors
