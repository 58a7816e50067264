"""A documentary check done in the back office's browser (pwa/review/documentary.js): the leader
chose the method, the scjg reviewer finds the visit under 书面检查, records the documents, a scan,
every checkpoint and the result, seals it, and lands on the sealed record with its deadline
counted from the review day. Screenshots go to test-artifacts/desk/."""
from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.pwa.helpers import PHOTO_A
from tests.server.review.test_desk_journeys import (backend, browser_context_args, browser_type_launch_args,  # noqa: F401
                                                    errors, live, seed_level, shot)
from tests.support import field
from tests.support.desk import browser_marks, sign_in

pytestmark = browser_marks


def test_reviewer_does_a_documentary_check_at_the_desk(client, login, live, page, shot, errors, dbs):
    from playwright.sync_api import expect

    from server.visits.models import VisitRecord

    scout = field.Phone(client, "scjg-insp1")
    scout.pull()
    visit = sorted(scout.visits(), key=lambda v: v["id"])[0]
    lead = field.leader_phone(client, visit, field.usernames(client, login("office")))
    lead.plan_method(visit["id"], "documentary")
    sign_in(page, live, "scjg-reviewer", DEMO_PASSWORD)
    page.click("#nav a[data-view=documentary]")
    row = page.locator(f"#documentary-list tr[data-visit='{visit['id']}']")
    expect(row).to_be_visible()
    shot(page, "40-documentary-list")
    row.get_by_role("link", name="进行书面检查").click()
    page.fill("#dc-documents", "营业执照复印件 1 份、食品经营许可证复印件 1 份、进货查验记录 12 页（12 月 1 日提交）")
    page.fill("#dc-reviewed-by", "王晓明、李静")
    page.set_input_files("#dc-scans", str(PHOTO_A))
    # Submitting with checkpoints left open is stopped before the server, naming how many.
    page.click("#dc-submit")
    expect(page.locator("#documentary-error")).to_contain_text("个检查要点未填写")
    for sel in page.locator("#documentary-view select[data-item]").all():
        options = sel.locator("option").evaluate_all("os => os.map(o => o.value)")[1:]  # the first: 请选择
        sel.select_option("pass" if "pass" in options else options[0])
    for inp in page.locator("#documentary-view input[data-item]").all():
        inp.fill("4.5" if inp.get_attribute("type") == "number" else "材料齐全")
    page.locator("#documentary-view input[name=code][value='1']").check()
    shot(page, "41-documentary-form", full=True)
    page.click("#dc-submit")
    page.click("#confirm-ok")
    page.wait_for_url(f"**#record/{visit['id']}")
    expect(page.locator("#d-facts")).to_contain_text("书面检查")
    expect(page.locator("#d-facts")).to_contain_text("王晓明、李静")
    shot(page, "42-documentary-sealed")
    with dbs() as s:
        rec = s.get(VisitRecord, visit["id"])
        assert rec.sealed_at is not None and rec.method == "documentary" and rec.check_ended_on is not None
    assert not errors, errors
