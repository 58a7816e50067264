"""Times the phone records: none later than the server's clock allows, none later than the seal."""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.visits.models import Visit
from server.visits.clock import CLOCK_SKEW_TOLERANCE
from server.visits.models import Amendment, MediaRef, Signature, VisitRecord
from tests.server.visits.team import chinese, counts, team_of
from tests.support.field import LEGAL_REP_ID, STROKES, attach_photo, complete_inspection, content_sha256, phone_time

TOLERANCE_MINUTES = CLOCK_SKEW_TOLERANCE.total_seconds() / 60
# Comfortably inside and outside the tolerance, so the test's own run time never matters.
INSIDE = -(TOLERANCE_MINUTES - 2)
OUTSIDE = -(TOLERANCE_MINUTES + 10)


def _unchanged_but_the_push(before: dict, after: dict) -> bool:
    """Only the stored mutation result and the audit of the push itself were added."""
    assert after["sync_mutations"] == before["sync_mutations"] + 1
    assert after["audit"] == before["audit"] + 1
    return {k: v for k, v in after.items() if k not in ("sync_mutations", "audit")} == \
        {k: v for k, v in before.items() if k not in ("sync_mutations", "audit")}


def test_arrival_in_the_future_is_refused_and_nothing_is_stored(client, login, dbs):
    team = team_of(client, login("office"))
    with dbs() as s:
        before = counts(s, team.visit_id)
        status_before = s.get(Visit, team.visit_id).status
    res = team.lead.do("visit.arrive", visit_id=team.visit_id, at=phone_time(OUTSIDE), gps=None, method="onsite")
    assert res["status"] == "rejected"
    problem = res["problem"]
    assert problem["code"] == "arrival_in_future" and problem["status"] == 422
    assert chinese(problem["title"]) and chinese(problem["detail"]) and "到达时间" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["at"]
    assert problem["tolerance_seconds"] == int(CLOCK_SKEW_TOLERANCE.total_seconds()) and problem["server_time"]
    with dbs() as s:
        assert _unchanged_but_the_push(before, counts(s, team.visit_id))
        rec = s.get(VisitRecord, team.visit_id)
        assert rec is None or rec.arrival_at is None
        assert s.get(Visit, team.visit_id).status == status_before
    # The rejection is listed for the phone's "needs attention" screen.
    listed = client.get(f"/api/v1/sync/rejections?client_id={team.lead.client_id}", headers=team.lead.headers).get_json()
    assert [r["problem"]["code"] for r in listed] == ["arrival_in_future"]


def test_arrival_within_the_clock_skew_tolerance_is_accepted(client, login):
    team = team_of(client, login("office"))
    ahead = phone_time(INSIDE)
    team.lead.ok("visit.arrive", visit_id=team.visit_id, at=ahead, gps=None, method="onsite")
    team.lead.pull()
    assert team.lead.visit(team.visit_id)["record"]["arrival"]["at"] == ahead


def test_other_on_site_moments_and_a_signature_time_in_the_future_are_refused(client, login, dbs):
    team = team_of(client, login("office"))
    for name in ("visit.credentials_shown", "visit.rights_informed"):
        res = team.lead.do(name, visit_id=team.visit_id, at=phone_time(OUTSIDE))
        assert res["status"] == "rejected" and res["problem"]["code"] == "time_in_future", (name, res)
        assert chinese(res["problem"]["detail"])
    # A time that is not an ISO 8601 time with its offset is refused as invalid.
    for bad in ("2026-13-40T09:00:00+08:00", "2026-03-02T09:14:03", "昨天上午九点"):
        res = team.lead.do("visit.arrive", visit_id=team.visit_id, at=bad, gps=None, method="onsite")
        assert res["status"] == "rejected" and res["problem"]["code"] == "validation_failed", (bad, res)
        assert [e["field"] for e in res["problem"]["errors"]] == ["at"]

    # A signature whose client time (the moment the phone took it) lies in the future.
    team.lead.ok("visit.arrive", visit_id=team.visit_id, at=phone_time(30), gps=None, method="onsite")
    team.lead.pull()
    current = content_sha256(team.lead.visit(team.visit_id))
    sid = str(uuid.uuid4())
    img = attach_photo(team.lead, team.visit_id, {"type": "signature", "id": sid}, kind="signature", send_bytes=False)
    team.lead.pull()
    img_sha = next(m["sha256"] for m in team.lead.visit(team.visit_id)["record"]["media"] if m["media_id"] == img)
    m = team.lead.mutation("signature.capture", visit_id=team.visit_id, signature_id=sid, role="legal_rep",
                           signer_name="法定代表人", id_number=LEGAL_REP_ID, content_sha256=current, strokes=STROKES,
                           image_media_id=img, image_sha256=img_sha)
    m["client_time"] = phone_time(OUTSIDE)
    res = team.lead.push(m)["results"][0]
    assert res["status"] == "rejected" and res["problem"]["code"] == "time_in_future"
    assert [e["field"] for e in res["problem"]["errors"]] == ["client_time"]
    with dbs() as s:
        assert s.get(Signature, sid) is None
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "visit.signature")) == 0


