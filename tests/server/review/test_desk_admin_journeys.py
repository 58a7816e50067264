"""More of the back office in Debian's Chromium at 1366×900: the office creates a department and
a user of it who then works on the desk; a reviewer enters result codes of its own choosing in
words; rectification orders from a finding to the decision (rectified: the published result
revised to E; not rectified: it goes on as a lead). Screenshots go to test-artifacts/desk/."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.server.review.test_desk_journeys import (  # noqa: F401  (the desk's browser fixtures)
    backend, browser_context_args, browser_type_launch_args, errors, live, seed_level, shot)
from tests.support import field
from tests.support.desk import CLIPPED_JS, browser_marks, logout, sign_in

pytestmark = browser_marks


def test_office_creates_a_department_and_its_first_user(client, login, live, page, shot, errors):
    from playwright.sync_api import expect

    sign_in(page, live, "office", DEMO_PASSWORD)
    page.goto(f"{live}/review#office/departments")
    page.fill("#dept-code", "sljj")
    page.fill("#dept-name", "忻州市水利局")
    page.select_option("#dept-level", "city")
    page.fill("#dept-region", "14090")  # five digits: refused with the reason, nothing created
    page.click("#dept-create")
    expect(page.locator("#office-error")).to_contain_text("6 位数字")
    page.fill("#dept-region", "140900")
    shot(page, "20-office-department-new")
    page.click("#dept-create")
    row = page.locator("#departments tr").filter(has_text="忻州市水利局")
    expect(row).to_contain_text("市级")
    expect(row).to_contain_text("140900")
    assert any(d["code"] == "sljj" for d in client.get("/api/v1/departments", headers=login("office")).get_json())

    # Its first user, a reviewer, created on the users tab.
    page.click('.tabs a[data-tab="users"]')
    page.fill("#user-username", "sljj-reviewer")
    page.fill("#user-name", "赵水清")
    page.select_option("#user-dept", label="忻州市水利局")
    page.fill("#user-password", "Shuili-Shencha-2026")
    page.locator("#user-new label", has_text="审核人员").locator("input").check()
    page.locator("#user-new label", has_text="执法检查人员").locator("input").uncheck()
    shot(page, "21-office-user-new")
    page.click("#user-create")
    new = page.locator('#users tr[data-user="sljj-reviewer"]')
    expect(new).to_contain_text("忻州市水利局")
    expect(new).to_contain_text("审核人员")
    assert page.evaluate(CLIPPED_JS) == []
    logout(page)

    # The new reviewer first sets a password only they know (the office set this one), then works on
    # the desk: an empty queue, said so.
    page.goto(f"{live}/review")
    page.fill("#username", "sljj-reviewer")
    page.fill("#password", "Shuili-Shencha-2026")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("text=请先设置新密码")
    page.locator("#pw-current_password").fill("Shuili-Shencha-2026")
    page.locator("#pw-new_password").fill("Shuili-Jiancha-2027")
    page.locator("#pw-new_password_again").fill("Shuili-Jiancha-2027")
    page.get_by_role("button", name="设置新密码并继续").click()
    expect(page.locator("#queue-table tbody")).to_contain_text("队列为空")
    expect(page.locator("#who-name")).to_contain_text("忻州市水利局")
    logout(page)

    # Deactivated by the office: the account can no longer log in.
    sign_in(page, live, "office", DEMO_PASSWORD)
    page.goto(f"{live}/review#office/users")
    page.locator('#users tr[data-user="sljj-reviewer"] button[data-active]').click()
    page.click("#confirm-ok")
    expect(page.locator('#users tr[data-user="sljj-reviewer"]')).to_contain_text("停用")
    r = client.post("/api/v1/auth/login", json={"username": "sljj-reviewer", "password": "Shuili-Jiancha-2027",
                                                 "device_id": "desk-test-0001", "device_name": "测试"})
    assert r.status_code in (401, 403)
    assert errors == [], errors


@pytest.fixture
def finding_record(client, login):
    """A sealed record of the demo's market-regulation task with two findings of scjg (result A)."""
    office = login("office")
    scout = field.Phone(client, "scjg-insp1")
    scout.pull()
    vid = scout.visits()[0]["id"]
    ctx = field.complete_inspection(client, office, vid, codes=("A",), followup="rectify", findings=[
        {"department": "scjg", "description": "后厨冷藏柜温度 12℃，超过规定", "legal_basis": "《食品安全法》第三十三条"},
        {"department": "scjg", "description": "进货查验记录缺失近两个月", "legal_basis": "《食品安全法》第五十三条"}])
    return {"visit": vid, "findings": ctx["findings"]}


