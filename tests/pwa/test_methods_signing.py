"""Issue 17 on the phone: choosing a documentary check, stamping instead of signing, a Hong Kong
representative signing, a refusal whose facts are in the summary, and an offline seal that syncs
days later with the on-site date kept."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from tests.pwa import flows
from tests.pwa.helpers import PHOTO_A, PHOTO_B, draw, flush, login, wait_controlled, wait_synced

pytestmark = pytest.mark.browser
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _server(app, visit_id):
    from server.extensions import db
    from server.review.models import Review
    from server.visits.models import Signature, VisitRecord

    with app.app_context():
        rec = db.session.get(VisitRecord, visit_id)
        # Every department's entry counts from the same day; any one of them shows it.
        review = db.session.execute(select(Review).where(Review.visit_id == visit_id)).scalars().first()
        sigs = list(db.session.execute(select(Signature).where(Signature.visit_id == visit_id)).scalars())
        out = {"sealed": rec.sealed_at is not None, "method": rec.method, "details": rec.method_details,
               "outcome": rec.outcome, "ended_at": rec.check_ended_at, "ended_on": rec.check_ended_on,
               "review_ended_on": review.check_ended_on if review else None,
               "content": json.loads(rec.sealed_content) if rec.sealed_content else None, "content_sha256": rec.content_sha256,
               "sigs": [{"role": s.role, "kind": s.kind, "name": s.signer_name, "id_type": s.id_type, "refused": s.refused,
                         "no_witness_reason": s.no_witness_reason, "bound": s.content_sha256 == rec.content_sha256}
                        for s in sigs]}
        db.session.remove()
        return out


def _start(app, fu, live, page, index: int):
    base, _ = live
    vid = fu["visits"][index]
    ctx = flows.teammates_answer(app, vid, fu)
    login(page, base, fu["username"])
    flows.open_visit(page, ctx["visit"]["object"]["name"])
    return vid, ctx


def _normal_check_until_party(page, ctx, fu):
    flows.on_site(page)
    flows.answer_own_items(page, ctx["task"], fu["department_id"], [PHOTO_A, PHOTO_B])
    page.get_by_role("link", name="下一步：发现问题").click()
    flows.set_outcome(page, "未发现问题")
    card = page.locator("section.card", has_text="被检查方签字或盖章")
    card.locator("canvas[data-ready]").first.wait_for()
    return card


def test_documentary_check_chosen_on_the_phone(app, fu, live, page, shot, errors):
    base, _ = live
    vid = fu["visits"][0]
    login(page, base, fu["username"])
    flows.open_visit(page, fu["names"][vid])
    page.get_by_role("link", name="开始现场检查").click()
    page.wait_for_selector("text=（由计划任务确定）")
    # The leader chooses the method before the visit starts (online); the steps follow it.
    page.get_by_text("更改检查方式（组长，检查开始前，须联网）").click()
    page.get_by_label("新的检查方式").select_option("documentary")
    shot(page, "19-method-choice", top=False)
    page.get_by_role("button", name="确定", exact=True).click()
    page.wait_for_selector("text=（由检查组组长确定）")
    assert page.locator("details.method-change").count() == 1
    ctx = flows.teammates_answer(app, vid, fu)
    flush(page)
    page.wait_for_selector("text=实施检查的执法人员")
    # No arrival, credentials or rights on a documentary check.
    assert page.get_by_role("button", name="已到达现场").count() == 0
    assert page.get_by_role("button", name="已出示执法证件").count() == 0
    page.locator("input[name=present]").first.check()
    page.get_by_role("button", name="确认在场人员").click()
    page.wait_for_selector("text=已记录 1 人")
    # Started: the method is no longer changed (the server refuses it too).
    assert page.locator("details.method-change").count() == 0
    page.get_by_label("收到的书面材料（名称、份数、提交日期）").fill("营业执照复印件 1 份、食品经营许可证复印件 1 份（12 月 1 日提交）")
    page.locator("input[type=file][accept='image/*']").first.set_input_files(str(PHOTO_A))
    page.wait_for_selector("figure.thumb")
    page.get_by_role("button", name="保存依据材料").click()
    page.wait_for_selector("text=依据材料已齐全")
    shot(page, "20-documentary-method")
    flows.answer_own_items(page, ctx["task"], fu["department_id"], [])
    # Photos of the premises are an on-site matter: none is asked for.
    assert page.locator(".checkpoint .badge", has_text="须拍照留证").count() == 0
    page.get_by_role("link", name="下一步：发现问题").click()
    flows.set_outcome(page, "未发现问题")
    summary = page.locator("section.card", has_text="检查记录摘要").inner_text()
    for expected in ("书面检查", "营业执照复印件", "检查结束时间"):
        assert expected in summary, (expected, page.locator("main").inner_text()[-600:])
    assert "未填写" not in summary
    assert page.locator("section.card", has_text="被检查方签字或盖章").count() == 0
    shot(page, "21-documentary-summary")
    flows.inspectors_sign(page, 1)
    flows.seal(page)
    wait_synced(page, 60000)
    rec = _server(app, vid)
    assert rec["sealed"] and rec["method"] == "documentary" and "营业执照复印件" in rec["details"]["documents_received"]
    assert [s["role"] for s in rec["sigs"]] == ["inspector"] and all(s["bound"] for s in rec["sigs"])
    assert rec["content"]["check_ended_at"] == rec["ended_at"] and rec["content"]["method_details"] == rec["details"]
    assert not errors, errors


def test_company_stamp_instead_of_signature(app, fu, live, page, shot, errors):
    vid, ctx = _start(app, fu, live, page, 1)
    card = _normal_check_until_party(page, ctx, fu)
    card.get_by_label("签名人姓名").fill("忻州示例商贸有限公司")
    card.get_by_label("确认方式").select_option("stamp")
    assert card.locator("canvas").first.is_hidden()
    card.get_by_role("button", name="确认", exact=True).click()
    assert "请拍摄加盖公章的记录" in card.locator(".error").inner_text()
    card.get_by_label("公章照片").set_input_files(str(PHOTO_B))
    shot(page, "22-stamp", top=False)
    card.get_by_role("button", name="确认", exact=True).click()
    page.wait_for_selector("li:has-text('（盖章确认）')")
    flows.inspectors_sign(page, 2)
    flows.seal(page)
    wait_synced(page, 60000)
    rec = _server(app, vid)
    (party,) = [s for s in rec["sigs"] if s["role"] == "legal_rep"]
    assert rec["sealed"] and party["kind"] == "stamp" and party["id_type"] is None and party["bound"]
    assert not errors, errors


def test_hong_kong_representative_signs(app, fu, live, page, shot, errors):
    vid, ctx = _start(app, fu, live, page, 2)
    card = _normal_check_until_party(page, ctx, fu)
    card.get_by_label("签名人姓名").fill("陈大文")
    card.get_by_label("证件类型").select_option("hk_mo_permit")
    card.get_by_label("证件号码").fill("H1234567")
    draw(page, card.locator("canvas").first)
    card.get_by_role("button", name="确认", exact=True).click()
    assert "港澳居民来往内地通行证号码应为 H" in card.locator(".error").inner_text()
    card.get_by_label("证件号码").fill("H12345678")
    shot(page, "23-hk-representative", top=False)
    card.get_by_role("button", name="确认", exact=True).click()
    page.wait_for_selector("li:has-text('陈大文［港澳居民来往内地通行证］')")
    flows.inspectors_sign(page, 2)
    flows.seal(page)
    wait_synced(page, 60000)
    (party,) = [s for s in _server(app, vid)["sigs"] if s["role"] == "legal_rep"]
    assert party["id_type"] == "hk_mo_permit" and party["kind"] == "signature" and party["bound"]
    assert not errors, errors


def test_refusal_with_its_facts_in_the_summary(app, fu, live, page, shot, errors):
    vid, ctx = _start(app, fu, live, page, 3)
    flows.on_site(page)
    page.get_by_role("link", name="填写特殊情形").click()
    page.get_by_role("button", name="特殊情形", exact=True).click()
    page.get_by_text("不予配合检查情节严重", exact=True).click()
    page.get_by_label("拒绝配合的事项").fill("拒绝提供进货查验记录，拒绝检查人员进入仓库")
    page.get_by_label("拒绝的方式").fill("负责人锁闭仓库门并要求检查人员离开")
    page.get_by_role("button", name="保存检查结果").click()
    page.wait_for_selector("text=检查记录摘要")
    summary = page.locator("section.card", has_text="检查记录摘要").inner_text()
    assert "不予配合检查情节严重" in summary and "拒绝提供进货查验记录" in summary and "锁闭仓库门" in summary
    assert "未填写" not in summary  # no checkpoint listed as unanswered
    flows.end_check(page)
    shot(page, "24-refusal-summary")
    # The leader's team screen lists it as checked and not sealed, with the days since the check.
    page.get_by_role("link", name="检查组").click()
    card = page.locator("section.card", has_text="已检查未封存")
    card.wait_for()
    name = ctx["visit"]["object"]["name"]
    assert name in card.inner_text() and "已过 0 天" in card.inner_text()
    shot(page, "27-team-unsealed")
    card.get_by_role("link", name=name).click()
    page.wait_for_selector("text=检查记录摘要")
    card = page.locator("section.card", has_text="被检查方签字或盖章")
    card.get_by_label("签名人姓名").fill("李国强")
    card.get_by_text("当事人拒绝签字或盖章").click()
    card.get_by_label("拒绝签字的原因").fill("当事人拒绝在记录上签字")
    card.get_by_text("邀请见证人签名（必要时，由组长决定）").click()  # the leader judges a witness not necessary
    card.get_by_label("无需见证的原因（组长填写）").fill("全程执法记录仪录像，现场无其他可邀请人员")
    shot(page, "25-refusal-no-witness", top=False)
    card.get_by_role("button", name="确认", exact=True).click()
    page.wait_for_selector("li:has-text('未请见证人：全程执法记录仪录像')")
    flows.inspectors_sign(page, 2)
    flows.seal(page)
    wait_synced(page, 60000)
    rec = _server(app, vid)
    assert rec["sealed"] and rec["outcome"]["case"] == "refused" and "8" in rec["outcome"]["codes"]
    assert "锁闭仓库门" in rec["content"]["outcome"]["evidence"]["refused_how"]
    (party,) = [s for s in rec["sigs"] if s["role"] == "legal_rep"]
    assert party["refused"] and "执法记录仪" in party["no_witness_reason"]
    assert not errors, errors


def test_offline_seal_syncs_later_with_the_on_site_date(app, fu, live, page, context, shot, errors):
    """Checked and sealed three days ago with no signal; the phone syncs today. The record, its review
    and its 20 working days count from the day of the check, not from the day of the sync."""
    base, rec_log = live
    vid = fu["visits"][0]
    ctx = flows.teammates_answer(app, vid, fu)
    login(page, base, fu["username"])
    wait_controlled(page)
    wait_synced(page)
    checked = dt.datetime.now(SHANGHAI) - dt.timedelta(days=3)
    page.clock.set_system_time(checked)
    context.set_offline(True)
    flows.open_visit(page, ctx["visit"]["object"]["name"])
    flows.on_site(page)
    flows.answer_own_items(page, ctx["task"], fu["department_id"], [PHOTO_A, PHOTO_B])
    page.get_by_role("link", name="下一步：发现问题").click()
    flows.set_outcome(page, "未发现问题")
    flows.party_signs(page)
    flows.inspectors_sign(page, 2)
    flows.seal(page)
    shot(page, "26-sealed-offline")
    page.clock.set_system_time(dt.datetime.now(SHANGHAI))
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_synced(page, 60000)
    rec = _server(app, vid)
    assert rec["sealed"] and rec["ended_at"].startswith(checked.date().isoformat())
    assert rec["ended_on"] == checked.date() and rec["review_ended_on"] == checked.date()
    assert rec["content"]["check_ended_at"] == rec["ended_at"]
    assert not errors, errors


def test_inconsistent_result_is_explained_before_signing(app, fu, live, page, shot, errors):
    vid, ctx = _start(app, fu, live, page, 4)
    flows.on_site(page)
    flows.answer_own_items(page, ctx["task"], fu["department_id"], [PHOTO_A, PHOTO_B])
    flows.add_finding(page)
    flows.set_outcome(page, "未发现问题")
    problems = page.locator("section.card", has_text="尚不能签名")
    assert "检查结果为“未发现问题”，但记录了 1 个发现的问题" in problems.inner_text()
    assert page.get_by_role("button", name="检查结束，进入签名").count() == 0
    problems.scroll_into_view_if_needed()
    shot(page, "28-inconsistent-result", top=False)
    assert not errors, errors
