"""How many SQL statements a push and a pull cost (issue 20): counted, never timed.

A batch reads its visit, team and record with one statement and writes them once, not once per
mutation; a new photo costs one statement (the media row inserted claimed and attached) beside one
lookup of all the batch's photo references; overwritten
values' history is one multi-row insert per batch; a pull reads a task's checklist set-wise.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from media.models import MediaObject
from server.audit.models import AuditEntry
from server.visits.models import FieldHistory, MediaRef
from tests.server.visits.team import answer_args, finding_args, team_of
from tests.support.field import Phone, phone_time
from tests.support.sql import by_kind, counted_statements


@pytest.fixture
def seed_level():
    return "field"


@contextmanager
def counted(app):
    """The statements the engine sends while the block runs, by verb and table (filled at its end)."""
    kinds: Counter = Counter()
    with counted_statements(app) as seen:
        yield kinds
    kinds.update(by_kind(seen))
    kinds.statements = seen  # the texts, where a subquery names another table first


def _photos(phone, visit_id: str, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        mid = str(uuid.uuid4())
        out.append(phone.mutation("media.attach", visit_id=visit_id, media_id=mid,
                                  sha256=hashlib.sha256(mid.encode()).hexdigest(), kind="photo",
                                  target={"type": "visit", "id": visit_id}, claim={"captured_at": phone_time(5)}))
    return out


def test_photos_cost_one_statement_each_and_the_visit_is_read_and_written_once(app, client, login, dbs):
    team = team_of(client, login("office"))
    phone = team.lead
    sizes, batches = {}, {}
    for n in (2, 10):
        muts = _photos(phone, team.visit_id, n)
        with counted(app) as seen:
            body = phone.push(*muts)
        assert [r["status"] for r in body["results"]] == ["applied"] * n, body
        sizes[n], batches[n] = seen, muts
    assert sum(sizes[10].values()) - sum(sizes[2].values()) <= 8, (sizes[2], sizes[10])
    for seen in sizes.values():
        assert seen["UPDATE visits"] <= 2 and seen["UPDATE visit_records"] <= 2, seen
        assert seen["UPDATE media_objects"] == 0, seen  # inserted claimed and attached
        # The visit with its team, its record and whether anything of it was handed over by QR code
        # in one statement (nothing was: no handed-over mutation is looked up), and every photo
        # reference the batch names in one.
        visit_reads = [q for q in seen.statements if re.search(r"\bFROM visits\b", q)]
        assert len(visit_reads) == 1 and "visit_handoff_mutations" in visit_reads[0], visit_reads
        assert [q for q in seen.statements if "visit_handoff_mutations" in q] == visit_reads, seen
        assert seen["SELECT visit_members"] == seen["SELECT visit_records"] == 0 and seen["SELECT visit_media"] == 1, seen
    with dbs() as s:
        for m in batches[2] + batches[10]:
            mid = m["args"]["media_id"]
            obj = s.get(MediaObject, mid)
            assert obj.claim == {**m["args"]["claim"], "sha256": m["args"]["sha256"]}
            assert (obj.attached_type, obj.attached_id) == ("visit", team.visit_id)
            assert obj.claimed_at is not None and obj.attached_at is not None and obj.uploaded_at is None
            assert s.get(MediaRef, mid).visit_id == team.visit_id
            actions = s.scalars(select(AuditEntry.action).where(AuditEntry.target_id == mid).order_by(AuditEntry.seq)).all()
            assert actions == ["media.claim_recorded", "media.attached"]


def test_photos_and_findings_sent_again_under_new_ids_are_answered_from_one_lookup(app, client, login, dbs):
    """A phone that lost its queue's acknowledgements queues its photos and findings again under new
    mutation ids: each is a no-op, read with the batch's one lookup per kind, and nothing is doubled."""
    team = team_of(client, login("office"))
    phone = team.lead
    photos = _photos(phone, team.visit_id, 4)
    findings = [phone.mutation("finding.add", **finding_args(team)) for _ in range(3)]
    first = phone.push(*photos, *findings)
    assert [r["status"] for r in first["results"]] == ["applied"] * 7, first
    again = [phone.mutation(m["name"], **m["args"]) for m in photos + findings]
    with counted(app) as seen:
        body = phone.push(*again)
    assert [r["status"] for r in body["results"]] == ["applied"] * 7, body
    assert seen["SELECT visit_media"] == 1 and seen["SELECT visit_findings"] == 1, seen
    assert seen["INSERT visit_media"] == seen["INSERT media_objects"] == seen["INSERT visit_findings"] == 0, seen
    with dbs() as s:
        refs = s.scalars(select(MediaRef.media_id).where(MediaRef.visit_id == team.visit_id)).all()
        assert sorted(refs) == sorted(m["args"]["media_id"] for m in photos)
    # The same photo id with other content is still refused, from the same lookup.
    clash = phone.mutation("media.attach", **{**photos[0]["args"], "sha256": "0" * 64})
    assert phone.push(clash)["results"][0]["problem"]["code"] == "id_taken"


