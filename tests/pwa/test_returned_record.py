"""A returned record on the phone (issue 16, third test): the reviewer returns it with comments →
the comments show on the team leader's phone beside what they concern → the leader writes a 补正
offline (a checkpoint and a new photo) → sync → the record is back in the reviewer's queue."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import DEMO_PASSWORD
from tests.pwa.helpers import login, small_text, wait_controlled, wait_synced
from tests.support.field import complete_inspection, image_bytes
from tests.support.http import Session

pytestmark = pytest.mark.browser


def _return_with_comments(app, fu) -> dict:
    client = app.test_client()
    office = Session.login(client, "office", DEMO_PASSWORD, "office-device-ret").headers
    ctx = complete_inspection(client, office, fu["visits"][0], scout=fu["username"])
    task = ctx["task"]
    item = next(i for i in task["items"] if i["department_id"] == fu["department_id"])
    cp = item["checkpoints"][0]
    key = f"{item['item_id']}:{cp['key']}"
    photo = next((m["media_id"] for m in ctx["lead"].pull() and ctx["lead"].visit(ctx["visit_id"])["record"]["media"]
                  if m["target"] == {"type": "answer", "id": key}), None)
    reviewer = Session.login(client, f"{fu['department_code']}-reviewer", DEMO_PASSWORD, "reviewer-device-ret").headers
    r = client.post(f"/api/v1/reviews/{ctx['visit_id']}/return", headers=reviewer, json={"comments": [
        {"target": "general", "text": "现场照片未能反映经营场所全貌，请补拍。"},
        {"target": f"answer:{item['item_id']}:{cp['key']}", "text": "该要点结论与照片不符，请核实后补正。"},
        *([{"target": f"media:{photo}", "text": "照片模糊，看不清许可证编号。"}] if photo else [])]})
    assert r.status_code == 200, r.get_json()
    return {"visit_id": ctx["visit_id"], "item": item, "cp": cp, "client": client, "reviewer": reviewer, "photo": photo}


def _scroll_to(page, selector: str) -> None:
    """In one step (a sync ending re-renders the screen, which would detach a held element)."""
    page.evaluate("(s) => document.querySelector(s).scrollIntoView({ block: 'center' })", selector)


def test_returned_record_is_amended_offline_and_goes_back_to_the_queue(app, fu, live, page, context, shot, errors, tmp_path):
    base, _ = live
    back = _return_with_comments(app, fu)
    vid, cp = back["visit_id"], back["cp"]
    login(page, base, fu["username"])
    wait_controlled(page)
    card = page.locator(f".visit-card[data-visit='{vid}']")
    card.wait_for()
    assert "已退回" in card.inner_text()
    assert "退回待补正" in page.locator("section.group", has=card).inner_text()
    _scroll_to(page, f".visit-card[data-visit='{vid}']")
    shot(page, "ret-01-visits-returned", top=False)

    card.click()
    review = page.locator("section.card", has_text="审核情况")
    review.wait_for()
    text = review.inner_text()
    assert "已退回" in text and "现场照片未能反映经营场所全貌" in text
    # The per-item comment sits beside its checkpoint, in the brief and on the checklist.
    assert "该要点结论与照片不符" in page.locator("section.card", has_text="检查事项").inner_text()
    shot(page, "ret-02-brief-review")
    page.goto(f"{base}/#/visit/{vid}/check")
    point = page.locator(f".checkpoint[data-key='{back['item']['item_id']}:{cp['key']}']")
    assert "该要点结论与照片不符" in point.inner_text()
    if back["photo"]:  # a comment on a photo sits under that photo
        assert "照片模糊，看不清许可证编号" in point.locator(".photos").inner_text()
    _scroll_to(page, f".checkpoint[data-key='{back['item']['item_id']}:{cp['key']}']")
    shot(page, "ret-03-checklist-comment", top=False)

    # Offline: the 补正 screen.
    context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    page.goto(f"{base}/#/visit/{vid}")
    page.get_by_role("link", name="按审核意见补正").click()
    page.wait_for_selector("text=补正内容")
    assert "该要点结论与照片不符" in page.locator("section.card", has_text="审核意见").inner_text()
    shot(page, "ret-04-amend")
    page.locator("textarea[name=note]").fill("经现场复核，结论无误，已补拍照片。")
    page.get_by_role("button", name="加入补正").click()
    page.wait_for_selector(".staged li")
    page.locator("select[name=kind]").select_option("photo")
    photo = tmp_path / "more.png"
    photo.write_bytes(image_bytes("amendment-photo"))
    page.locator("input[name=photos]").set_input_files(str(photo))
    page.get_by_role("button", name="加入补正").click()
    page.wait_for_selector("text=补充照片 1 张")
    page.locator("textarea[name=reason]").fill("按审核意见补充说明并补拍现场照片")
    shot(page, "ret-05-amend-staged", top=False)
    page.get_by_role("button", name="提交补正").click()
    page.wait_for_selector("text=审核情况")
    review = page.locator("section.card", has_text="审核情况")
    assert "有待同步的补正" in review.inner_text() and "待审核" in review.inner_text()
    shot(page, "ret-06-brief-amended-offline")
    queued = page.evaluate("async () => (await (await import('/js/store.js')).unsent()).map((m) => m.name)")
    assert sorted(queued) == ["amendment.add", "media.attach"]

    # Online: it syncs, the photo uploads, and the record is back in the reviewer's queue.
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_synced(page)
    queue = back["client"].get("/api/v1/reviews", headers=back["reviewer"]).get_json()
    row = next(r for r in queue if r["visit_id"] == vid)
    assert row["status"] == "pending" and row["amended_since_sent_back"] is True and row["evidence_pending"] is False
    with app.app_context():
        from server.extensions import db
        from server.visits.models import Amendment, MediaRef
        amendment = db.session.execute(select(Amendment).where(Amendment.visit_id == vid)).scalar_one()
        added = [op for op in amendment.patch if op["op"] == "add" and op["path"] == "/media/-"]
        assert len(added) == 1 and db.session.get(MediaRef, added[0]["value"]["media_id"]).target_type == "amendment"
        assert any(op.get("value") == "经现场复核，结论无误，已补拍照片。" for op in amendment.patch)
        db.session.remove()
    detail = back["client"].get(f"/api/v1/reviews/{vid}", headers=back["reviewer"]).get_json()
    assert detail["review"]["status"] == "pending"
    page.goto(f"{base}/#/")
    resubmitted = page.locator(f".visit-card[data-visit='{vid}']", has_text="待审核")
    resubmitted.wait_for()
    _scroll_to(page, f".visit-card[data-visit='{vid}']")
    shot(page, "ret-07-visits-resubmitted", top=False)
    assert small_text(page) == []
    assert not errors, errors
