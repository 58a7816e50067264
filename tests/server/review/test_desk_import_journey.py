"""A department administrator imports a spreadsheet of objects in the browser (名录库 → 批量导入):
checked first (the rejected row listed with its reason, the error report downloaded, nothing
written), then imported; both jobs are listed, and the new object is found in the directory. An
auditor sees the jobs but cannot upload. Debian's Chromium at 1366×900; screenshots go to
test-artifacts/desk/."""
from __future__ import annotations

from sqlalchemy import func, select

from server.registry.models import InspectionObject
from tests.conftest import DEMO_PASSWORD
from tests.server.registry.helpers import code
from tests.server.review.test_desk_journeys import (  # noqa: F401  (the desk's browser fixtures)
    backend, browser_context_args, browser_type_launch_args, errors, live, seed_level, shot)
from tests.support.desk import CLIPPED_JS, browser_marks, sign_in

pytestmark = browser_marks


def test_admin_checks_then_imports_a_spreadsheet_and_finds_the_object(live, page, shot, errors, dbs, tmp_path, browser):
    from playwright.sync_api import expect

    good = code()
    path = tmp_path / "食品经营户.csv"
    path.write_text("名称,统一社会信用代码,行政区划代码,联系电话\n"
                    f"忻州市表格导入餐饮有限公司,{good},140902,0350-7654321\n"
                    f"忻州市表格错误有限公司,{good[:-1]}0,999999,\n", encoding="utf-8")
    with dbs() as s:
        before = s.scalar(select(func.count()).select_from(InspectionObject))

    sign_in(page, live, "scjg-admin", DEMO_PASSWORD)
    page.click('#nav a[data-view="objects"]')
    page.click('nav.tabs a[data-tab="import"]')
    expect(page.locator("#import-send")).to_be_visible()
    with page.expect_download() as dl:
        page.click("#import-template")
    assert dl.value.suggested_filename == "检查对象导入模板.xlsx"
    page.set_input_files("#import-file", str(path))
    expect(page.locator("#import-dry")).to_be_checked()
    page.click("#import-send")
    job = page.locator("#import-job")
    expect(job).to_contain_text("仅校验")
    expect(page.locator("#import-counts")).to_contain_text("可新增 1")
    expect(page.locator("#import-counts")).to_contain_text("有错误 1")
    errors_table = page.locator("#import-errors")
    expect(errors_table).to_contain_text("行政区划代码")
    with page.expect_download() as dl:
        job.locator("[data-errors]").click()
    assert dl.value.suggested_filename == "食品经营户-错误报告.xlsx"
    assert dl.value.path().read_bytes()[:2] == b"PK"
    shot(page, "45-directory-import-checked")
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(InspectionObject)) == before

    page.uncheck("#import-dry")
    page.click("#import-send")
    expect(page.locator("#import-counts")).to_contain_text("新增 1")
    expect(page.locator("#imports tbody tr")).to_have_count(2)
    shot(page, "46-directory-import-done")
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(InspectionObject)) == before + 1

    page.click('nav.tabs a[data-tab="search"]')
    page.fill("#objects-q", good)
    page.press("#objects-q", "Enter")
    expect(page.locator("#objects tbody tr")).to_have_count(1)
    page.locator("#objects tbody tr a").click()
    expect(page.locator("#object-facts")).to_contain_text("0350-7654321")
    assert page.evaluate(CLIPPED_JS) == []
    assert errors == [], errors

    # An auditor reads the imports but has nothing to upload with.
    auditor = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(auditor, live, "auditor", DEMO_PASSWORD)
    auditor.goto(f"{live}/review#objects/import")
    expect(auditor.locator("#imports tbody tr").first).to_be_visible()
    expect(auditor.locator("#import-send")).to_have_count(0)
    assert "null" not in auditor.inner_text("#objects-view")
    auditor.close()
