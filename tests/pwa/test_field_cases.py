"""Acceptance (b): the party refuses and a witness signs; the business is unreachable at its address."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.pwa import flows
from tests.pwa.helpers import PHOTO_A, PHOTO_B, draw, login, wait_synced

pytestmark = pytest.mark.browser


def _record(app, visit_id):
    from server.extensions import db
    from server.visits.models import Signature, VisitRecord

    with app.app_context():
        rec = db.session.get(VisitRecord, visit_id)
        sigs = list(db.session.execute(select(Signature).where(Signature.visit_id == visit_id)).scalars())
        out = {"sealed": rec.sealed_at is not None, "outcome": rec.outcome, "content": rec.content_sha256,
               "sigs": [(s.role, s.signer_name, s.refused, s.refusal_reason, s.content_sha256, bool(s.strokes)) for s in sigs]}
        db.session.remove()
        return out


def test_party_refuses_and_witness_signs(app, fu, live, page, shot, errors):
    base, _ = live
    vid = fu["visits"][1]
    ctx = flows.teammates_answer(app, vid, fu)
    login(page, base, fu["username"])
    flows.open_visit(page, ctx["visit"]["object"]["name"])
    flows.on_site(page)
    flows.answer_own_items(page, ctx["task"], fu["department_id"], [PHOTO_A, PHOTO_B])
    page.get_by_role("link", name="下一步：发现问题").click()
    flows.set_outcome(page, "未发现问题")
    card = page.locator("section.card", has_text="被检查方签字或盖章")
    card.get_by_label("签名人姓名").fill("李国强")
    card.get_by_text("当事人拒绝签字或盖章").click()
    card.get_by_label("拒绝签字的原因").fill("当事人称须请示总公司，拒绝在记录上签字")
    card.get_by_label("见证人姓名").fill("王秀英")
    card.locator("canvas[data-ready]").nth(1).wait_for()
    draw(page, card.locator("canvas").nth(1))
    shot(page, "14-refusal-witness", top=False)
    card.get_by_role("button", name="确认", exact=True).click()
    page.wait_for_selector("li:has-text('见证人：王秀英')")
    flows.inspectors_sign(page, 2)
    flows.seal(page)
    wait_synced(page, 60000)
    rec = _record(app, vid)
    assert rec["sealed"]
    roles = {r[0]: r for r in rec["sigs"]}
    assert roles["legal_rep"][2] is True and "请示总公司" in roles["legal_rep"][3]
    assert roles["witness"][1] == "王秀英" and roles["witness"][5]
    assert all(s[4] == rec["content"] for s in rec["sigs"])
    assert not errors, errors


def test_unreachable_at_address(app, fu, live, page, shot, errors):
    base, _ = live
    vid = fu["visits"][-1]
    login(page, base, fu["username"])
    flows.open_visit(page, fu["names"][vid])
    page.get_by_role("link", name="开始现场检查").click()
    page.get_by_role("button", name="已到达现场").click()
    page.wait_for_selector("text=定位 38.41670")
    boxes = page.locator("input[name=present]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="确认在场人员").click()
    page.wait_for_selector("text=已记录 2 人")
    page.get_by_role("link", name="填写特殊情形").click()
    page.get_by_role("button", name="特殊情形", exact=True).click()
    page.get_by_text("通过登记的住所（经营场所）无法联系", exact=True).click()
    page.get_by_role("button", name="保存检查结果").click()
    page.wait_for_selector(".error:has-text(\"须提供：现场照片、核查的地址、电话联系记录、情况说明\")")
    assert "须提供" in page.locator(".error").inner_text()
    page.get_by_label("核查的地址").fill("忻府区和平街 12 号（登记住所）")
    page.get_by_label("走访询问情况（可选）").fill("询问隔壁商户，称该店已搬离半年")
    page.get_by_label("情况说明").fill("登记地址为空置商铺，门口张贴转租告示，周边商户称已搬离半年")
    page.get_by_label("电话联系记录").fill("10:20 拨打登记电话 0350-1234567，提示空号")
    page.locator("input[type=file][accept='image/*']").set_input_files(str(PHOTO_A))
    page.wait_for_selector("figure.thumb")
    shot(page, "15-outcome-unreachable")
    page.get_by_role("button", name="保存检查结果").click()
    page.wait_for_selector("text=检查记录摘要")
    # The summary states the facts (the address checked, the calls made, the neighbours asked), not blank checkpoints.
    summary = page.locator("section.card", has_text="检查记录摘要").inner_text()
    assert "和平街 12 号" in summary and "提示空号" in summary and "搬离半年" in summary and "未填写" not in summary
    flows.end_check(page)
    shot(page, "15b-summary-unreachable")
    assert page.locator("section.card", has_text="被检查方签字或盖章").count() == 0  # nobody there to sign
    flows.inspectors_sign(page, 2)
    flows.seal(page)
    wait_synced(page, 60000)
    rec = _record(app, vid)
    assert rec["sealed"] and rec["outcome"]["case"] == "unreachable" and "6" in rec["outcome"]["codes"]
    assert len(rec["outcome"]["evidence"]["media_ids"]) == 1
    assert sorted(r[0] for r in rec["sigs"]) == ["inspector", "inspector"]
    assert not errors, errors
