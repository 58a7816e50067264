"""Permission-matrix rows of the object directory.

`prepare` gives every row an scjg sub-library with one object in it and an
import job run by scjg-admin, so other departments meet objects they may see
but not change (403) and jobs they may not see at all (404).
"""
from __future__ import annotations

import io
import json

from server.identifiers import make_credit_code
from tests.support.matrix import AUTHED, STAFF_READERS, Row, uniq

P = "/api/v1/registry"
WRITERS = {"office", "scjg-admin", "sthj-admin"}
SCJG_WRITERS = {"office", "scjg-admin"}
JOB_READERS = {"office", "auditor", "scjg-admin", "sthj-admin"}


def credit_code(division: str = "140902", prefix: str = "91") -> str:
    return make_credit_code(f"{prefix}{division}MA{uniq():07d}")


def _csv(ctx, who):
    body = f"名称,统一社会信用代码\n矩阵测试商贸有限公司{uniq()},{credit_code()}\n".encode("utf-8")
    return f"{P}/imports", {"data": {"file": (io.BytesIO(body), "m.csv"), "mode": "dry_run"},
                            "content_type": "multipart/form-data"}


def _new_lib(ctx, who):
    h = ctx["sessions"]["office"].headers
    n = uniq()
    r = ctx["client"].post(f"{P}/sub-libraries", headers=h,
                           json={"code": f"mx_empty_{n}", "name": f"矩阵空分库{n}", "department_id": ctx["scjg"]})
    return f"{P}/sub-libraries/{r.get_json()['id']}", {}


def _member(ctx, who):
    h = ctx["sessions"]["office"].headers
    ctx["client"].post(f"{P}/sub-libraries/{ctx['reg_lib']}/members", headers=h, json={"object_ids": [ctx["reg_obj"]]})
    return f"{P}/sub-libraries/{ctx['reg_lib']}/members/{ctx['reg_obj']}", {}


def _feed(ctx, who):
    """A batch of its own source (sequence 1), so every persona's attempt is a fresh, valid batch."""
    n = uniq()
    body = (json.dumps({"batch": {"id": f"mx-{n}", "source": f"matrix{n}", "sequence": 1}}) + "\n" +
            json.dumps({"kind": "object", "name": f"矩阵推送有限公司{n}", "credit_code": credit_code()},
                       ensure_ascii=False) + "\n").encode()
    return f"{P}/feeds", {"data": {"file": (io.BytesIO(body), "b.jsonl")}, "content_type": "multipart/form-data"}


def prepare(ctx):
    client, sessions = ctx["client"], ctx["sessions"]
    n = uniq()
    admin = sessions["scjg-admin"].headers
    r = client.post(f"{P}/sub-libraries", headers=admin, json={"code": f"mx_food_{n}", "name": f"矩阵食品{n}"})
    assert r.status_code == 201, r.get_json()
    ctx["reg_lib"], ctx["reg_lib_code"] = r.get_json()["id"], r.get_json()["code"]
    r = client.post(f"{P}/objects", headers=admin, json={"name": f"矩阵餐饮有限公司{n}", "credit_code": credit_code(),
                                                        "sub_libraries": [ctx["reg_lib_code"]]})
    assert r.status_code == 201, r.get_json()
    ctx["reg_obj"] = r.get_json()["id"]
    path, kwargs = _csv(ctx, "scjg-admin")
    r = client.post(path, headers=admin, **kwargs)
    assert r.status_code == 201, r.get_json()
    ctx["reg_job"] = r.get_json()["id"]
    path, kwargs = _feed(ctx, "office")
    r = client.post(path, headers=sessions["office"].headers, **kwargs)
    assert r.status_code == 201, r.get_json()
    ctx["reg_feed"] = r.get_json()["id"]


def _obj(ctx, who):
    return f"{P}/objects", {"json": {"name": f"矩阵新建有限公司{uniq()}", "credit_code": credit_code()}}


def _bulk(ctx, who):
    return f"{P}/objects/bulk", {"json": {"objects": [{"name": f"矩阵对接有限公司{uniq()}", "credit_code": credit_code()}]}}