def test_a_batch_of_revisions_writes_its_history_with_one_statement_in_order(app, client, login, dbs):
    team = team_of(client, login("office"))
    dept = next(m["department_code"] for m in team.visit["team"] if m["role"] == "leader")
    phone = team.phones[dept]
    notes = [f"第{n}次" for n in range(8)]
    muts = [phone.mutation("answer.set", **answer_args(team, dept, note=note, base_version=n or None))
            for n, note in enumerate(notes)]
    with counted(app) as seen:
        body = phone.push(*muts)
    assert {r["status"] for r in body["results"]} == {"applied"}, body
    assert seen["INSERT visit_field_history"] == 1, seen
    # Once, at the end: the lookups of the task's items and of the visit's answers read nothing the
    # batch changed, so they do not flush the visit the first mutation marked started.
    assert seen["UPDATE visits"] == 1 and seen["UPDATE visit_records"] <= 1, seen
    args = muts[0]["args"]
    with dbs() as s:
        rows = s.scalars(select(FieldHistory).where(
            FieldHistory.visit_id == team.visit_id, FieldHistory.field == f"answers.{args['item_id']}:{args['checkpoint_key']}")
            .order_by(FieldHistory.id)).all()
        assert [(r.old_value["note"], r.new_value["note"]) for r in rows] == list(zip(notes, notes[1:]))
        assert all(not r.conflict and not r.resolved and r.new_by == r.old_by for r in rows)


def test_a_pull_reads_each_task_checklist_set_wise(app, client, login):
    phone = Phone(client, "scjg-insp1")
    with counted(app) as seen:
        phone.pull()
    tasks = {k for k in phone.entities if k[0] == "task"}
    items = sum(len(phone.task(t)["items"]) for _, t in tasks)
    assert tasks and items > len(tasks)
    assert seen["SELECT check_item_versions"] <= len(tasks) and seen["SELECT checkpoints"] <= len(tasks), seen
    assert seen["SELECT check_items"] <= len(tasks), seen


def test_a_push_reads_the_task_checklist_once_whatever_the_items_it_answers(app, client, login):
    team = team_of(client, login("office"))
    dept = next(m["department_code"] for m in team.visit["team"] if m["role"] == "leader")
    dept_id = next(d["id"] for d in team.task["departments"] if d["code"] == dept)
    phone, mine = team.phones[dept], [i for i in team.task["items"] if i["department_id"] == dept_id]
    value = {"pass_fail_na": "pass", "number": "1", "text": "符合", "choice": None}
    muts = [phone.mutation("answer.set", visit_id=team.visit_id, item_id=i["item_id"], checkpoint_key=cp["key"],
                           value=value[cp["answer_type"]] or cp["choices"][0], note=None, base_version=None)
            for i in mine for cp in i["checkpoints"]]
    # A finding may name any item of the task, another department's too.
    muts += [phone.mutation("finding.add", **finding_args(team, item_id=i["item_id"], checkpoint_key=i["checkpoint_key"]))
             for i in ({"item_id": i["item_id"], "checkpoint_key": i["checkpoints"][0]["key"]} for i in team.task["items"])]
    assert len(team.task["items"]) >= 2 and len(muts) > len(team.task["items"]) + 1
    with counted(app) as seen:
        body = team.phones[dept].push(*muts)
    assert {r["status"] for r in body["results"]} == {"applied"}, body
    # The pinned items with their departments and checkpoints come in one joined statement (from the
    # task): none of the catalog's tables is read on its own, per item or per answer.
    assert seen["SELECT check_item_versions"] == seen["SELECT checkpoints"] == seen["SELECT check_items"] == 0, seen
    assert seen["SELECT tasks"] == 1, seen
