"""Sealed records and published results refuse UPDATE in the database itself (issue 19), whoever
runs it; the legitimate appends still work: an amendment to a sealed record, and the revision of a
published result after a later official decision (`revise_entered_result`)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.support.field import complete_inspection


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def published(client, login):
    ctx = complete_inspection(client, login("office"))
    rev = login("scjg-reviewer")
    assert client.post(f"/api/v1/reviews/{ctx['visit_id']}/approve", headers=rev).status_code == 200
    assert client.post(f"/api/v1/reviews/{ctx['visit_id']}/publish", headers=rev).status_code == 200
    return ctx


ATTACKS = [
    ("visit_records", "UPDATE visit_records SET outcome = '{\"codes\": [\"2\"]}' WHERE visit_id = :v"),
    ("visit_records", "UPDATE visit_records SET content_sha256 = 'aaaa', sealed_content = '{}' WHERE visit_id = :v"),
    ("visit_answers", "UPDATE visit_answers SET value = 'fail' WHERE visit_id = :v"),
    ("visit_media", "UPDATE visit_media SET sha256 = 'bb' WHERE visit_id = :v"),
    ("visit_signatures", "UPDATE visit_signatures SET signer_name = '别人' WHERE visit_id = :v"),
    ("published_results", "UPDATE published_results SET result = '发现问题' WHERE visit_id = :v"),
    ("published_results", "UPDATE published_results SET object_name = '别的企业' WHERE visit_id = :v"),
    ("published_results", "UPDATE published_results SET result = '发现问题', object_name = '别的企业', "
                          "revised_at = published_at WHERE visit_id = :v"),
    # A revision may change the result only: not whose entry it is, nor a department's row into the joint one.
    ("published_results", "UPDATE published_results SET kind = 'joint', revised_at = '2099-01-01 00:00:00+00:00' "
                          "WHERE visit_id = :v"),
    ("published_results", "UPDATE published_results SET department_id = department_id + 1, "
                          "revised_at = '2099-01-01 00:00:00+00:00' WHERE visit_id = :v"),
]


@pytest.mark.parametrize("table, sql", ATTACKS, ids=[f"{t}-{i}" for i, (t, _) in enumerate(ATTACKS)])
def test_update_of_sealed_or_published_rows_is_refused(published, dbs, table, sql):
    with dbs() as db:
        with pytest.raises(DBAPIError) as err:
            db.execute(text(sql), {"v": published["visit_id"]})
            db.flush()
        assert "append-only" in str(err.value) or "revision" in str(err.value)
        db.rollback()


def test_finding_of_sealed_record(client, login, dbs):
    ctx = complete_inspection(client, login("office"), findings=[{"photos": 1}], codes=("A",), followup="rectify")
    with dbs() as db, pytest.raises(DBAPIError):
        db.execute(text("UPDATE visit_findings SET description = '改' WHERE visit_id = :v"), {"v": ctx["visit_id"]})
        db.flush()


def test_amendment_to_a_sealed_record_still_works(published, dbs):
    lead = published["lead"]
    res = lead.do("amendment.add", visit_id=published["visit_id"], amendment_id=str(uuid.uuid4()), reason="更正说明",
                  patch=[{"op": "replace", "path": "/answers/0/note", "value": "补正说明"}])
    assert res["status"] == "applied", res
    with dbs() as db, pytest.raises(DBAPIError):
        db.execute(text("UPDATE visit_amendments SET reason = '改' WHERE visit_id = :v"), {"v": published["visit_id"]})
        db.flush()


def test_revision_of_a_published_result_still_works(published, app, runner):
    from server.extensions import db
    from server.review.models import PublishedResult, Review
    from server.review.publication import revise_entered_result
    from server.visits.models import Visit

    with app.app_context():
        visit = db.session.get(Visit, published["visit_id"])
        review = db.session.execute(select(Review).where(Review.visit_id == visit.id,
                                                         Review.status == "published")).scalar_one()
        # A rectification found done: the department's entry becomes E, and its published row follows.
        revise_entered_result(visit, review.department_id, {"reason": "rectification", "order": 1})
        db.session.commit()
        row = db.session.execute(select(PublishedResult).where(PublishedResult.visit_id == visit.id,
                                                               PublishedResult.department_id == review.department_id,
                                                               PublishedResult.kind == "department")).scalar_one()
        assert row.result_codes == ["E"] and row.revised_at is not None
        assert db.session.get(Review, (visit.id, review.department_id)).result_codes == ["E"]
        db.session.remove()
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 0, r.output
