"""A feed closes the object of an open visit (issue 22): the leader's phone shows it on the list and the brief."""
import pytest

from tests.pwa.helpers import login, small_text, wait_controlled
from tests.server.registry.feed_support import jsonl

pytestmark = pytest.mark.browser


def _revoke_object_of(app, visit_id: str, tmp_path) -> None:
    from server.audit.service import set_system_actor
    from server.extensions import db
    from server.registry.feeds.service import apply_feed
    from server.registry.models import InspectionObject
    from server.visits.models import Visit

    with app.app_context():
        set_system_actor("test:feed")
        code = db.session.get(InspectionObject, db.session.get(Visit, visit_id).object_id).credit_code
        path = tmp_path / "batch.jsonl"
        path.write_bytes(jsonl("pwa-1", "sxgs", 1, [{"kind": "status", "credit_code": code, "status": "revoked",
                                                    "date": "2026-12-02", "reason": "吊销营业执照"}]))
        report, _ = apply_feed(path, dry_run=False, via="cli")
        assert report["flagged_visits"] >= 1
        db.session.remove()


def test_the_leader_sees_that_the_object_was_revoked(app, fu, live, page, shot, errors, tmp_path):
    base, _ = live
    visit_id = fu["visits"][0]
    _revoke_object_of(app, visit_id, tmp_path)
    page.goto(base + "/")
    login(page, base, fu["username"])
    wait_controlled(page)
    page.wait_for_selector("text=对象已吊销")
    shot(page, "feed-01-visits-object-revoked")
    page.goto(f"{base}/#/visit/{visit_id}")
    banner = page.wait_for_selector(".banner.object-closed")
    assert "已吊销（2026-12-02）" in banner.inner_text() and "直接作出检查结果" in banner.inner_text()
    shot(page, "feed-02-brief-object-revoked")
    assert small_text(page) == []
    assert not errors, errors
