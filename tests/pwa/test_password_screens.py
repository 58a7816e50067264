"""Own password in the browser (issue 19): an account whose password an administrator reset lands on
the change screen at login, on the phone and at the desk, and nothing else works until it is
changed; the policy's refusals are shown in Chinese; both screens also offer the change any time.
Screenshots at 390×844 into test-artifacts/pwa/."""
from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.pwa.helpers import login
from tests.support.http import Session

pytestmark = pytest.mark.browser

RESET = "Reset-by-Admin-7"


def _reset(app, username: str) -> None:
    client = app.test_client()
    office = Session.login(client, "office", DEMO_PASSWORD, "pw-office-desk-01").headers
    users = client.get("/api/v1/users?limit=500", headers=office).get_json()["items"]
    uid = next(u["id"] for u in users if u["username"] == username)
    assert client.post(f"/api/v1/users/{uid}/password", headers=office, json={"password": RESET}).status_code == 204


def _fill(page, current: str, new: str, again: str | None = None) -> None:
    page.locator("#pw-current_password").fill(current)
    page.locator("#pw-new_password").fill(new)
    page.locator("#pw-new_password_again").fill(new if again is None else again)


def test_phone_forced_change_at_login_then_self_service(app, fu, live, page, shot, errors):
    base, rec = live
    _reset(app, fu["username"])
    page.goto(base + "/")
    page.get_by_label("用户名").fill(fu["username"])
    page.get_by_label("密码").fill(RESET)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("text=请先设置只有您知道的新密码")
    assert page.locator("#title").inner_text() == "设置新密码"
    # Nothing else is reachable: the app sends the user back to the form.
    page.goto(base + "/#/")
    page.wait_for_selector("#pw-new_password")
    _fill(page, RESET, "Aa1!Aa1!", "Aa1!Aa1?")
    page.get_by_role("button", name="设置新密码并继续").click()
    page.wait_for_selector("text=两次输入的新密码不一致。")
    _fill(page, RESET, "Password1")
    page.get_by_role("button", name="设置新密码并继续").click()
    page.wait_for_selector("#pw-error:has-text('密码过于常见')")
    shot(page, "40-password-forced")
    assert "/api/v1/sync/pull" not in rec.paths(), "no sync before the change"
    _fill(page, RESET, "Field-Work-2026")
    page.get_by_role("button", name="设置新密码并继续").click()
    page.wait_for_selector(".visit-card", timeout=20000)

    page.get_by_role("link", name="设置").click()
    page.get_by_role("link", name="修改密码").click()
    page.wait_for_selector("#pw-current_password")
    _fill(page, "not-my-password", "Field-Work-2027")
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_selector("#pw-error:has-text('当前密码不正确')")
    shot(page, "41-password-change")
    _fill(page, "Field-Work-2026", "Field-Work-2027")
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_selector("text=持久存储")
    client = app.test_client()
    assert client.post("/api/v1/auth/login", json={"username": fu["username"], "password": "Field-Work-2027",
                                                   "device_id": "pw-check-000001", "device_name": "x"}).status_code == 200
    assert not errors, errors


def test_desk_forced_change_at_login_and_from_the_header(app, live, page, shot, errors):
    base, _ = live
    _reset(app, "scjg-reviewer")
    page.goto(base + "/review")
    page.locator("#username").fill("scjg-reviewer")
    page.locator("#password").fill(RESET)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_selector("text=请先设置新密码")
    _fill(page, RESET, "scjg-reviewer-2026A")
    page.get_by_role("button", name="设置新密码并继续").click()
    page.wait_for_selector("#pw-error:has-text('密码不能包含用户名')")
    shot(page, "42-desk-password-forced")
    _fill(page, RESET, "Desk-Review-2026")
    page.get_by_role("button", name="设置新密码并继续").click()
    page.wait_for_selector("#queue-table tbody tr", timeout=20000)

    page.locator("#change-password").click()
    page.wait_for_selector("#password-view h1:has-text('修改密码')")
    _fill(page, "Desk-Review-2026", "Desk-Review-2027")
    page.locator("#password-view button[type=submit]").click()
    page.wait_for_selector("text=密码已修改")
    shot(page, "43-desk-password-changed")
    assert not errors, errors
