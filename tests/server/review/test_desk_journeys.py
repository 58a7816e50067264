"""The back office in Debian's Chromium at 1366×900, each role doing its work from the browser:
the reviewer (search → open → approve with confirmation → publish), the Art. 21 evidence of a
refused record, an inspector told the desk is not for them, the leader's withholding decision,
the office entering next year's holiday notice (deadlines become known), and a lead from its
creation to the receiving department's conclusion and the feedback shown to the sender.
Screenshots go to test-artifacts/desk/."""
from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.support import field
from tests.support.desk import CLIPPED_JS, DESKTOP, browser_marks, launch_args, logout, seal_art21, sign_in, serve, shooter

pytestmark = browser_marks


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return launch_args()


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": DESKTOP, "device_scale_factor": 1, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
            "accept_downloads": True, "service_workers": "block"}


@pytest.fixture
def backend():
    return "sqlite"


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def live(app):
    base, stop = serve(app)
    yield base
    stop()


@pytest.fixture
def shot():
    return shooter("desk")


@pytest.fixture
def errors(page):
    found: list[str] = []
    page.on("pageerror", lambda e: found.append(str(e)))
    page.on("console", lambda m: found.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None)
    return found


@pytest.fixture
def records(client, login):
    """Two sealed records of the demo's market-regulation task: one with a finding (result A),
    one refused (Art. 21)."""
    office = login("office")
    scout = field.Phone(client, "scjg-insp1")
    scout.pull()
    first, second = [v["id"] for v in scout.visits()[:2]]
    ctx = field.complete_inspection(client, office, first, codes=("A",), followup="transfer",
                                    findings=[{"department": "scjg", "description": "后厨冷藏柜温度 12℃，超过规定", "legal_basis": "《食品安全法》第三十三条"}])
    evidence = seal_art21(client, office, second, "refused")
    return {"first": first, "second": second, "ctx": ctx, "evidence": evidence}


def test_reviewer_searches_approves_and_publishes(live, page, shot, errors, records):
    from playwright.sync_api import expect

    sign_in(page, live, "scjg-reviewer", DEMO_PASSWORD)
    expect(page.locator("#queue-table tbody tr")).to_have_count(2)
    first = page.locator(f'#queue-table tr[data-visit="{records["first"]}"]')
    expect(first).to_contain_text("A 发现问题待后续处理")
    name = first.locator("strong").inner_text()
    page.fill("#f-q", name)
    page.click("#queue-search button")
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)
    shot(page, "01-search")
    page.fill("#f-q", "没有这家企业")
    page.click("#queue-search button")
    expect(page.locator("#queue-table tbody")).to_contain_text("没有符合搜索条件的记录")
    page.fill("#f-q", "")
    page.click("#queue-search button")

    # The refused record: the Art. 21 evidence, no empty checklist tables.
    page.click(f'#queue-table tr[data-visit="{records["second"]}"]')
    ev = page.locator("#d-evidence")
    expect(ev).to_contain_text("不予配合检查情节严重")
    for label, key in [("拒绝配合的事项", "refused_what"), ("拒绝的方式", "refused_how"), ("见证人", "witness"), ("情况说明", "description")]:
        expect(ev).to_contain_text(records["evidence"][key])
    expect(page.locator("#d-main .item table")).to_have_count(0)
    expect(page.locator("#d-main")).to_contain_text("未进行逐项检查")
    ev.scroll_into_view_if_needed()
    shot(page, "02-refused-evidence")
    page.click("#back")

    page.click(f'#queue-table tr[data-visit="{records["first"]}"]')
    expect(page.locator("#d-title")).to_contain_text(name)
    page.click("#act-approve")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("A 发现问题待后续处理")
    shot(page, "03-approve-confirm")
    page.click("#confirm-cancel")
    expect(page.locator("#d-status")).to_have_text("待审核")  # cancelled: nothing happened
    page.click("#act-approve")
    page.click("#confirm-ok")
    expect(page.locator("#d-status")).to_have_text("已录入结果")
    page.click("#act-publish")
    expect(page.locator("#confirm-dialog")).to_contain_text("向社会公开")
    page.click("#confirm-ok")
    expect(page.locator("#d-status")).to_have_text("已公示")
    expect(page.locator("#pub-state")).to_contain_text("发现问题待后续处理")
    shot(page, "04-published")
    page.click('#nav a[data-view="publication"]')
    expect(page.locator(f'#published tr[data-visit="{records["first"]}"]')).to_contain_text("A 发现问题待后续处理")
    with page.expect_download() as dl:
        page.click("#csv")
    assert dl.value.suggested_filename.endswith(".csv")
    shot(page, "05-publication")
    assert page.evaluate(CLIPPED_JS) == []
    assert errors == [], errors

    # An inspector who opens the desk is told where their work is.
    logout(page)
    sign_in(page, live, "scjg-insp1", DEMO_PASSWORD)
    expect(page.locator("#norole-view")).to_be_visible()
    expect(page.locator("#norole-view")).to_contain_text("执法检查人员请在手机上打开检查应用")
    shot(page, "06-inspector-nothing-to-do")