def _job(suffix=""):
    return lambda c, w: (f"{P}/imports/{c['reg_job']}{suffix}", {})


ROWS: dict[tuple[str, str], Row] = {
    ("GET", f"{P}/sub-libraries"): Row(AUTHED, lambda c, w: (f"{P}/sub-libraries", {})),
    ("POST", f"{P}/sub-libraries"): Row(WRITERS, lambda c, w: (f"{P}/sub-libraries", {"json": {
        "code": f"mx_new_{uniq()}", "name": f"矩阵新分库{uniq()}"}})),
    ("GET", f"{P}/sub-libraries/<int:lib_id>"): Row(AUTHED, lambda c, w: (f"{P}/sub-libraries/{c['reg_lib']}", {})),
    ("PATCH", f"{P}/sub-libraries/<int:lib_id>"): Row(
        SCJG_WRITERS, lambda c, w: (f"{P}/sub-libraries/{c['reg_lib']}", {"json": {"description": "矩阵"}})),
    ("DELETE", f"{P}/sub-libraries/<int:lib_id>"): Row(SCJG_WRITERS, _new_lib),
    ("POST", f"{P}/sub-libraries/<int:lib_id>/members"): Row(
        SCJG_WRITERS, lambda c, w: (f"{P}/sub-libraries/{c['reg_lib']}/members", {"json": {"object_ids": [c["reg_obj"]]}})),
    ("DELETE", f"{P}/sub-libraries/<int:lib_id>/members/<int:object_id>"): Row(SCJG_WRITERS, _member),
    ("GET", f"{P}/objects"): Row(AUTHED, lambda c, w: (f"{P}/objects", {})),
    ("POST", f"{P}/objects"): Row(WRITERS, _obj),
    ("POST", f"{P}/objects/bulk"): Row(WRITERS, _bulk),
    ("GET", f"{P}/objects/<int:object_id>"): Row(AUTHED, lambda c, w: (f"{P}/objects/{c['reg_obj']}", {})),
    # The directory's history (status changes, list stays, complaints) is credit data: staff only.
    ("GET", f"{P}/objects/<int:object_id>/history"): Row(
        STAFF_READERS, lambda c, w: (f"{P}/objects/{c['reg_obj']}/history", {})),
    ("PATCH", f"{P}/objects/<int:object_id>"): Row(
        SCJG_WRITERS, lambda c, w: (f"{P}/objects/{c['reg_obj']}", {"json": {"industry": "餐饮业"}})),
    ("POST", f"{P}/imports"): Row(WRITERS, _csv),
    ("GET", f"{P}/imports"): Row(JOB_READERS, lambda c, w: (f"{P}/imports", {})),
    ("GET", f"{P}/imports/template.xlsx"): Row(JOB_READERS, lambda c, w: (f"{P}/imports/template.xlsx", {})),
    ("GET", f"{P}/imports/<string(length=32):job_id>"): Row(
        {"office", "auditor", "scjg-admin"}, _job(), hidden={"sthj-admin"}),
    ("GET", f"{P}/imports/<string(length=32):job_id>/errors"): Row(
        {"office", "auditor", "scjg-admin"}, _job("/errors"), hidden={"sthj-admin"}),
    ("GET", f"{P}/imports/<string(length=32):job_id>/errors.xlsx"): Row(
        {"office", "auditor", "scjg-admin"}, _job("/errors.xlsx"), hidden={"sthj-admin"}),
    # Feeds: the platform's service account (no persona here; see test_feeds) and the office send;
    # the office and auditors read the reports.
    ("POST", f"{P}/feeds"): Row({"office"}, _feed),
    ("GET", f"{P}/feeds"): Row({"office", "auditor"}, lambda c, w: (f"{P}/feeds", {})),
    ("GET", f"{P}/feeds/<string(maxlength=64):batch_id>"): Row(
        {"office", "auditor"}, lambda c, w: (f"{P}/feeds/{c['reg_feed']}", {})),
    ("GET", f"{P}/feeds/<string(maxlength=64):batch_id>/report.xlsx"): Row(
        {"office", "auditor"}, lambda c, w: (f"{P}/feeds/{c['reg_feed']}/report.xlsx", {})),
}
