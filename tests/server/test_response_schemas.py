"""Typed response schemas: the OpenAPI document says what clients get, and nothing a view returns is
dropped by its schema (marshmallow dumps only declared fields, so an undeclared key would vanish)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.accounts.auth import Principal
from server.accounts.models import Department, User
from server.draws.models import InspectionTask
from server.draws.views import public_view
from server.extensions import db
from server.review.detail import review_detail
from server.visits.models import Visit
from server.visits.views import visit_entity
from tests.support.field import complete_inspection


@pytest.fixture
def seed_level():
    return "field"


def _plain(app, value):
    """The view as JSON would carry it (dates as strings, tuples as lists)."""
    return app.json.loads(app.json.dumps(value))


def _principal(app, username: str):
    user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    dept = db.session.get(Department, user.department_id)
    return Principal(user_id=user.id, username=user.username, display_name=user.display_name, department_id=dept.id,
                     department_code=dept.code, is_office=dept.is_office, roles=frozenset(user.roles), device_id=0,
                     session_id="schema-test")


def test_draw_view_loses_nothing(app, client, login):
    with app.app_context():
        task = db.session.execute(select(InspectionTask).where(InspectionTask.status == "drawn")).scalars().first()
        view, staff, task_id = _plain(app, public_view(task)), _plain(app, public_view(task, staff=True)), task.id
    body = client.get(f"/api/v1/draws/{task_id}", headers=login("scjg-admin")).get_json()
    assert body == staff and body["selected"] and body["task"]["initiating_department"]["code"] == "scjg"
    assert client.get(f"/api/v1/public/draws/{task_id}").get_json() == view


def test_visit_and_review_views_lose_nothing(app, client, login):
    """A sealed record with a finding, photos and signatures: every part of the visit and of the
    reviewer's sheet comes through the typed schemas unchanged."""
    ctx = complete_inspection(client, login("office"), findings=[{"description": "冷藏温度超标"}], codes=("A",),
                              followup="rectify")
    vid = ctx["visit_id"]
    with app.app_context():
        visit = db.session.get(Visit, vid)
        leader = _principal(app, "scjg-insp1")
        entity = _plain(app, visit_entity(visit, leader))
        detail = _plain(app, review_detail(_principal(app, "scjg-reviewer"), vid))
    got = client.get(f"/api/v1/visits/{vid}", headers=login("scjg-insp1")).get_json()
    assert got == entity
    record = got["record"]
    assert record["findings"] and record["signatures"] and record["media"] and record["outcome"]["codes"] == ["A"]
    assert record["arrival"]["gps"]["lon"] and record["sealed"]["content_sha256"] == ctx["content_sha256"]
    reviewed = client.get(f"/api/v1/reviews/{vid}", headers=login("scjg-reviewer")).get_json()
    assert reviewed == detail
    sheet = reviewed["sheet"]
    assert sheet["items"] and sheet["findings"] and sheet["signatures"] and sheet["media"] and sheet["photos"]
    assert reviewed["audit_trail"] and reviewed["review"]["status"] == "pending"


def test_the_openapi_document_describes_nested_response_bodies(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    visit = schemas["VisitsVisitOut"]["properties"]
    assert visit["object"]["$ref"].endswith("/VisitsObjectBrief")
    assert schemas["VisitsObjectBrief"]["properties"]["credit_code"]["type"] == "string"
    record = schemas["VisitsRecordView"]["properties"]
    assert record["findings"]["items"]["$ref"].endswith("/VisitsFindingOut")
    draw = schemas["DrawsDrawPublic"]["properties"]
    assert draw["selected"]["items"]["$ref"].endswith("/DrawsSelectedObject")
    assert draw["counts"]["additionalProperties"]["$ref"].endswith("/DrawsStratumCount")
    detail = schemas["ReviewDetail"]["properties"]
    sheet = detail["sheet"].get("$ref") or detail["sheet"]["allOf"][0]["$ref"]  # allOf when it carries a description
    assert sheet.endswith("/ReviewSheet")
    assert schemas["ReviewSheet"]["properties"]["items"]["items"]["$ref"].endswith("/ReviewSheetItem")
