"""The office sends a directory feed batch in the browser (issue 22): a dry run first (its report, the
refused lines with their reasons, nothing written), then for real; the batch is listed with its
counts and its XLSX report downloads; a batch that skips a number is refused naming the missing
one. Debian's Chromium at 1366×900; screenshots go to test-artifacts/desk/."""
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

    gap = tmp_path / "gap.jsonl"
    gap.write_bytes(jsonl("desk-web-3", "desk-web", 3, [entity("忻州市跳号批次有限公司", code())]))
    page.set_input_files("#feed-file", str(gap))
    page.click("#feed-send")
    expect(page.locator("#office-error")).to_contain_text("缺少第 2 号批次")
    assert page.evaluate(CLIPPED_JS) == []
    assert errors == [], errors
