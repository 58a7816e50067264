"""The shell's life: an update waits for "立即更新" and cleans the old cache; an expired login
keeps the outbox and asks for the password at the next sync."""
from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.pwa.helpers import login, outbox_state, wait_controlled, wait_synced

pytestmark = pytest.mark.browser


def test_update_ready_prompt_and_old_cache_cleanup(fu, live, page, monkeypatch, shot, errors):
    base, _ = live
    login(page, base, fu["username"])
    wait_controlled(page)
    first = page.evaluate("caches.keys()")
    assert len(first) == 1 and first[0].startswith("dsr-shell-")
    monkeypatch.setattr("server.web.shell_version", lambda: "v2-test-update")
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    page.wait_for_selector("#update:not([hidden])", timeout=20000)
    shot(page, "23-update-ready")
    assert page.evaluate("caches.keys()") == first or len(page.evaluate("caches.keys()")) == 2  # old one still serves
    with page.expect_navigation():
        page.get_by_role("button", name="立即更新").click()
    page.wait_for_selector(".visit-card")
    page.wait_for_function("caches.keys().then((k) => k.length === 1 && k[0] === 'dsr-shell-v2-test-update')", timeout=10000)
    assert not errors, errors


def test_expired_login_keeps_outbox_and_asks_for_password(fu, live, page, context, shot, errors):
    base, rec = live
    login(page, base, fu["username"])
    wait_synced(page)
    context.set_offline(True)
    # Offline for weeks: both tokens have expired meanwhile.
    page.evaluate("""async () => {
      const store = await import('/js/store.js');
      const s = await store.get('session');
      await store.set('session', { ...s, access_exp: 0, refresh_token: 'expired-refresh-token-0000' });
    }""")
    page.locator(".visit-card").first.click()
    page.get_by_role("link", name="开始现场检查").click()
    page.get_by_role("button", name="已到达现场").click()
    page.wait_for_selector("text=定位 38.41670")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("[data-k=status]:has-text('登录已过期')", timeout=20000)
    assert outbox_state(page)["outbox"] == 1, "the outbox is kept"
    page.get_by_role("link", name="同步", exact=True).click()
    page.wait_for_selector("text=请重新输入密码")
    shot(page, "24-password-needed")
    page.locator("section.card", has_text="请重新输入密码").get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录并同步").click()
    wait_synced(page)
    assert any(p == "/api/v1/sync/push" for _, p in rec.log)
    assert not [e for e in errors if "401" not in e], errors
