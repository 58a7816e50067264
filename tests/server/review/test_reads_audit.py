"""Reads leave a trace (issue 19, item 9): opening a sealed record in the back office, downloading
its PDF or an original photo are audit entries (who, what, when, which device), shown in the
record's audit trail; an auditor lists one user's reads in a period."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.support.field import complete_inspection


@pytest.fixture
def seed_level():
    return "field"


def test_reads_are_logged_and_listed(client, login, dbs):
    ctx = complete_inspection(client, login("office"))
    vid, rev = ctx["visit_id"], login("scjg-reviewer", "desk-of-reviewer-1")
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    assert client.get(f"/api/v1/reviews/{vid}", headers=rev).status_code == 200
    assert client.get(f"/api/v1/reviews/{vid}/record.pdf", headers=rev).status_code == 200
    original = client.get(f"/api/v1/media/{ctx['media'][0]}/original", headers=rev)
    assert original.status_code == 200
    # Revalidating the same file (no-cache) is not another read.
    again = client.get(f"/api/v1/media/{ctx['media'][0]}/original", headers={**rev, "If-None-Match": original.headers["ETag"]})
    assert again.status_code == 304

    trail = client.get(f"/api/v1/reviews/{vid}", headers=rev).get_json()["audit_trail"]
    reads = [e["action"] for e in trail if e["action"].endswith(".read")]
    assert reads.count("record.read") == 2 and reads.count("media.read") == 1  # this view is logged after it

    me = client.get("/api/v1/me", headers=rev).get_json()
    auditor = login("auditor")
    listed = client.get("/api/v1/audit/entries", headers=auditor, query_string={
        "actor_user_id": me["user"]["id"], "since": start.isoformat(), "action": "record.read"}).get_json()["items"]
    assert len(listed) == 3 and all(e["device_id"] == me["device"]["id"] for e in listed)
    assert {e["payload"]["data"]["view"] for e in listed} == {"detail", "pdf"}
    later = client.get("/api/v1/audit/entries", headers=auditor, query_string={
        "actor_user_id": me["user"]["id"], "until": start.isoformat(), "action": "record.read"}).get_json()["items"]
    assert later == []
