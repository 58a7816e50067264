"""The demo inspector directory: complete, realistic and the same every time it is loaded."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from server.accounts.models import User
from server.demo.inspectors import QUALIFICATIONS
from server.identifiers import check_credit_code
from server.inspectors.models import BorrowAgreement, ConflictDeclaration, Inspector, InspectorUnavailability
from server.types import local_today
from tests.conftest import DEMO_PASSWORD


def _directory(s) -> list[tuple]:
    rows = s.execute(select(Inspector).order_by(Inspector.id)).scalars()
    return [(i.name, i.department.code, i.cert_no, i.cert_valid_until, tuple(i.qualification_tags), i.kind,
             i.expert_org) for i in rows]


def test_every_demo_inspector_account_has_a_record(dbs):
    with dbs() as s:
        inspectors = list(s.execute(select(Inspector)).scalars())
        linked = {i.user_id for i in inspectors if i.user_id}
        for user in s.execute(select(User)).scalars():
            assert (user.id in linked) == ("inspector" in user.roles), user.username
        staff = [i for i in inspectors if not i.is_expert]
        assert len(staff) == 36 and all(i.name == s.get(User, i.user_id).display_name for i in staff)
        assert all(len(i.cert_no) == 14 and i.cert_no.startswith("140900") for i in staff)
        assert len({i.cert_no for i in staff}) == 36
        assert Counter(i.kind for i in staff) == {"general": 24, "specialist": 12}
        experts = [i for i in inspectors if i.is_expert]
        assert len(experts) == 4 and all(i.user_id is None and i.expert_org and i.expert_org_type for i in experts)


def test_each_qualification_has_at_least_two_holders_per_department():
    for code, per_inspector in QUALIFICATIONS.items():
        held = Counter(tag for tags in per_inspector for tag in tags)
        assert len(per_inspector) == 6 and min(held.values()) >= 2, (code, held)


def test_periods_conflict_and_borrowing(dbs):
    today = local_today()
    with dbs() as s:
        periods = list(s.execute(select(InspectorUnavailability)).scalars())
        assert len(periods) == 4 and any(p.start_date <= today <= p.end_date for p in periods)
        (conflict,) = s.execute(select(ConflictDeclaration)).scalars()
        assert check_credit_code(conflict.credit_code).ok and conflict.credit_code[2:8] == "140902"
        assert s.get(Inspector, conflict.inspector_id).user_id == conflict.declared_by
        (agreement,) = s.execute(select(BorrowAgreement)).scalars()
        assert (agreement.department.code, agreement.lender.code) == ("wl", "sw")
        assert agreement.valid_from <= today <= agreement.valid_until


def test_loading_twice_gives_the_same_directory(app, empty_app):
    from server.demo.cli import load_demo
    from server.extensions import db
    from tests.support.seed import seed_steps

    with empty_app.app_context():
        load_demo(DEMO_PASSWORD, steps=seed_steps())
        fresh = _directory(db.session)
        db.session.remove()
    with app.app_context():
        seeded = _directory(db.session)
        db.session.remove()
    assert fresh == seeded and len(fresh) == 40
