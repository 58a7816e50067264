"""An iPhone photo (HEIC) on the phone (issue 16): Chromium cannot draw it, so the phone says what it
is until the original has uploaded, then shows the server's JPEG thumbnail, never a broken image."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.pwa.helpers import login, small_text, wait_controlled, wait_synced

pytestmark = pytest.mark.browser
HEIC = Path(__file__).resolve().parents[1] / "data" / "photos" / "mobile_iphone_13_pro_max.HEIC"

BROKEN = """() => [...document.querySelectorAll('figure.thumb img')].filter((i) => !i.hidden && i.complete && i.naturalWidth === 0).length"""


def test_a_heic_photo_shows_the_servers_thumbnail_once_uploaded(fu, live, page, context, shot, errors):
    base, _ = live
    login(page, base, fu["username"])
    wait_controlled(page)
    wait_synced(page)
    vid = fu["visits"][0]
    context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    page.goto(f"{base}/#/visit/{vid}/check")
    li = page.locator("li.checkpoint", has=page.locator("input[type=file][accept='image/*']")).first
    li.wait_for()
    li.locator("input[type=file][accept='image/*']").set_input_files(str(HEIC))
    figure = li.locator("figure.thumb").first
    figure.wait_for()
    assert "HEIC 照片（上传后显示缩略图）" in figure.inner_text()
    assert page.evaluate(BROKEN) == 0
    figure.scroll_into_view_if_needed()
    shot(page, "heic-01-pending", top=False)

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_synced(page, timeout=60000)
    page.goto(f"{base}/#/visit/{vid}")
    page.goto(f"{base}/#/visit/{vid}/check")
    img = page.locator("figure.thumb img:not([hidden])").first
    img.wait_for(timeout=20000)
    page.wait_for_function("() => [...document.querySelectorAll('figure.thumb img:not([hidden])')].some((i) => i.naturalWidth > 0)")
    assert page.evaluate(BROKEN) == 0
    img.scroll_into_view_if_needed()
    shot(page, "heic-02-server-thumbnail", top=False)
    assert small_text(page) == []
    assert not errors, errors
