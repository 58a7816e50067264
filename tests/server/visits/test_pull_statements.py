"""A pull reads its visits and tasks set-wise (issue 20): one query per table for every visit of
the page, so its statements do not grow with the visits it carries; and the set-wise entities are
exactly what each visit alone gives. Counted, never timed."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from server.accounts.auth import Principal
from server.accounts.models import Department, User
from server.extensions import db
from server.visits.announce import announce
from server.visits.feed import load_visits
from server.visits.models import Visit
from server.visits.pull_views import visit_entities
from tests.support.field import Phone, complete_inspection
from tests.support.sql import by_kind, counted_statements

SCOUT = "scjg-insp1"


@pytest.fixture
def seed_level():
    return "field"


def _scout_visits(client) -> list[str]:
    scout = Phone(client, SCOUT)
    scout.pull()
    return sorted(v["id"] for v in scout.visits())


def _rich(client, office, vid: str, *, seal: bool = True, amend: bool = True) -> dict:
    """A visit inspected through sync: answers, a finding with a photo, media, signatures,
    sealed, and an amendment after the seal."""
    ctx = complete_inspection(client, office, vid, seal=seal, scout=SCOUT,
                              findings=[{"description": "未按规定公示许可证", "measures": ["onsite_record"]}],
                              codes=("A",), followup="rectify")
    if seal and amend:
        ctx["lead"].ok("amendment.add", visit_id=vid, amendment_id=str(uuid.uuid4()), reason="补充检查方法说明",
                       patch=[{"op": "replace", "path": "/answers/0/note", "value": "查阅台账"}])
    return ctx


def _queue(app, visit_ids) -> None:
    """Put these visits (and their tasks) in their teams' change feed, as any change would."""
    with app.app_context():
        for vid in visit_ids:
            announce(db.session.get(Visit, vid))
        db.session.commit()


def _pull_counted(app, phone: Phone, visit_ids) -> tuple[int, dict]:
    _queue(app, visit_ids)
    with counted_statements(app) as seen:
        phone.pull()
    changes = {vid for (e, vid) in phone.entities if e == "visit"}
    assert set(visit_ids) <= changes
    return len(seen), by_kind(seen)


def test_a_pull_of_five_rich_visits_costs_the_statements_of_one(app, client, login):
    office = login("office")
    ids = _scout_visits(client)
    assert len(ids) >= 5, ids
    rich = ids[:5]
    for vid in rich:
        _rich(client, office, vid)
    phone = Phone(client, SCOUT)
    phone.pull()  # the snapshot; every later pull reads the feed

    one, one_kinds = _pull_counted(app, phone, rich[:1])
    five, five_kinds = _pull_counted(app, phone, rich)
    assert five == one, (one_kinds, five_kinds)
    for v in rich:
        shown = phone.visit(v)
        rec = shown["record"]
        assert shown["review"] and rec["sealed"] and rec["amendments"] and rec["signatures"], shown
        assert rec["answers"] and rec["findings"] and rec["media"], shown
    assert one_kinds["SELECT visit_answers"] == 1 and one_kinds["SELECT visit_signatures"] == 1, one_kinds


def _principal(username: str) -> Principal:
    user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    dept = db.session.get(Department, user.department_id)
    return Principal(user_id=user.id, username=user.username, display_name=user.display_name,
                     department_id=user.department_id, department_code=dept.code, is_office=False,
                     roles=frozenset(user.roles), device_id=0, session_id="test")


def test_set_wise_entities_are_each_visit_alone(app, client, login, dbs):
    office = login("office")
    ids = _scout_visits(client)
    assert len(ids) >= 4, ids
    sealed, signed, plain, closed = ids[:4]
    _rich(client, office, sealed)  # sealed, with an amendment, then sent back with a comment
    r = client.post(f"/api/v1/reviews/{sealed}/return", headers=login("scjg-reviewer"),
                    json={"comments": [{"target": "general", "text": "请补充说明检查方法"}]})
    assert r.status_code == 200, r.get_json()
    _rich(client, office, signed, seal=False)  # answered, signed, not sealed
    with dbs() as s:
        # The directory closed this one's object, outside the task's window.
        visit = s.get(Visit, closed)
        visit.object_closed_status, visit.object_closed_on, visit.object_closed_batch = "revoked", dt.date(2026, 12, 2), "b-1"
        visit.scheduled_date = dt.date(2001, 1, 1)
        # Two of the scout's visits booked at the same time; one of them has lost a member.
        day = s.get(Visit, sealed).scheduled_date or dt.date.today()
        for vid in (sealed, plain):
            v = s.get(Visit, vid)
            v.scheduled_date, v.time_from, v.time_to = day, dt.time(9, 0), dt.time(11, 0)
        gone = next(m for m in s.get(Visit, plain).members if m.role != "leader" and m.user_id is not None
                    and m.user_id != s.scalar(select(User.id).where(User.username == SCOUT)))
        gone.active = False
        s.commit()
    # A visit of another team and department (not the scout's), when the draw made one.
    with dbs() as s:
        others = s.scalars(select(Visit.id).where(Visit.id.not_in(ids)).order_by(Visit.id)).all()
    chosen = [sealed, signed, plain, closed, *others[:1]]

    with app.test_request_context():
        inspector = _principal(SCOUT)
        together = load_visits([sealed, signed, plain, closed], inspector)
        assert set(together) == {sealed, signed, plain, closed}
        for vid in together:
            assert together[vid] == load_visits([vid], inspector)[vid], vid
        shown = together
        assert shown[sealed]["record"]["review_comments"] and shown[sealed]["review"]
        assert shown[sealed]["record"]["amendments"] and not shown[signed]["record"]["amendments"]
        assert shown[signed]["record"]["signatures"] and not shown[plain]["record"]["signatures"]
        assert shown[signed]["record"]["sealed"] is None and shown[signed]["review"] == []
        assert shown[closed]["object_closed"]["status"] == "revoked" and shown[plain]["object_closed"] is None
        assert all(v["object"]["risk_class"] is None for v in shown.values())

        reviewer = _principal("scjg-reviewer")
        rows = db.session.execute(select(Visit).where(Visit.id.in_(chosen))).scalars().all()
        together = visit_entities(rows, reviewer)
        assert set(together) == set(chosen)
        for v in rows:
            assert together[v.id] == visit_entities([v], reviewer)[v.id], v.id
        # The reviewer sees the internal credit class where the object has one; the inspector never.
        with_credit = [vid for vid in chosen if together[vid]["object"]["risk_class"] is not None]
        for vid in set(with_credit) & set(shown):
            assert shown[vid]["object"]["risk_class"] is None
        assert with_credit
        teams = {tuple(m["inspector_id"] for m in together[vid]["team"]) for vid in chosen}
        assert len(teams) >= 3, teams
        assert len(together[plain]["team"]) == len(load_visits([sealed], inspector)[sealed]["team"]) - 1
        clashes = {w["visit_id"] for w in together[sealed]["schedule"]["conflicts"] if w["code"] == "inspector_double_booked"}
        assert clashes == {plain}, together[sealed]["schedule"]
        assert [w["code"] for w in together[closed]["schedule"]["conflicts"]] == ["outside_window"]
