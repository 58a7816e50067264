"""The phone app and the review desk run with the Content-Security-Policy in force (issue 19):
login, the day's visits and the desk's login render without a single CSP violation."""
import pytest

from tests.pwa.helpers import login

pytestmark = pytest.mark.browser


def test_app_and_desk_run_under_the_csp(fu, live, browser, browser_context_args):
    base, _ = live
    context = browser.new_context(**{**browser_context_args, "bypass_csp": False})
    try:
        page = context.new_page()
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: violations.append(str(e)))
        resp = page.goto(base + "/")
        assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
        page.wait_for_selector("text=使用执法检查人员账号登录")
        login(page, base, fu["username"])
        assert page.locator(".visit-card").count() >= 1
        page.goto(base + "/review")
        page.wait_for_selector("input[type=password]")
        assert not violations, violations
    finally:
        context.close()