def test_a_seal_earlier_than_the_recorded_arrival_is_refused(client, login, dbs):
    # The phone runs a little fast: its arrival is accepted (within the tolerance) but lies
    # after the moment the server seals.
    ctx = complete_inspection(client, login("office"), seal=False, arrival=phone_time(INSIDE))
    vid = ctx["visit_id"]
    res = ctx["lead"].do("visit.seal", visit_id=vid, content_sha256=ctx["content_sha256"])
    assert res["status"] == "rejected", res
    assert res["problem"]["code"] == "arrival_after_seal" and res["problem"]["status"] == 422
    assert chinese(res["problem"]["detail"]) and [e["field"] for e in res["problem"]["errors"]] == ["arrival_at"]
    with dbs() as s:
        rec = s.get(VisitRecord, vid)
        assert rec.sealed_at is None and rec.content_sha256 is None and rec.sealed_content is None
        assert s.get(Visit, vid).status != "sealed"
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "visit.seal", AuditEntry.target_id == vid)) == 0


def test_a_seal_earlier_than_another_recorded_moment_is_refused(client, login, dbs):
    ctx = complete_inspection(client, login("office"), seal=False)
    vid, lead = ctx["visit_id"], ctx["lead"]
    lead.ok("visit.rights_informed", visit_id=vid, at=phone_time(INSIDE))
    lead.pull()
    res = lead.do("visit.seal", visit_id=vid, content_sha256=content_sha256(lead.visit(vid)))
    assert res["status"] == "rejected" and res["problem"]["code"] == "time_after_seal", res
    assert [e["field"] for e in res["problem"]["errors"]] == ["rights_informed_at"]
    with dbs() as s:
        assert s.get(VisitRecord, vid).sealed_at is None


def test_the_normal_flow_seals_with_arrival_before_the_seal(client, login, dbs):
    import datetime as dt

    ctx = complete_inspection(client, login("office"))
    with dbs() as s:
        rec = s.get(VisitRecord, ctx["visit_id"])
        assert dt.datetime.fromisoformat(rec.arrival_at) < rec.sealed_at


def test_an_amendment_cannot_move_a_moment_past_the_seal(client, login, dbs):
    ctx = complete_inspection(client, login("office"))
    vid, lead = ctx["visit_id"], ctx["lead"]
    for path, code in (("/arrival/at", "arrival_after_seal"), ("/rights_informed_at", "time_after_seal")):
        aid = str(uuid.uuid4())
        res = lead.do("amendment.add", visit_id=vid, amendment_id=aid, reason="时间更正",
                      patch=[{"op": "replace", "path": path, "value": phone_time(INSIDE)}])
        assert res["status"] == "rejected" and res["problem"]["code"] == code, (path, res)
    res = lead.do("amendment.add", visit_id=vid, amendment_id=str(uuid.uuid4()), reason="时间更正",
                  patch=[{"op": "replace", "path": "/arrival/at", "value": "上午九点"}])
    assert res["status"] == "rejected" and res["problem"]["code"] == "validation_failed"
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(Amendment).where(Amendment.visit_id == vid)) == 0
    # An earlier time is a correction like any other.
    lead.ok("amendment.add", visit_id=vid, amendment_id=str(uuid.uuid4()), reason="据执法记录仪更正到达时间",
            patch=[{"op": "replace", "path": "/arrival/at", "value": phone_time(45)}])


