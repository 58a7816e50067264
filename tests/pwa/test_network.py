"""Acceptance (c)–(e): a dropped upload resumes byte-exact; a lost push reply doubles nothing;
a rejected mutation waits in "needs attention" with the server's Chinese message."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.pwa import flows
from tests.pwa.helpers import BIG_PHOTO, login, outbox_state, server_upload, sha256_file, wait_controlled, wait_synced

pytestmark = pytest.mark.browser


def test_upload_resumes_after_the_connection_drops(app, fu, live, page, context, errors):
    base, rec = live
    login(page, base, fu["username"])
    page.goto(f"{base}/#/visit/{fu['visits'][0]}/check")
    li = page.locator("li.checkpoint[data-key='1:cp1']")
    li.get_by_role("button", name="合格", exact=True).click()
    rec.patch_delay = 0.35  # a slow mobile uplink: 256 KiB chunks
    mark = len(rec.log)
    page.locator("li.checkpoint[data-key='1:cp1'] input[type=file][accept='image/*']").set_input_files(str(BIG_PHOTO))
    deadline = time.monotonic() + 20
    while sum(1 for m, p in rec.log[mark:] if m == "PATCH") < 2:
        assert time.monotonic() < deadline, rec.log[mark:]
        time.sleep(0.05)
    context.set_offline(True)
    page.wait_for_timeout(1500)
    media_id = page.evaluate("async () => { const { all } = await import('/js/store.js'); return (await all('media'))[0].media_id; }")
    partial = server_upload(app, media_id)
    assert partial is not None and 0 < partial["offset"] < partial["length"], partial
    rec.patch_delay = 0
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_synced(page, 60000)
    after = rec.log[mark:]
    assert sum(1 for m, p in after if m == "POST" and p == "/api/v1/uploads/") == 1, "resumed, not started again"
    assert any(m == "HEAD" for m, p in after), "the client asked the server for its offset"
    done = server_upload(app, media_id)
    assert done["offset"] == done["length"] == BIG_PHOTO.stat().st_size
    assert done["stored_sha256"] == sha256_file(BIG_PHOTO)
    assert not errors, errors


def test_lost_push_reply_doubles_nothing(app, fu, live, page, context, errors):
    base, rec = live
    login(page, base, fu["username"])
    visit_id = fu["visits"][0]
    page.goto(f"{base}/#/visit/{visit_id}")
    page.wait_for_selector("text=检查对象")
    context.set_offline(True)
    flows.on_site(page)
    flows.add_finding(page)
    queued = outbox_state(page)["outbox"]
    assert queued == 5
    rec.hold_push = True
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    assert rec.held.wait(20), "the push was not sent"
    page.close()  # the app is closed while the reply is lost on the way
    rec.hold_push = False
    rec.release.set()
    again = context.new_page()
    again.goto(base + "/")
    wait_synced(again, 30000)
    assert outbox_state(again)["attention"] == 0

    from server.extensions import db
    from server.visits.models import Finding, VisitRecord
    from sync.models import SyncMutation

    with app.app_context():
        rows = db.session.execute(select(SyncMutation.mutation_id, SyncMutation.status)).all()
        assert sorted(r.mutation_id for r in rows) == [1, 2, 3, 4, 5] and {r.status for r in rows} == {"applied"}
        assert db.session.execute(select(func.count()).select_from(Finding).where(Finding.visit_id == visit_id)).scalar() == 1
        assert len(db.session.get(VisitRecord, visit_id).present) == 2
        db.session.remove()
    pushes = [p for m, p in rec.log if p == "/api/v1/sync/push"]
    assert len(pushes) >= 2  # the lost one and the replay


def test_rejected_mutation_needs_attention(app, fu, live, page, context, shot, errors):
    from tests.support.field import complete_inspection
    from tests.support.http import Session
    from tests.conftest import DEMO_PASSWORD

    base, rec = live
    login(page, base, fu["username"])
    wait_controlled(page)  # the worker has cached the app's screens before the network goes
    visit_id = fu["visits"][0]
    context.set_offline(True)
    page.goto(f"{base}/#/visit/{visit_id}/check")
    page.locator("li.checkpoint[data-key='1:cp2']").get_by_role("button", name="不合格", exact=True).click()
    page.wait_for_selector("li.checkpoint[data-key='1:cp2'] button.fail[aria-pressed=true]")
    # Meanwhile the team finished and sealed this record from other phones.
    client = app.test_client()
    complete_inspection(client, Session.login(client, "office", DEMO_PASSWORD, "office-device-01").headers, visit_id,
                        scout=fu["username"])
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("[data-k=attention]", timeout=30000)
    page.locator("[data-k=attention]").click()
    item = page.locator(".attention")
    item.wait_for()
    assert "检查要点" in item.inner_text()
    assert "该检查记录已签名封存，不能再修改" in item.locator(".server-message").inner_text()
    shot(page, "16-needs-attention")
    item.get_by_role("button", name="放弃").click()
    assert page.locator("#confirm").is_visible()
    assert "无法恢复" in page.locator("#confirm-text").inner_text()
    shot(page, "17-discard-confirm")
    page.locator("#confirm").get_by_role("button", name="取消").click()
    assert page.locator(".attention").count() == 1, "cancelling keeps the item"
    item.get_by_role("button", name="放弃").click()
    page.locator("#confirm-ok").click()
    page.wait_for_selector("text=没有需要处理的项目。")
    assert outbox_state(page)["attention"] == 0
    assert not [e for e in errors if "record_sealed" not in e], errors


def test_a_busy_server_is_waited_for_and_the_work_still_arrives_once(app, fu, live, page, shot, errors, monkeypatch):
    """Every place of the server's sync gate is taken (sync/gate.py): the phone's push waits its
    time, gets 503 `sync_busy`, says so in Chinese, retries no sooner than the server asked, and
    delivers everything exactly once when the server is free again."""
    from sync import gate
    from sync.models import SyncMutation

    from server.extensions import db

    def stored() -> list[str]:
        with app.app_context():
            rows = db.session.execute(select(SyncMutation.status)).scalars().all()
            db.session.remove()
        return rows

    base, rec = live
    login(page, base, fu["username"])
    wait_synced(page)
    before = stored()
    monkeypatch.setitem(app.config, "SYNC_GATE_TIMEOUT", 0.3)
    places = gate._gate(app.config["SYNC_CONCURRENCY"])
    taken = 0
    try:
        for _ in range(app.config["SYNC_CONCURRENCY"]):  # other phones' pushes hold every place
            assert places.acquire(timeout=10)
            taken += 1
        page.goto(f"{base}/#/visit/{fu['visits'][0]}")
        page.wait_for_selector("text=检查对象")
        flows.on_site(page)
        page.wait_for_selector("[data-k=status]:has-text('服务器正忙')")
        page.wait_for_function("""async () => { const { state } = await import('/js/sync.js');
          return !state.running && state.retryAt !== null; }""")
        wait = page.evaluate("async () => (await import('/js/sync.js')).state.retryAt - Date.now()")
        assert wait > 3000  # Retry-After 5: not sooner (less what the checks above took)
        queued = outbox_state(page)["outbox"]
        assert queued == 4 and stored() == before  # nothing of the refused pushes was written
        shot(page, "30-sync-busy")
    finally:
        for _ in range(taken):
            places.release()
    # The phone's own retry timer, nothing pressed: its backoff grew with each refused push.
    retry_in = page.evaluate("async () => (await import('/js/sync.js')).state.retryAt - Date.now()")
    wait_synced(page, max(0, retry_in) + 20000)
    page.wait_for_selector("[data-k=status]:has-text('在线')")
    after = stored()
    assert len(after) == len(before) + 4 and after.count("applied") == before.count("applied") + 4  # each once
    assert not [e for e in errors if "503" not in e], errors
