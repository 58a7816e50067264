"""The office sends a directory feed batch in the browser (issue 22): a dry run first (its report, the
refused lines with their reasons, nothing written), then for real; the batch is listed with its
counts and its XLSX report downloads; a batch that skips a number is refused naming the missing
one; the directory (名录库) then shows what the batch changed, with its history. Debian's Chromium at
1366×900; screenshots go to test-artifacts/desk/."""
from __future__ import annotations

from sqlalchemy import func, select

from server.registry.feeds.models import FeedBatch
from server.registry.models import InspectionObject
from tests.conftest import DEMO_PASSWORD
from tests.server.registry.feed_support import code, entity, jsonl
from tests.server.review.test_desk_journeys import (  # noqa: F401  (the desk's browser fixtures)
    backend, browser_context_args, browser_type_launch_args, errors, live, seed_level, shot)
from tests.support.desk import CLIPPED_JS, browser_marks, sign_in

pytestmark = browser_marks


def test_office_sends_a_feed_batch_dry_run_first_then_for_real(live, page, shot, errors, dbs, tmp_path):
    from playwright.sync_api import expect

    with dbs() as s:
        before = s.scalar(select(func.count()).select_from(InspectionObject))
    a, b = code(), code()
    path = tmp_path / "sxgs-20261206.jsonl"
    path.write_bytes(jsonl("desk-web-1", "desk-web", 1, [
        entity("忻州市网页批次甲商贸有限公司", a),
        entity("忻州市网页批次乙商贸有限公司", b),
        "{broken",
        {"kind": "status", "credit_code": b, "status": "吊销", "date": "2026-12-01"},
        {"kind": "list", "credit_code": a, "list": "abnormal", "action": "enter", "date": "2026-11-20", "reason": "通过登记的住所无法联系"},
        {"kind": "status", "credit_code": code(), "status": "注销"}]))

    sign_in(page, live, "office", DEMO_PASSWORD)
    page.goto(f"{live}/review#office/feeds")
    expect(page.locator("#feed-send")).to_be_visible()
    page.set_input_files("#feed-file", str(path))
    expect(page.locator("#feed-dry")).to_be_checked()
    page.click("#feed-send")
    report = page.locator("#feed-report")
    expect(report).to_contain_text("试运行")
    expect(report).to_contain_text("已生效 4，未变化 0，拒绝 2")
    expect(page.locator('#feed-counts tr[data-kind="object"]')).to_contain_text("对象信息")
    expect(page.locator("#feed-refusals")).to_contain_text("该行不是有效的 JSON")
    expect(page.locator("#feed-refusals")).to_contain_text("名录中没有该统一社会信用代码的对象")
    shot(page, "40-office-feed-dry-run")
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(InspectionObject)) == before
        assert s.get(FeedBatch, "desk-web-1") is None

    page.uncheck("#feed-dry")
    page.click("#feed-send")
    expect(report).to_contain_text("批次已执行")
    expect(page.locator('#feeds tr[data-batch="desk-web-1"]')).to_contain_text("desk-web")
    row = page.locator('#feeds tr[data-batch="desk-web-1"]')
    expect(row).to_contain_text("接口上传")
    with page.expect_download() as dl:
        row.locator("[data-report]").click()
    assert dl.value.suggested_filename == "名录数据批次报告-desk-web-1.xlsx"
    assert dl.value.path().read_bytes()[:2] == b"PK"
    shot(page, "41-office-feed-applied")
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(InspectionObject)) == before + 2
        status = s.execute(select(InspectionObject.registration_status).where(InspectionObject.credit_code == b)).scalar()
        assert status == "revoked"

    # What the batch changed, as the directory shows it: found by name, opened, with its history.
    page.click('#nav a[data-view="objects"]')
    page.fill("#objects-q", "网页批次")
    page.press("#objects-q", "Enter")
    rows = page.locator("#objects tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#objects tbody tr", has_text="甲商贸")).to_contain_text("经营异常")
    expect(page.locator("#objects tbody tr", has_text="乙商贸")).to_contain_text("吊销")
    shot(page, "42-directory-search")
    page.select_option("#objects-status", "revoked")
    expect(rows).to_have_count(1)
    page.locator("#objects tbody tr a", has_text="乙商贸").click()
    expect(page.locator("#object-name")).to_contain_text("吊销")  # created revoked by the batch: no change to list
    expect(page.locator("#object-status-changes")).to_contain_text("没有登记状态变化记录")
    page.click("#objects-back")
    page.select_option("#objects-status", "")
    page.locator("#objects tbody tr a", has_text="甲商贸").click()
    expect(page.locator("#object-credit")).to_contain_text("列入中")
    stays = page.locator("#object-list-stays")
    expect(stays).to_contain_text("经营异常名录")
    expect(stays).to_contain_text("通过登记的住所无法联系")
    expect(stays).to_contain_text("仍在其中")
    expect(page.locator("#object-facts")).to_contain_text(a)
    assert "null" not in page.inner_text("#objects-view")  # no empty part written out as text
    shot(page, "43-directory-object-history")

    # The next batch deregisters it: the change is listed with its date, reason and batch.
    page.goto(f"{live}/review#office/feeds")
    second = tmp_path / "second.jsonl"
    second.write_bytes(jsonl("desk-web-2", "desk-web", 2, [
        {"kind": "status", "credit_code": a, "status": "注销", "date": "2026-12-05", "reason": "申请注销登记"}]))
    page.set_input_files("#feed-file", str(second))
    page.uncheck("#feed-dry")
    page.click("#feed-send")
    expect(report).to_contain_text("注销、吊销或迁出的对象 1 个")
    page.goto(f"{live}/review#objects")
    page.fill("#objects-q", a)
    page.press("#objects-q", "Enter")
    expect(rows).to_have_count(1)
    page.locator("#objects tbody tr a").click()
    changes = page.locator("#object-status-changes")
    expect(changes).to_contain_text("存续 → 注销")
    expect(changes).to_contain_text("2026-12-05")
    expect(changes).to_contain_text("申请注销登记")
    expect(changes).to_contain_text("desk-web-2")
    expect(page.locator("#object-closed")).to_contain_text("不再参加随机抽取")
    assert "null" not in page.inner_text("#objects-view")
    shot(page, "44-directory-status-change")

    page.goto(f"{live}/review#office/feeds")
    gap = tmp_path / "gap.jsonl"
    gap.write_bytes(jsonl("desk-web-4", "desk-web", 4, [entity("忻州市跳号批次有限公司", code())]))
    page.set_input_files("#feed-file", str(gap))
    page.click("#feed-send")
    expect(page.locator("#office-error")).to_contain_text("缺少第 3 号批次")
    assert page.evaluate(CLIPPED_JS) == []
    assert errors == [], errors
