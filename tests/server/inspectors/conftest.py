"""Helpers for the inspector directory tests: ids of the demo inspectors and departments."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

BASE = "/api/v1/inspectors"


@pytest.fixture
def ids(client, login):
    """{"insp": {username: inspector id}, "user": {username: user id}, "dept": {code: id}}."""
    office = login("office")
    users = client.get("/api/v1/users?limit=500", headers=office).get_json()["items"]
    by_user = {u["id"]: u["username"] for u in users}
    listed = client.get(f"{BASE}?limit=500", headers=office).get_json()["items"]
    depts = client.get("/api/v1/departments", headers=office).get_json()
    return {"insp": {by_user[i["user_id"]]: i["id"] for i in listed if i["user_id"]},
            "user": {u["username"]: u["id"] for u in users},
            "dept": {d["code"]: d["id"] for d in depts},
            "experts": {i["expert_org"]: i["id"] for i in listed if i["is_expert"]}}


@pytest.fixture
def audit_entries(dbs):
    """audit_entries(action, target_id=None) → payload["data"] of matching entries, oldest first."""
    from server.audit.models import AuditEntry

    def find(action, target_id=None):
        with dbs() as s:
            stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
            if target_id is not None:
                stmt = stmt.where(AuditEntry.target_id == str(target_id))
            return [json.loads(e.payload)["data"] for e in s.execute(stmt).scalars()]

    return find
