"""The public pages on a phone (390×844, Debian's Chromium): published results as cards with the
business name first and nothing running off the screen; the record verification page readable.
Screenshots go to test-artifacts/public/."""
from __future__ import annotations

import pytest

from tests.support import field
from tests.support.desk import CLIPPED_JS, PHONE, browser_marks, launch_args, serve, shooter

pytestmark = browser_marks


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return launch_args()


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": PHONE, "device_scale_factor": 1, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
            "service_workers": "block"}


@pytest.fixture
def backend():
    return "sqlite"


@pytest.fixture
def seed_level():
    return "field"


def test_results_and_verification_on_a_phone(app, client, login, page):
    from playwright.sync_api import expect

    office, rv = login("office"), login("scjg-reviewer")
    scout = field.Phone(client, "scjg-insp1")
    scout.pull()
    ids = [v["id"] for v in scout.visits()[:2]]
    # A problem code needs a finding, recorded on scjg's own item so that scjg's entry carries it.
    found = [{"department": "scjg", "description": "未在经营场所醒目位置公示营业执照"}]
    for vid, codes in zip(ids, [("1",), ("B",)]):
        field.complete_inspection(client, office, vid, codes=codes, followup="none",
                                  findings=found if codes != ("1",) else None)
        assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rv).status_code == 200
        assert client.post(f"/api/v1/reviews/{vid}/publish", headers=rv).status_code == 200
    names = {r["object_name"] for r in client.get("/api/v1/public/results").get_json()["items"]}
    shot = shooter("public")
    base, stop = serve(app)
    try:
        page.goto(f"{base}/public/results")
        cards = page.locator(".result-card")
        expect(cards).to_have_count(2)
        for i in range(2):
            card = cards.nth(i)
            # The business name is the card's first line, as wide as the phone allows.
            assert card.locator("h2").inner_text() in names
            box, first = card.bounding_box(), card.locator("h2").bounding_box()
            assert first["y"] - box["y"] < 20 and box["width"] > 300
        expect(page.locator(".result-card").filter(has_text="未按规定公示应当公示的信息")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.evaluate(CLIPPED_JS) == []
        shot(page, "01-results-390")
        page.goto(f"{base}/verify/{ids[0]}")
        expect(page.locator("#verdict")).to_contain_text("记录完好")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.evaluate(CLIPPED_JS) == []
        shot(page, "02-verify-390")
    finally:
        stop()


def test_draw_page_on_a_phone(app, client, login, page):
    """The demo's completed joint draw: commitment, public random value, seed and the selection,
    readable at 390 px (long hashes wrap, nothing runs off the screen)."""
    from playwright.sync_api import expect

    task = client.get("/api/v1/draws", headers=login("office")).get_json()[0]["id"]
    data = client.get(f"/api/v1/public/draws/{task}").get_json()
    base, stop = serve(app)
    try:
        page.goto(f"{base}/public/draws/{task}")
        expect(page.locator("#draw")).to_contain_text(data["commitment"])
        expect(page.locator("#draw")).to_contain_text(data["seed"])
        expect(page.locator("#selected li")).to_have_count(len(data["selected"]))
        expect(page.locator("#selected")).to_contain_text(data["selected"][0]["name"])
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.evaluate(CLIPPED_JS) == []
        shooter("public")(page, "07-draw-390")
    finally:
        stop()