def test_reviewer_picks_the_result_codes_in_words(client, login, live, page, shot, errors, finding_record):
    from playwright.sync_api import expect

    vid = finding_record["visit"]
    sign_in(page, live, "scjg-reviewer", DEMO_PASSWORD)
    page.goto(f"{live}/review#record/{vid}")
    page.click("#act-approve")
    picker = page.locator("#approve-codes")
    expect(picker.locator("label[data-code=A] input")).to_be_checked()
    expect(picker).to_contain_text("5 违反其他部门相关规定")
    # "未发现问题" unticks the others; with a finding on the department's own items it is refused.
    picker.locator("label[data-code='1'] input").check()
    expect(picker.locator("label[data-code=A] input")).not_to_be_checked()
    page.click("#confirm-ok")
    expect(page.locator("#act-error")).to_contain_text("不能录入“未发现问题”")
    expect(page.locator("#d-status")).to_have_text("待审核")
    page.click("#act-approve")  # a new dialog: the proposal ticked again
    expect(picker.locator("label[data-code='1'] input")).not_to_be_checked()
    picker.locator("label[data-code=A] input").uncheck()
    page.click("#confirm-ok")  # nothing ticked: the dialog says so and stays open
    expect(page.locator("#confirm-dialog .error")).to_contain_text("请至少选择一项检查结果")
    picker.locator("label[data-code=A] input").check()
    picker.locator("label[data-code='5'] input").check()
    shot(page, "22-approve-codes-picked")
    page.click("#confirm-ok")
    expect(page.locator("#d-status")).to_have_text("已录入结果")
    expect(page.locator("#pub-state")).to_contain_text("结果已录入")
    d = client.get(f"/api/v1/reviews/{vid}", headers=login("scjg-reviewer")).get_json()
    assert d["review"]["result_codes"] == ["A", "5"]
    assert errors == [], errors


def test_rectification_orders_decided(client, login, runner, live, page, shot, errors, finding_record):
    """Two orders on the findings of a published record. Their deadline passes (the daily tick
    schedules the team's follow-up visit); one is found rectified (the published result becomes
    E, marked as revised), the other not (it goes on as a lead to the own case-handling unit)."""
    from playwright.sync_api import expect

    vid = finding_record["visit"]
    first, second = finding_record["findings"]
    rv = login("scjg-reviewer")
    for step in ("approve", "publish"):
        assert client.post(f"/api/v1/reviews/{vid}/{step}", headers=rv).status_code == 200
    sign_in(page, live, "scjg-reviewer", DEMO_PASSWORD)
    for fid in (first, second):
        page.goto(f"{live}/review#record/{vid}")
        page.click(f'button[data-order-from="{fid}"]')
        page.fill("#confirm-reason", "10")
        page.click("#confirm-ok")
        expect(page.locator("#orders")).to_be_visible()
    orders = page.locator("#orders tr[data-order]")
    expect(orders).to_have_count(2)
    expect(orders.first).to_contain_text("整改期内")
    expect(orders.first).to_contain_text("期满（")
    expect(orders.filter(has_text="进货查验记录缺失近两个月")).to_have_count(1)  # the object and the finding, in words

    listed = client.get("/api/v1/leads/rectifications", headers=rv).get_json()["items"]
    deadline = max(dt.date.fromisoformat(o["deadline_on"]) for o in listed)
    res = runner.invoke(args=["leads", "tick", "--today", (deadline + dt.timedelta(days=1)).isoformat()])
    assert res.exit_code == 0, res.output
    page.reload()
    expect(orders.filter(has_text="已安排检查组复查")).to_have_count(2)
    shot(page, "23-rectification-follow-up")
    ids = {o["finding_id"]: o["id"] for o in listed}

    # Rectified: the published result is revised from A to E.
    page.click(f'button[data-rectified="{ids[first]}"]')
    expect(page.locator("#confirm-dialog")).to_contain_text("E 发现问题经责令已改正")
    page.click("#confirm-ok")
    expect(page.locator("#confirm-dialog .error")).to_contain_text("请填写复查说明")
    page.fill("#confirm-reason", "复查时冷藏柜温度 3℃，已改正")
    page.click("#confirm-ok")
    done = page.locator(f'#orders tr[data-order="{ids[first]}"]')
    expect(done).to_contain_text("已改正")
    expect(done).to_contain_text("复查时冷藏柜温度 3℃，已改正")

    # Not rectified: a lead to the own case-handling unit, suggested in the dialog.
    page.click(f'button[data-not-rectified="{ids[second]}"]')
    expect(page.locator("#order-lead-dept option:checked")).to_contain_text("忻州市市场监督管理局（建议）")
    expect(page.locator("#order-lead-category option:checked")).to_have_text("本部门案件办理机构")
    page.fill("#confirm-reason", "复查时仍无进货查验记录")
    shot(page, "24-rectification-not-rectified")
    page.click("#confirm-ok")
    failed = page.locator(f'#orders tr[data-order="{ids[second]}"]')
    expect(failed).to_contain_text("逾期未改正")
    failed.locator("a", has_text="已移送：线索").click()
    expect(page.locator("#lead-status")).to_have_text("已移送待签收")
    expect(page.locator("#lead-view")).to_contain_text("进货查验记录缺失近两个月")

    page.goto(f"{live}/review#record/{vid}")
    expect(page.locator("#pub-state")).to_contain_text("发现问题经责令已改正")
    expect(page.locator("#pub-state")).to_contain_text("更正")
    page.locator("#d-publication").scroll_into_view_if_needed()
    shot(page, "25-published-revised")
    assert page.evaluate(CLIPPED_JS) == []
    assert errors == [], errors
