"""Acceptance (f): logout wipes the phone (asking first when something is unsent); a revoked
device is wiped at its next sync. Also the remaining screens' screenshots (team, settings, sync)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.pwa.helpers import login, outbox_state, wait_controlled, wait_synced
from tests.support.http import Session

pytestmark = pytest.mark.browser

LOCAL_DATA = """async () => ({
  dbs: (await indexedDB.databases()).map((d) => d.name),
  caches: await caches.keys(),
})"""


def test_logout_wipes_after_confirming_what_is_unsent(fu, live, page, context, shot, errors):
    base, _ = live
    login(page, base, fu["username"])
    wait_controlled(page)
    wait_synced(page)
    page.get_by_role("link", name="检查组").click()
    page.wait_for_selector("text=您担任组长的检查")
    shot(page, "18-team")
    page.locator(".week label.pick input[type=checkbox]").first.check()
    page.locator("input[name=date]").fill("2026-12-09")
    page.locator("input[name=time_from]").fill("08:30")
    page.locator("input[name=time_to]").fill("10:00")
    page.get_by_role("button", name="调整所选日程").click()
    page.wait_for_selector(".day[data-date='2026-12-09'] >> text=08:30–10:00")
    wait_synced(page)
    page.get_by_role("link", name="同步", exact=True).click()
    page.wait_for_selector("text=待上传文件")
    shot(page, "19-sync")
    page.get_by_role("link", name="设置").click()
    page.wait_for_selector("text=持久存储")
    shot(page, "20-settings")
    assert page.evaluate(LOCAL_DATA)["caches"], "the shell is cached"

    context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    page.goto(base + "/#/")
    page.locator(".visit-card").first.click()
    page.get_by_role("link", name="开始现场检查").click()
    page.get_by_role("button", name="已到达现场").click()
    page.wait_for_selector("text=定位 38.41670")
    assert outbox_state(page)["outbox"] == 1
    page.get_by_role("link", name="设置").click()
    with page.expect_download() as dl:
        page.get_by_role("button", name="导出未发送数据").click()
    exported = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    assert exported["format"] == "dsr-unsent-v1" and [m["name"] for m in exported["outbox"]] == ["visit.arrive"]
    assert dl.value.suggested_filename.endswith(".json")
    page.get_by_role("button", name="退出登录并清除本机数据").click()
    page.wait_for_selector("#confirm[open]")
    text = page.locator("#confirm-text").inner_text()
    assert "1 项操作" in text and "永久丢失" in text
    shot(page, "21-logout-confirm")
    page.locator("#confirm").get_by_role("button", name="取消").click()
    assert outbox_state(page)["outbox"] == 1, "cancelling keeps everything"
    page.get_by_role("button", name="退出登录并清除本机数据").click()
    page.wait_for_selector("#confirm[open]")
    page.locator("#confirm-ok").click()
    page.wait_for_selector("text=已退出登录，本机数据已清除。")
    local = page.evaluate(LOCAL_DATA)
    assert "dsr-field" not in local["dbs"] and local["caches"] == []
    assert not errors, errors


def test_revoked_device_is_wiped_at_next_sync(app, fu, live, page, shot, errors):
    base, _ = live
    login(page, base, fu["username"])
    wait_controlled(page)
    wait_synced(page)
    device_id = page.evaluate("async () => (await (await import('/js/store.js')).get('session')).device_id")
    client = app.test_client()
    office = Session.login(client, "office", DEMO_PASSWORD, "office-device-01").headers
    r = client.post(f"/api/v1/devices/{device_id}/revoke", json={"reason": "手机遗失"}, headers=office)
    assert r.status_code == 200, r.get_json()
    page.locator("#sync-now").click()
    page.wait_for_selector("main .error:has-text(\"此设备已被停用\")", timeout=20000)
    shot(page, "22-revoked")
    local = page.evaluate(LOCAL_DATA)
    assert "dsr-field" not in local["dbs"] and local["caches"] == []
    assert not [e for e in errors if "device_revoked" not in e and "401" not in e], errors