def _photo(phone, visit_id: str, captured_at, **extra) -> dict:
    """A media.attach mutation of a new photo whose claim states `captured_at` (absent: not stated)."""
    mid = str(uuid.uuid4())
    claim = {"device": "pwa", **extra} if captured_at is _ABSENT else {"captured_at": captured_at, "device": "pwa", **extra}
    return phone.mutation("media.attach", visit_id=visit_id, media_id=mid, sha256=hashlib.sha256(mid.encode()).hexdigest(),
                          kind="photo", target={"type": "visit", "id": None}, claim=claim)


_ABSENT = object()


def _media_stored(s, media_id: str) -> tuple[bool, bool]:
    """(attached to a record, known to the media store)."""
    from media.models import MediaObject

    return s.get(MediaRef, media_id) is not None, s.get(MediaObject, media_id) is not None


def test_a_photo_claiming_a_future_or_malformed_capture_time_is_refused_and_nothing_is_stored(client, login, dbs):
    team = team_of(client, login("office"))
    vid = team.visit_id
    team.lead.ok("visit.arrive", visit_id=vid, at=phone_time(30), gps=None, method="onsite")
    bad = {"future": phone_time(OUTSIDE), "naive": "2026-03-02T09:14:03", "impossible date": "2026-13-40T09:00:00+08:00",
           "words": "昨天上午九点", "number": 1772414043, "long": "x" * 500}
    for label, value in bad.items():
        # Between two good photos in one push: only the refused one is rolled back (its savepoint).
        before_m, m, after_m = _photo(team.lead, vid, phone_time(20)), _photo(team.lead, vid, value), _photo(team.lead, vid, phone_time(19))
        with dbs() as s:
            before = counts(s, vid)
        results = team.lead.push(before_m, m, after_m)["results"]
        assert [r["status"] for r in results] == ["applied", "rejected", "applied"], (label, results)
        problem = results[1]["problem"]
        if label == "future":
            assert problem["code"] == "time_in_future" and problem["status"] == 422
            assert "拍摄时间" in problem["detail"] and problem["tolerance_seconds"] == int(CLOCK_SKEW_TOLERANCE.total_seconds())
        else:
            assert problem["code"] == "validation_failed" and problem["status"] == 422, (label, problem)
            assert len(problem["detail"]) < 200
        assert chinese(problem["title"]) and chinese(problem["detail"])
        assert [e["field"] for e in problem["errors"]] == ["claim.captured_at"], (label, problem)
        with dbs() as s:
            after = counts(s, vid)
            assert after["visit_media"] == before["visit_media"] + 2 and after["sync_mutations"] == before["sync_mutations"] + 3
            assert _media_stored(s, m["args"]["media_id"]) == (False, False), label
            assert _media_stored(s, before_m["args"]["media_id"]) == _media_stored(s, after_m["args"]["media_id"]) == (True, True)
            assert s.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "media.claim_recorded", AuditEntry.target_id == m["args"]["media_id"])) == 0


def test_capture_times_the_app_sends_are_accepted(client, login, dbs):
    team = team_of(client, login("office"))
    vid = team.visit_id
    utc_now_z = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    accepted = {"local with offset (isoNow)": phone_time(1), "within the clock skew tolerance": phone_time(INSIDE),
                "UTC with Z (toISOString)": utc_now_z, "not stated (null)": None, "absent": _ABSENT}
    for label, value in accepted.items():
        m = _photo(team.lead, vid, value)
        res = team.lead.push(m)["results"][0]
        assert res["status"] == "applied", (label, res)
        with dbs() as s:
            assert _media_stored(s, m["args"]["media_id"]) == (True, True), label


def test_a_phone_running_a_little_fast_still_seals_what_it_just_signed(client, login, dbs):
    # The phone's clock is ahead (within the tolerance): the signature image it attached just before
    # sealing claims a time after the moment the server seals. The claim cannot be changed, so
    # refusing the seal would block the team; the seal goes through and the claim stays as stated.
    ctx = complete_inspection(client, login("office"), seal=False)
    vid, lead = ctx["visit_id"], ctx["lead"]
    ahead = phone_time(INSIDE)
    with dbs() as s:
        ref = s.get(MediaRef, ctx["media"][-1])
        assert ref.kind == "signature"
        ref.claim = {**(ref.claim or {}), "captured_at": ahead}
        s.commit()
    res = lead.do("visit.seal", visit_id=vid, content_sha256=ctx["content_sha256"])
    assert res["status"] == "applied", res
    with dbs() as s:
        assert s.get(VisitRecord, vid).sealed_at is not None
        assert s.get(MediaRef, ctx["media"][-1]).claim["captured_at"] == ahead