def test_leader_decides_a_withholding(client, login, live, page, shot, errors, records):
    from playwright.sync_api import expect

    rv = login("scjg-reviewer")
    assert client.post(f"/api/v1/reviews/{records['second']}/approve", headers=rv).status_code == 200
    sign_in(page, live, "scjg-reviewer", DEMO_PASSWORD)
    page.goto(f"{live}/review#record/{records['second']}")
    page.click("#act-withhold")
    page.click("#confirm-ok")
    expect(page.locator("#confirm-dialog .error")).to_contain_text("请填写")
    page.fill("#confirm-reason", "涉及正在立案查处的案件，公示将影响调查")
    page.click("#confirm-ok")
    expect(page.locator("#pub-state")).to_contain_text("待部门领导审批")
    expect(page.locator("#act-publish")).to_have_count(0)
    logout(page)

    sign_in(page, live, "scjg-leader", DEMO_PASSWORD)
    page.click('#nav a[data-view="publication"]')
    row = page.locator("#withholdings tr[data-request]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("涉及正在立案查处的案件")
    expect(row).to_contain_text("不配合检查情节严重")
    shot(page, "07-leader-requests")
    row.locator("button[data-approve]").click()
    page.fill("#confirm-reason", "同意，案件办结后再行公示")
    shot(page, "08-leader-confirm")
    page.click("#confirm-ok")
    expect(page.locator("#withholdings tr[data-request]")).to_contain_text("已批准不予公示")
    expect(page.locator("#withholdings button[data-approve]")).to_have_count(0)
    d = client.get(f"/api/v1/reviews/{records['second']}", headers=rv).get_json()
    assert d["review"]["status"] == "withheld"
    assert errors == [], errors


def test_office_enters_next_years_holidays(client, login, live, page, shot, errors, records):
    """Records sealed in December are due in January: provisional (暂定) until the office enters the year."""
    from playwright.sync_api import expect

    rv = login("scjg-reviewer")
    row = next(r for r in client.get("/api/v1/reviews", headers=rv).get_json() if r["visit_id"] == records["first"])
    status = client.get("/api/v1/calendar/status", headers=rv).get_json()
    year = int(status["today"][:4]) + 1
    missing = next((y for y in status["years"] if y["year"] == year and y["coverage"] == "missing"), None)
    if missing is None or not row["deadline_provisional"]:
        pytest.skip("the deadline of a record sealed today is already final (needs a year the calendar lacks)")
    provisional = row["due_on"]
    sign_in(page, live, "office", DEMO_PASSWORD)
    page.goto(f"{live}/review#office/calendar")
    expect(page.locator(f'#cal-years tr[data-year="{year}"]')).to_contain_text("缺失")
    page.fill("#cal-year", str(year))
    page.fill("#cal-holidays", f"{year}-01-01 {year}-01-03 元旦\n{year}-02-10 {year}-02-17 春节")
    page.fill("#cal-workdays", f"{year}-02-07 春节调休上班")
    page.fill("#cal-source", f"国务院办公厅关于{year}年部分节假日安排的通知")
    shot(page, "09-calendar-entry")
    page.click("#cal-save")
    page.click("#confirm-ok")
    expect(page.locator(f'#cal-years tr[data-year="{year}"]')).to_contain_text("已完整录入")
    expect(page.locator("#calendar-warning")).to_be_hidden()  # the missing-year warning is gone
    expect(page.locator("#office-body")).not_to_contain_text("null")
    expect(page.locator("#cal-overrides tr[data-day]")).to_have_count(12)
    shot(page, "10-calendar-done")
    page.goto(f"{live}/review#queue")
    # The office sees every department's entry of the joint record: scjg's row.
    first = page.locator(f'#queue-table tr[data-visit="{records["first"]}"][data-dept="scjg"]')
    expect(first).not_to_contain_text("暂定")
    due = client.get("/api/v1/reviews", headers=rv).get_json()
    assert all(r["due_on"] and r["due_on"].startswith(str(year)) and not r["deadline_provisional"] for r in due)
    # 元旦 was already counted in the provisional deadline; the final one never comes earlier.
    assert next(r["due_on"] for r in due if r["visit_id"] == records["first"]) >= provisional
    expect(first).to_contain_text(next(r["due_on"] for r in due if r["visit_id"] == records["first"]))
    shot(page, "11-queue-deadlines-known")
    assert errors == [], errors


def test_lead_from_finding_to_feedback(client, login, live, page, shot, errors, records):
    from playwright.sync_api import expect

    sign_in(page, live, "scjg-reviewer", DEMO_PASSWORD)
    page.goto(f"{live}/review#record/{records['first']}")
    fid = records["ctx"]["findings"][0]
    page.click(f'button[data-lead-from="{fid}"]')
    dlg = page.locator("#lead-dialog")
    expect(dlg).to_be_visible()
    suggested = page.locator("#lead-dept option:checked")
    expect(suggested).to_contain_text("（建议）")
    receiver = suggested.inner_text().replace("（建议）", "")
    expect(page.locator("#lead-summary")).to_have_value("后厨冷藏柜温度 12℃，超过规定")
    expect(dlg.locator("input[type=checkbox]:checked")).to_have_count(1)  # the finding's own photo
    shot(page, "12-lead-create")
    page.click("#lead-submit")
    expect(page.locator("#lead-status")).to_have_text("已移送待签收")
    expect(page.locator("#lead-timeline")).to_contain_text("创建并移送线索")
    lead_url = page.url
    logout(page)

    code = {d["name"]: d["code"] for d in client.get("/api/v1/departments", headers=login("office")).get_json()}[receiver]
    sign_in(page, live, f"{code}-admin", DEMO_PASSWORD)
    page.click('#nav a[data-view="leads"]')
    inbox = page.locator("#leads-received tr[data-lead]")
    expect(inbox).to_have_count(1)
    expect(page.locator("#lead-overview")).to_contain_text(receiver)
    expect(inbox).to_contain_text("已移送待签收")
    shot(page, "13-receiver-inbox")
    inbox.click()
    # The receiver (not necessarily a department of the check) reads the evidence sent with the lead.
    business = client.get(f"/api/v1/reviews/{records['first']}", headers=login("office")).get_json()["sheet"]["business"]["name"]
    expect(page.locator("#lead-view")).to_contain_text(business)
    expect(page.locator("#lead-evidence")).to_contain_text("照片共 1 份")
    with page.expect_download() as dl:
        page.click("#lead-pdf")
    assert dl.value.suggested_filename.endswith(".pdf")
    page.click("#lead-receive")
    page.fill("#confirm-reason", "李明")
    page.click("#confirm-ok")
    expect(page.locator("#lead-status")).to_have_text("已签收")
    page.click("#lead-progress")
    page.fill("#confirm-reason", "已安排执法人员现场核查")
    page.click("#confirm-ok")
    expect(page.locator("#lead-status")).to_have_text("办理中")
    page.click("#lead-conclude")
    page.select_option("#conclude-result", "punished")
    page.fill("#conclude-note", "责令改正并罚款五千元")
    page.fill("#conclude-no", "忻罚〔2026〕12号")
    shot(page, "14-receiver-conclude")
    page.click("#conclude-submit")
    expect(page.locator("#lead-status")).to_have_text("已办结")
    expect(page.locator("#lead-timeline")).to_contain_text("办结反馈")
    logout(page)

    sign_in(page, live, "scjg-reviewer", DEMO_PASSWORD)
    page.goto(lead_url)
    fb = page.locator("#lead-feedback")
    expect(fb).to_contain_text("已作出行政处罚")
    expect(fb).to_contain_text("责令改正并罚款五千元")
    expect(fb).to_contain_text("忻罚〔2026〕12号")
    expect(page.locator("#lead-view .pill.overdue")).to_have_count(0)  # answered in time
    expect(page.locator("#lead-timeline")).to_contain_text("签收")
    shot(page, "15-sender-feedback")
    assert page.evaluate(CLIPPED_JS) == []

    # The same finding gets a rectification order; its follow-up visit is scheduled when it falls due.
    page.goto(f"{live}/review#record/{records['first']}")
    page.click(f'button[data-order-from="{fid}"]')
    page.fill("#confirm-reason", "10")
    page.click("#confirm-ok")
    order = page.locator("#orders tr[data-order]")
    expect(order).to_have_count(1)
    expect(order).to_contain_text("整改期内")
    shot(page, "15b-rectification-order")
    assert errors == [], errors


def test_office_resets_a_password_and_revokes_a_lost_phone(client, live, page, shot, errors):
    from playwright.sync_api import expect

    from tests.support.http import Session

    phone = Session.login(client, "scjg-insp1", DEMO_PASSWORD, "lost-phone-0001")
    sign_in(page, live, "office", DEMO_PASSWORD)
    page.goto(f"{live}/review#office/users")
    row = page.locator('#users tr[data-user="scjg-insp1"]')
    expect(row).to_contain_text("执法检查人员")
    row.locator("button[data-reset]").click()
    page.fill("#confirm-reason", "Neues-Passwort-2026")
    page.click("#confirm-ok")
    expect(page.locator("#office-body .ok")).to_contain_text("已重置")
    Session.login(client, "scjg-insp1", "Neues-Passwort-2026", "new-phone-0002")
    row.locator("a", has_text="设备").click()
    dev = page.locator("#devices tr[data-device]").filter(has_text="lost-phone-0001")
    expect(dev).to_be_visible()
    shot(page, "16-office-devices")
    dev.locator("button[data-revoke]").click()
    page.fill("#confirm-reason", "手机丢失")
    page.click("#confirm-ok")
    expect(page.locator("#devices")).to_contain_text("已停用（手机丢失）")
    assert client.get("/api/v1/me", headers=phone.headers).status_code in (401, 403)
    assert errors == [], errors


def test_objections_one_accepted_one_rejected(client, login, live, browser, page, shot, errors, records):
    """A business files objections from its phone on the public page; the publishing department
    accepts one (the public row corrected, marked 已更正 with the date) and rejects the other; the
    business looks both up by their reference numbers."""
    from playwright.sync_api import expect

    from tests.support.desk import PHONE

    rv = login("scjg-reviewer")
    for vid in (records["first"], records["second"]):
        assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rv).status_code == 200
        assert client.post(f"/api/v1/reviews/{vid}/publish", headers=rv).status_code == 200
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="block")
    mobile = phone.new_page()
    phone_shot = shooter("public")
    refs = {}
    for n, (key, text) in enumerate([("A", "冷藏柜当场已调至 4℃，请更正为已改正"), ("8", "我店当天未拒绝检查，请撤销该结果")]):
        mobile.goto(f"{live}/public/results")
        card = mobile.locator(".result-card").filter(has_text={"A": "发现问题待后续处理", "8": "不配合检查情节严重"}[key])
        card.get_by_text("对此结果提出异议").click()
        mobile.fill("input[name=name]", "经营者本人")
        mobile.fill("input[name=contact]", "13903501234")
        mobile.fill("textarea[name=text]", text)
        if n == 0:
            phone_shot(mobile, "03-objection-form-390")
        mobile.click("#objection-form button")
        expect(mobile.locator("#reference")).to_be_visible()
        refs[key] = mobile.locator("#reference").inner_text()
        if n == 0:
            phone_shot(mobile, "04-objection-filed-390")
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390

    sign_in(page, live, "scjg-reviewer", DEMO_PASSWORD)
    page.click('#nav a[data-view="objections"]')
    rows = page.locator("#objections tr[data-objection]")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("13903501234")
    shot(page, "17-objections")
    first = rows.filter(has_text=refs["A"])
    first.locator("button[data-accept]").click()
    dlg = page.locator("#confirm-dialog")
    dlg.locator("input[value=A]").uncheck()
    dlg.locator("input[value=E]").check()
    page.fill("#confirm-reason", "经复核现场照片，当事人已当场改正")
    shot(page, "18-objection-accept")
    page.click("#confirm-ok")
    expect(first).to_contain_text("已受理并更正")
    expect(first).to_contain_text("发现问题经责令已改正")
    second = rows.filter(has_text=refs["8"])
    second.locator("button[data-reject]").click()
    page.fill("#confirm-reason", "执法记录仪录像显示负责人拒绝出示台账，原结果无误")
    page.click("#confirm-ok")
    expect(second).to_contain_text("不予采纳")
    shot(page, "19-objections-decided")
    assert errors == [], errors

    mobile.goto(f"{live}/public/objections?reference={refs['A']}")
    expect(mobile.locator("#objection-status")).to_have_text("已受理并更正")
    expect(mobile.locator("#objection")).to_contain_text("已更正（")
    phone_shot(mobile, "05-objection-accepted-390")
    mobile.goto(f"{live}/public/objections?reference={refs['8']}")
    expect(mobile.locator("#objection-status")).to_have_text("不予采纳")
    expect(mobile.locator("#objection")).to_contain_text("执法记录仪录像显示负责人拒绝出示台账")
    mobile.goto(f"{live}/public/results")
    corrected = mobile.locator(".result-card").filter(has_text="发现问题经责令已改正")
    expect(corrected.locator(".corrected")).to_contain_text("已更正（")
    phone_shot(mobile, "06-results-corrected-390")
    phone.close()
