"""Issue 16 (1): a joint team closes the whole record on site with no signal. The members hand their
sections to the leader's phone by QR code, through Chromium's fake camera; the party signs the whole
record on the leader's phone, which seals it offline; then all phones sync in a random order."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from tests.conftest import DEMO_PASSWORD
from tests.pwa import flows
from tests.pwa.conftest import ARTIFACTS
from tests.pwa.handoff_support import LeaderPhone, joint_visit, member_codes, member_phone, scan, sync_in_random_order, write_y4m
from tests.pwa.helpers import PHOTO_A, PHOTO_B, login, wait_controlled, wait_synced
from tests.support.field import Phone

pytestmark = pytest.mark.browser
PHOTOS = [PHOTO_A, PHOTO_B] * 6


def _task(app, username: str, visit_id: str) -> dict:
    phone = Phone(app.test_client(), username)
    phone.pull()
    return phone.task(phone.visit(visit_id)["task_id"])


def _dept_id(app, username: str) -> int:
    from server.accounts.models import User
    from server.extensions import db
    with app.app_context():
        d = db.session.execute(select(User.department_id).where(User.username == username)).scalar_one()
        db.session.remove()
        return d


def _leader_starts(leader, base, fu, visit_id, task, tmp_path, name):
    page = leader.launch(write_y4m(tmp_path / "blank.y4m", []), offline=False)
    login(page, base, fu["username"])
    wait_controlled(page)
    wait_synced(page)
    leader.context.set_offline(True)
    page.reload()
    page.wait_for_selector(".visit-card")
    flows.open_visit(page, name)
    flows.on_site(page, present=len({m for m in _team(page, visit_id)}))
    flows.answer_own_items(page, task, fu["department_id"], PHOTOS)
    return page


def _team(page, visit_id):
    return page.evaluate(f"""async () => {{ const {{ entity }} = await import('/js/store.js');
      return (await entity('visit', '{visit_id}')).team.map((m) => m.inspector_id); }}""")


def _member_answers(app, page, username, visit_id, task, finding=False):
    page.goto(page.url.split("#")[0] + f"#/visit/{visit_id}/site")
    page.wait_for_selector("text=下一步：逐项检查")
    flows.answer_own_items(page, task, _dept_id(app, username), PHOTOS)
    if finding:
        flows.add_finding(page)


def _leader_signs_and_seals(leader, tmp_path, visit_id, shot, outcome_label):
    page = leader.launch(tmp_path / "blank.y4m")
    if shot:  # the leader's team view: every member's section is marked handed over (still offline)
        page.goto(leader.base + "/#/team")
        page.wait_for_selector('li[data-inspector]:has-text("已交接")')
        shot(page, "33a-team-handed-over", top=False)
    page.goto(leader.base + f"/#/visit/{visit_id}/outcome")
    page.get_by_text(outcome_label, exact=True).click()
    page.get_by_role("button", name="保存检查结果").click()
    page.wait_for_selector("text=检查记录摘要")
    flows.end_check(page)
    if shot:
        shot(page, "33-joint-summary-by-department", top=False)
        page.locator(".dept-section").first.scroll_into_view_if_needed()
        shot(page, "34-joint-summary-sections", top=False)
    flows.party_signs(page)
    flows.inspectors_sign(page, 2)
    flows.seal(page)
    return page


def _server_state(app, visit_id):
    from server.extensions import db
    from server.visits.models import Answer, ContentMismatch, HandoffSection, MediaRef, Visit, VisitRecord
    from server.visits.verification import binding_verified
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        record = db.session.get(VisitRecord, visit_id)
        answers = db.session.execute(select(Answer).where(Answer.visit_id == visit_id)).scalars().all()
        out = {"status": visit.status, "sealed": record is not None and record.sealed_at is not None,
               "verified": record is not None and binding_verified(visit, record),
               "answers": {(a.item_id, a.checkpoint_key): (a.value, a.answered_by, a.department_id) for a in answers},
               "answer_rows": len(answers),
               "photos": db.session.scalar(select(func.count()).select_from(MediaRef).where(
                   MediaRef.visit_id == visit_id, MediaRef.kind == "photo")),
               "handoffs": db.session.scalar(select(func.count()).select_from(HandoffSection).where(HandoffSection.visit_id == visit_id)),
               "mismatches": [(m.field, m.signed, m.arrived, m.source) for m in db.session.execute(
                   select(ContentMismatch).where(ContentMismatch.visit_id == visit_id)).scalars()],
               "team": {m.department_id: m.user_id for m in visit.members if m.active}}
        db.session.remove()
        return out


def test_members_hand_over_by_qr_the_party_signs_offline_and_any_sync_order_gives_one_record(
        app, fu, live, browser, browser_type, browser_type_launch_args, browser_context_args, tmp_path, shot):
    base, _ = live
    jv = joint_visit(app, fu["username"], want_departments=3)
    vid = jv["visit_id"]
    task = _task(app, fu["username"], vid)
    name = fu["names"][vid]
    leader = LeaderPhone(browser_type, browser_type_launch_args, browser_context_args, tmp_path / "leader", base)
    try:
        _leader_starts(leader, base, fu, vid, task, tmp_path, name)
        leader.close()
        members = {}
        for i, (dept, username) in enumerate(sorted(jv["members"].items())):
            ctx, page = member_phone(browser, browser_context_args, base, username)
            _member_answers(app, page, username, vid, task, finding=(i == 0))
            members[dept] = (username, ctx, page)
        for i, (dept, (username, ctx, page)) in enumerate(sorted(members.items())):
            codes = member_codes(page, vid, f"30-handover-member{i + 1}", shot if i == 0 else None)
            video = write_y4m(tmp_path / f"member{i + 1}.y4m", codes)
            text = scan(leader, vid, video, "new", shot, "31-scan-received" if i == 0 else None)
            assert "已接收" in text, text
            # The member's phone says what it handed over.
            page.goto(page.url.split("#")[0] + f"#/visit/{vid}/sign")
            page.wait_for_selector("text=联合检查：向组长交接")
            if i == 0:
                shot(page, "32-member-after-handover")
            assert "已于" in page.locator("section.card", has_text="向组长交接").inner_text()
        lpage = _leader_signs_and_seals(leader, tmp_path, vid, shot, "发现问题经责令已改正")
        heads = lpage.locator(".dept-section h4").all_inner_texts()
        assert len(heads) == jv["departments"] and all("录入：" in t for t in heads), heads
        shot(lpage, "35-joint-sealed-offline")
        assert _server_state(app, vid)["status"] != "sealed"  # nothing reached the server yet

        # All phones online, in a random order (each phone fully synced before the next).
        leader.launch(tmp_path / "blank.y4m", offline=True)
        leader.page.goto(base + f"/#/visit/{vid}/sign")
        leader.page.wait_for_selector("text=记录已签名封存")
        phones = [("leader", leader.context, leader.page)] + [(d, c, p) for d, (_, c, p) in members.items()]
        seed = random.randrange(1_000_000)
        order = sync_in_random_order(phones, seed)
        print(f"\nsync order {order} (seed {seed})")
        s = _server_state(app, vid)
        assert s["status"] == "sealed" and s["sealed"] and s["verified"], (order, s)
        assert s["mismatches"] == [], (order, s["mismatches"])
        total = sum(len(i["checkpoints"]) for i in task["items"])
        assert s["answer_rows"] == total == len(s["answers"]), (order, s)
        for (item_id, _), (value, by, dept) in s["answers"].items():
            item = next(i for i in task["items"] if i["item_id"] == item_id)
            assert dept == item["department_id"] and by == s["team"][dept], (order, item_id, by, dept)
        assert s["photos"] == sum(cp["photo_required"] for i in task["items"] for cp in i["checkpoints"]), (order, s["photos"])
        assert s["handoffs"] == len(members)
        for _, _, page in phones:
            assert page.evaluate("async () => (await (await import('/js/store.js')).all('attention')).length") == 0
    finally:
        leader.close()


def _answer(page, visit_id, key, value):
    page.goto(page.url.split("#")[0] + f"#/visit/{visit_id}/check")
    page.locator(f"li.checkpoint[data-key='{key}'] button.answer.{value}").click()
    page.wait_for_selector(f"li.checkpoint[data-key='{key}'] button.{value}[aria-pressed=true]")


def test_re_handover_keeps_the_newest_and_a_change_after_it_surfaces_as_content_mismatch(
        app, fu, live, browser, browser_type, browser_type_launch_args, browser_context_args, tmp_path, shot):
    base, _ = live
    jv = joint_visit(app, fu["username"], want_departments=2)
    vid = jv["visit_id"]
    task = _task(app, fu["username"], vid)
    leader = LeaderPhone(browser_type, browser_type_launch_args, browser_context_args, tmp_path / "leader", base)
    try:
        _leader_starts(leader, base, fu, vid, task, tmp_path, fu["names"][vid])
        leader.close()
        members = {}
        for dept, username in sorted(jv["members"].items()):
            ctx, page = member_phone(browser, browser_context_args, base, username)
            _member_answers(app, page, username, vid, task)
            members[dept] = (username, ctx, page)
        # Every member but the first hands over once.
        first_dept, (first_user, _, mpage) = sorted(members.items())[0]
        for i, (dept, (_, _, page)) in enumerate(sorted(members.items())[1:]):
            scan(leader, vid, write_y4m(tmp_path / f"other{i}.y4m", member_codes(page, vid, f"40-other{i}")), "new")
        own = [i for i in task["items"] if i["department_id"] == first_dept]
        cps = [(i["item_id"], c["key"]) for i in own for c in i["checkpoints"] if c["answer_type"] == "pass_fail_na"]
        assert len(cps) >= 2, "the member's item has two pass/fail checkpoints"
        (ia, ka), (ib, kb) = cps[0], cps[1]
        first = write_y4m(tmp_path / "first.y4m", member_codes(mpage, vid, "41-first"))
        assert "已接收" in scan(leader, vid, first, "new")
        # A change, handed over again: the leader's phone keeps the newest and says so.
        _answer(mpage, vid, f"{ia}:{ka}", "na")
        mpage.goto(mpage.url.split("#")[0] + f"#/visit/{vid}/sign")
        mpage.wait_for_selector("text=之后本机又有修改")
        shot(mpage, "42-member-changed-after-handover")
        second = write_y4m(tmp_path / "second.y4m", member_codes(mpage, vid, "43-second", shot))
        text = scan(leader, vid, second, "newer", shot, "44-scan-newer")
        assert "最新" in text and "第 2 次" in text, text
        text = scan(leader, vid, first, "older", shot, "45-scan-older")
        assert "未采用" in text, text
        # A change after the last handover, never handed over: the party signs without it.
        _answer(mpage, vid, f"{ib}:{kb}", "fail")
        _leader_signs_and_seals(leader, tmp_path, vid, None, "未发现问题")
        signed = leader.page.locator(".hash").inner_text()
        leader.launch(tmp_path / "blank.y4m", offline=True)
        leader.page.goto(base + f"/#/visit/{vid}/sign")
        leader.page.wait_for_selector("text=记录已签名封存")
        phones = [("leader", leader.context, leader.page)] + [(d, c, p) for d, (_, c, p) in members.items()]
        seed = random.randrange(1_000_000)
        order = sync_in_random_order(phones, seed)
        print(f"\nsync order {order} (seed {seed})")
        s = _server_state(app, vid)
        assert s["status"] == "sealed" and s["verified"], (order, s)
        # What the party signed stands: the re-handed-over change is in, the later one is not …
        assert s["answers"][(ia, ka)][0] == "na" and s["answers"][(ib, kb)][0] == "pass", (order, s["answers"])
        # … and it is a content mismatch with both values, on the leader's phone and at the desk.
        fields = {m[0] for m in s["mismatches"]}
        assert fields == {f"answers.{ib}:{kb}"}, (order, s["mismatches"])
        mm = next(m for m in s["mismatches"])
        assert mm[1]["value"] == "pass" and mm[2]["value"] == "fail", mm
        lp = leader.page
        lp.reload()
        lp.wait_for_selector(".content-mismatch")
        assert "不合格" in lp.locator(".content-mismatch").inner_text()
        shot(lp, "46-leader-content-mismatch")
        assert signed.split("：")[1][:16] in lp.locator(".hash").inner_text()
        desk = live_desk(app, vid)
        assert desk and desk[0]["arrived"]["value"] == "fail", desk
        # The reviewer sees it on the record at the desk.
        from tests.support.desk import DESKTOP, sign_in
        dctx = browser.new_context(**{**browser_context_args, "viewport": DESKTOP, "has_touch": False})
        dpage = dctx.new_page()
        sign_in(dpage, base, f"{fu_department(app, vid)}-reviewer", DEMO_PASSWORD)
        dpage.goto(f"{base}/review#record/{vid}")
        dpage.wait_for_selector(".content-mismatch")
        assert "不合格" in dpage.locator(".content-mismatch").inner_text()
        dpage.screenshot(path=str(ARTIFACTS / "47-desk-content-mismatch.png"))
        dctx.close()
    finally:
        leader.close()


def live_desk(app, visit_id):
    """The reviewer's record (as the desk loads it) lists the mismatch."""
    from tests.support.http import Session
    client = app.test_client()
    headers = Session.login(client, f"{fu_department(app, visit_id)}-reviewer", DEMO_PASSWORD, "desk-device-0001").headers
    body = client.get(f"/api/v1/reviews/{visit_id}", headers=headers).get_json()
    return body["visit"]["record"]["content_mismatches"]


def fu_department(app, visit_id) -> str:
    """The code of the department that initiated the visit's task (its reviewer opens the record)."""
    from server.accounts.models import Department
    from server.draws.models import InspectionTask
    from server.extensions import db
    from server.visits.models import Visit
    with app.app_context():
        task = db.session.get(InspectionTask, db.session.get(Visit, visit_id).task_id)
        code = db.session.get(Department, task.initiating_department_id).code
        db.session.remove()
        return code
