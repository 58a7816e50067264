"""The demo object directory: 2,000 fictional objects with a realistic mix."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from server.identifiers import XINZHOU_DIVISIONS, check_credit_code, check_id_number
from server.registry.models import InspectionObject, ObjectCredit, ObjectDeptCheck, ObjectSubLibrary, SubLibrary
from server.registry.protect import reveal_id_number


def test_demo_directory(empty_app):
    from server.audit.service import verify
    from server.demo import accounts, registry
    from server.demo.cli import load_demo
    from server.extensions import db

    with empty_app.app_context():
        load_demo("demo-pass-123", steps=[("departments and accounts", accounts.load), ("object directory", registry.load)])
        s = db.session
        objs = s.execute(select(InspectionObject)).scalars().all()
        assert len(objs) == 2000
        types = Counter(o.object_type for o in objs)
        assert set(types) == {"enterprise", "individual", "farmer_coop", "other_org", "product", "project", "behaviour"}
        coded = [o for o in objs if o.credit_code]
        assert all(check_credit_code(o.credit_code).ok for o in coded)
        assert all(o.credit_code[2:8] == o.region_code for o in coded)
        assert {o.region_code for o in objs} == set(XINZHOU_DIVISIONS) - {"140900"}  # all 14 counties
        assert all(o.credit_code.startswith("92") for o in objs if o.object_type == "individual")
        assert all(o.credit_code.startswith("93") for o in objs if o.object_type == "farmer_coop")
        assert all("（演示数据）" in o.registered_address for o in objs)
        ids = [o for o in objs if o.legal_rep_id_protected]
        assert len(ids) > 200 and all(check_id_number(reveal_id_number(o.legal_rep_id_protected)).ok for o in ids[:50])
        risk = Counter(s.execute(select(ObjectCredit.risk_class)).scalars())
        assert 0.15 < risk["A"] / 2000 < 0.25 and 0.5 < risk["B"] / 2000 < 0.6 and 0.02 < risk["D"] / 2000 < 0.08
        assert risk[None] > 0
        assert 0 < s.scalar(select(func.count()).where(ObjectCredit.serious_violation_list.is_(True))) < 100
        assert s.scalar(select(func.count()).where(ObjectCredit.abnormal_list.is_(True))) > 50
        statuses = Counter(o.registration_status for o in objs)
        assert statuses["deregistered"] > 0 and statuses["revoked"] > 0
        assert 50 < sum(o.online for o in objs) < 400
        assert s.scalar(select(func.count()).select_from(SubLibrary)) >= 10
        assert s.scalar(select(func.count()).select_from(ObjectSubLibrary)) > 2000
        checks = s.execute(select(ObjectDeptCheck.last_checked_on)).scalars().all()
        assert len(checks) > 1000 and (max(checks) - min(checks)).days > 3 * 365
        never = s.scalar(select(func.count()).where(~InspectionObject.id.in_(select(ObjectDeptCheck.object_id))))
        assert never > 100
        assert verify(s).ok
