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

    stranger = team.busy_outsider("scjg")
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



def test_stranger_cannot_send_the_bytes_of_a_photo_attached_to_a_visit_they_cannot_see(client, login):
    """The phone attaches first and uploads later (offline): an inspector outside the team who sends
    bytes to that media id is refused, does not become its uploader, and the owner's upload works."""
    from tests.media.tus_support import Tus

    team = team_of(client, login("office"))
    owner = team.lead
    mid, data = str(uuid.uuid4()), image_bytes("attached-first")
    assert _attach(owner, team.visit_id, mid, data)["status"] == "applied"
    stranger = Phone(client, team.outsider("scjg"))
    r = Tus(client, stranger.headers).create(data, media_id=mid, content_type="image/png", filename="p.png", body=data)
    assert r.status_code == 403 and r.get_json()["code"] == "media_not_yours", r.get_data(as_text=True)
    assert client.get(f"/api/v1/media/{mid}", headers=stranger.headers).status_code == 404
    upload(client, owner.headers, mid, data)
    body = client.get(f"/api/v1/media/{mid}", headers=owner.headers).get_json()
    assert body["uploader_id"] == owner.session.body["user_id"]
    # A teammate may still send it (e.g. from the phone that took it over).
    colleague = next(p for p in team.phones.values() if p is not team.lead)
    mid2, data2 = str(uuid.uuid4()), image_bytes("attached-first-2")
    assert _attach(owner, team.visit_id, mid2, data2)["status"] == "applied"
    upload(client, colleague.headers, mid2, data2)


def test_a_media_id_someone_else_is_uploading_is_not_theirs_to_send(client, login):
    """Two users cannot race for one unattached id: while the first upload is open, a second user's
    creation is refused; the first finishes and owns it."""
    from tests.media.tus_support import Tus

    team = team_of(client, login("office"))
    mid, data = str(uuid.uuid4()), image_bytes("open-upload")
    first = Tus(client, team.lead.headers).create(data, media_id=mid, content_type="image/png", filename="p.png")
    assert first.status_code == 201, first.get_data(as_text=True)
    stranger = Phone(client, team.outsider("scjg"))
    r = Tus(client, stranger.headers).create(data, media_id=mid, content_type="image/png", filename="p.png", body=data)
    assert r.status_code == 409 and r.get_json()["code"] == "media_id_conflict", r.get_data(as_text=True)
