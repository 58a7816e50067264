"""Uploads are bound to their uploader (issue 19): another inspector cannot take over an upload
that is not attached yet by attaching it to a visit of theirs; the owner's attach still works,
and a member of the owner's team may attach the owner's photo to the team's visit."""
from __future__ import annotations

import hashlib
import uuid

from tests.support.field import Phone, image_bytes, phone_time, upload
from tests.server.visits.team import team_of


def _attach(phone, visit_id, mid, data):
    return phone.do("media.attach", visit_id=visit_id, media_id=mid, sha256=hashlib.sha256(data).hexdigest(),
                    kind="photo", target={"type": "visit", "id": visit_id},
                    claim={"captured_at": phone_time(minutes_ago=5)})


def test_stranger_cannot_attach_someone_elses_upload(client, login):
    team = team_of(client, login("office"))
    owner = team.lead
    mid, data = str(uuid.uuid4()), image_bytes("owner-photo")
    upload(client, owner.headers, mid, data)  # bytes first, not yet attached (phone offline at attach)

    stranger = Phone(client, team.outsider("scjg"))
    stranger.pull()
    theirs = next(v["id"] for v in stranger.visits() if v["id"] != team.visit_id)
    res = _attach(stranger, theirs, mid, data)
    assert res["status"] == "rejected" and res["problem"]["code"] == "media_not_yours"
    assert client.get(f"/api/v1/media/{mid}", headers=stranger.headers).status_code == 404

    res = _attach(owner, team.visit_id, mid, data)
    assert res["status"] == "applied", res
    assert client.get(f"/api/v1/media/{mid}", headers=stranger.headers).status_code == 404


def test_team_member_may_attach_a_colleagues_upload(client, login):
    team = team_of(client, login("office"))
    mid, data = str(uuid.uuid4()), image_bytes("colleague-photo")
    upload(client, team.lead.headers, mid, data)
    colleague = next(p for p in team.phones.values() if p is not team.lead)
    res = _attach(colleague, team.visit_id, mid, data)
    assert res["status"] == "applied", res

