"""Acceptance (a): a whole inspection with no network, then one sync delivers exactly that record."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from tests.pwa import flows
from tests.pwa.helpers import PHOTO_A, PHOTO_B, login, sha256_file, wait_controlled, wait_synced

pytestmark = pytest.mark.browser
SHELL_PREFIXES = ("/js/", "/shared/", "/css/", "/icons/", "/vendor/", "/manifest.webmanifest", "/sw.js")


def test_whole_inspection_offline(app, fu, live, page, context, shot, errors):
    base, rec = live
    ctx = flows.teammates_answer(app, visit_id := fu["visits"][0], fu)
    name = ctx["visit"]["object"]["name"]
    login(page, base, fu["username"])
    wait_controlled(page)
    wait_synced(page)

    context.set_offline(True)
    mark = len(rec.log)
    page.reload()
    page.wait_for_selector(".visit-card")
    shot(page, "03-visits-offline")
    reached = rec.page_paths(mark)
    assert reached == [], f"offline reload reached the server: {reached}"
    assert page.evaluate("navigator.onLine") is False

    flows.open_visit(page, name)
    shot(page, "04-brief")
    flows.on_site(page, shot)
    own = flows.answer_own_items(page, ctx["task"], fu["department_id"], [PHOTO_A, PHOTO_B], shot)
    flows.add_finding(page, shot)
    flows.set_outcome(page, shot=shot)
    flows.party_signs(page, shot, check_id=True)
    flows.inspectors_sign(page, 2)
    flows.seal(page, shot)
    assert rec.page_paths(mark) == [], "nothing may reach the server while offline"
    assert page.locator(".pill[data-k=mutations]").inner_text() != "待发送 0 项"

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_synced(page, 60000)
    page.locator("[data-k=last]").wait_for()
    shot(page, "13-synced")
    assert not errors, errors

    print("UPLOADS", [p for p in rec.log if "uploads" in p[1]])
    print("MEDIA", page.evaluate("async () => { const { all } = await import('/js/store.js'); return (await all('media')).map((m) => [m.media_id, m.kind, m.size, m.done, m.failed, m.error, m.url]); }"))
    _assert_server_record(app, visit_id, own, {sha256_file(PHOTO_A), sha256_file(PHOTO_B)})


def _assert_server_record(app, visit_id, own_keys, photo_shas):
    from media.models import MediaObject
    from server.visits.models import Visit
    from server.extensions import db
    from server.visits.content import content_sha256
    from server.visits.models import Answer, Finding, MediaRef, Signature, VisitRecord
    from sync.models import SyncMutation

    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        record = db.session.get(VisitRecord, visit_id)
        assert visit.status == "sealed" and record.sealed_at is not None
        assert record.content_sha256 == content_sha256(visit, record)
        answers = {f"{a.item_id}:{a.checkpoint_key}": a for a in db.session.execute(select(Answer).where(Answer.visit_id == visit_id)).scalars()}
        for key in own_keys:
            assert answers[key].value in ("pass", "4.5") or answers[key].value, key
        assert len(record.present) == 2 and record.arrival_gps["lat"] == pytest.approx(38.4167)
        assert [f.description for f in db.session.execute(select(Finding).where(Finding.visit_id == visit_id)).scalars()] == [
            "从业人员健康证明未随身携带，已当场督促补办"]
        photos = [m for m in db.session.execute(select(MediaRef).where(MediaRef.visit_id == visit_id, MediaRef.kind == "photo")).scalars()]
        mine = {m.sha256 for m in photos} & photo_shas
        assert mine == photo_shas
        for m in photos:
            obj = db.session.get(MediaObject, m.media_id)
            if m.sha256 in photo_shas:
                assert obj is not None and obj.arrived
                assert _stored_sha(obj) == m.sha256
        sigs = list(db.session.execute(select(Signature).where(Signature.visit_id == visit_id)).scalars())
        assert {s.role for s in sigs} == {"legal_rep", "inspector"} and len(sigs) == 3
        assert all(s.content_sha256 == record.content_sha256 for s in sigs)
        legal = next(s for s in sigs if s.role == "legal_rep")
        assert legal.strokes and len(legal.strokes) == 2 and legal.id_number_masked
        img = db.session.get(MediaObject, legal.image_media_id)
        assert img is not None and img.arrived and _stored_sha(img) == legal.image_sha256
        rejected = db.session.execute(select(SyncMutation).where(SyncMutation.status == "rejected")).scalars().all()
        assert rejected == [], [(r.name, r.problem) for r in rejected]
        db.session.remove()


def _stored_sha(obj) -> str:
    from media import store

    with store.originals().open(obj.sha256) as fh:  # content-addressed: re-hash the stored bytes
        return hashlib.sha256(fh.read()).hexdigest()
