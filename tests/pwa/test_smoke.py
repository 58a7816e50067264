"""The first start online: login, the day's visits, the brief and the checklist, all readable."""
import pytest

from tests.pwa.helpers import login, small_text, wait_controlled

pytestmark = pytest.mark.browser


def test_login_and_screens_are_readable(fu, live, page, shot, errors):
    base, rec = live
    page.goto(base + "/")
    page.wait_for_selector("text=使用执法检查人员账号登录")
    shot(page, "01-login")
    assert small_text(page) == []
    login(page, base, fu["username"])
    wait_controlled(page)
    shot(page, "02-visits")
    assert small_text(page) == []
    page.goto(f"{base}/#/visit/{fu['visits'][0]}")
    page.wait_for_selector("text=请对方准备的材料")
    assert small_text(page) == []
    page.goto(f"{base}/#/visit/{fu['visits'][0]}/check")
    page.wait_for_selector(".checkpoint")
    assert small_text(page) == []
    assert page.locator("section.item.other").count() >= 1, "other departments' items are shown read-only"
    assert page.locator("section.item.other .answers button").count() == 0
    assert not errors, errors
