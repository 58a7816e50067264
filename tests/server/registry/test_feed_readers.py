"""A large feed is read and checked in reader processes beside the merge (issue 22): the result must
be exactly what reading it in the applying process gives, and a reader's failure must write nothing."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from server.audit.service import set_system_actor
from server.errors import Invalid
from server.extensions import db
from server.registry.feeds import reader
from server.registry.feeds.models import FeedBatch, ObjectListEntry, ObjectStatusChange
from server.registry.feeds.service import apply_feed
from server.registry.models import InspectionObject, ObjectCredit
from server.registry.protect import hash_id_number, reveal_id_number
from server.registry.state import content_hash, state_of
from tests.server.registry.feed_support import code, entity, feed_csv, jsonl

ID_A, ID_B = "140902198001010016", "140902199002020026"


def _records(codes: list[str]) -> list:
    a, b, c, d, e = codes
    return [
        entity("忻州市读取进程甲有限公司", a, legal_rep_name="张三", legal_rep_id_number=ID_A, phone="0350-3030303"),
        entity("忻州市读取进程乙有限公司", b, risk_class="B"),
        "{broken",
        entity("忻州市读取进程甲有限公司", a, phone="0350-4040404"),  # the same object again: the later line wins
        {"kind": "status", "credit_code": b, "status": "deregistered", "date": "2026-11-30"},
        entity("忻州市读取进程丙有限公司", c, legal_rep_id_number=ID_B, registration_status="吊销"),
        {"kind": "list", "credit_code": c, "list": "abnormal", "action": "enter", "date": "2026-11-01"},
        {"kind": "status", "credit_code": code(), "status": "revoked"},  # not in the directory
        entity("忻州市读取进程丁有限公司", d, region_code="999999"),  # refused
        {"kind": "complaints", "credit_code": a, "period": "2026-11", "count": 3},
        {"kind": "risk", "credit_code": a, "risk_class": "D"},
        entity("忻州市读取进程戊有限公司", e, online=True, shop_url="https://e.example.com/"),
    ]


def _apply(app, path, **kw):
    with app.app_context():
        set_system_actor("test")
        try:
            return apply_feed(path, via="cli", **kw)[0]
        finally:
            db.session.remove()


def _comparable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in ("dry_run", "seconds", "received_at")}


def test_reader_processes_give_what_reading_in_process_gives(app, dbs, tmp_path):
    codes = [code() for _ in range(5)]
    path = tmp_path / "feed.jsonl"
    path.write_bytes(jsonl("readers-1", "readers", 1, _records(codes)))
    in_process = _apply(app, path, dry_run=True, parallel=False, chunk_size=3)
    applied = _apply(app, path, dry_run=False, parallel=True, chunk_size=3)  # 4 chunks over 2 readers
    assert reader.READERS >= 2
    assert _comparable(applied) == _comparable(in_process)

    assert applied["applied"] == 9 and applied["refused"] == 3
    assert [(r["line"], r["code"]) for r in applied["refusals"]] == [
        (4, "json_invalid"), (9, "object_unknown"), (10, "region_unknown")]
    a, b, c, d, e = codes
    with app.app_context():
        for key in (a, b, c, e):  # every stored hash is the hash of what is stored
            obj = db.session.execute(select(InspectionObject).where(InspectionObject.credit_code == key)).scalar_one()
            assert obj.content_hash == content_hash(*state_of(obj, db.session.get(ObjectCredit, obj.id)))
        obj_a = db.session.execute(select(InspectionObject).where(InspectionObject.credit_code == a)).scalar_one()
        assert obj_a.phone == "0350-4040404" and obj_a.legal_rep_name == "张三"
        assert reveal_id_number(obj_a.legal_rep_id_protected) == ID_A
        assert obj_a.legal_rep_id_hash == hash_id_number(ID_A) and obj_a.legal_rep_id_masked.startswith("1409")
        credit_a = db.session.get(ObjectCredit, obj_a.id)
        assert (credit_a.risk_class, credit_a.complaint_count) == ("D", 3)
        obj_c = db.session.execute(select(InspectionObject).where(InspectionObject.credit_code == c)).scalar_one()
        assert obj_c.registration_status == "revoked" and reveal_id_number(obj_c.legal_rep_id_protected) == ID_B
        assert db.session.get(ObjectCredit, obj_c.id).abnormal_list is True
        assert db.session.scalar(select(func.count()).select_from(ObjectListEntry)) == 1
        status_b = db.session.execute(select(InspectionObject.registration_status)
                                      .where(InspectionObject.credit_code == b)).scalar_one()
        assert status_b == "deregistered"
        assert db.session.scalar(select(func.count()).select_from(ObjectStatusChange)) == 1  # b: an earlier chunk made it
        assert db.session.execute(select(InspectionObject).where(InspectionObject.credit_code == d)).first() is None


def test_reader_processes_apply_changes_to_objects_already_in_the_directory(app, dbs, tmp_path):
    a, b = code(), code()
    first = tmp_path / "first.jsonl"
    first.write_bytes(jsonl("known-1", "known", 1, [entity("忻州市已有对象甲有限公司", a, legal_rep_id_number=ID_A),
                                                    entity("忻州市已有对象乙有限公司", b)]))
    _apply(app, first, dry_run=False, parallel=True)
    second = tmp_path / "second.jsonl"
    second.write_bytes(jsonl("known-2", "known", 2, [
        entity("忻州市已有对象甲有限公司", a, legal_rep_id_number=ID_A),  # unchanged
        entity("忻州市已有对象乙有限公司", b, legal_rep_id_number=ID_B),  # a new ID number
        {"kind": "status", "credit_code": a, "status": "moved_out", "date": "2026-12-01"}]))
    report = _apply(app, second, dry_run=False, parallel=True, chunk_size=1)
    assert report["counts"]["object"] == {"applied": 1, "unchanged": 1, "refused": 0}
    with app.app_context():
        obj_a, obj_b = (db.session.execute(select(InspectionObject).where(InspectionObject.credit_code == k))
                        .scalar_one() for k in (a, b))
        assert obj_a.registration_status == "moved_out" and obj_a.version == 2
        assert reveal_id_number(obj_b.legal_rep_id_protected) == ID_B and obj_b.legal_rep_id_hash == hash_id_number(ID_B)
        for obj in (obj_a, obj_b):
            assert obj.content_hash == content_hash(*state_of(obj, db.session.get(ObjectCredit, obj.id)))
        assert db.session.scalar(select(func.count()).select_from(ObjectStatusChange)) == 1


def test_a_malformed_csv_row_half_way_refuses_the_file_and_writes_nothing(app, dbs, tmp_path):
    body = feed_csv("csv-bad-1", "csvbad", 1, [entity(f"忻州市表格第{i}号有限公司", code()) for i in range(6)])
    path = tmp_path / "bad.csv"
    path.write_bytes(body + b"csv-bad-1,csvbad,1,object," + b"x" * (70 * 1024) + b"\n")  # over the field limit
    for parallel in (False, True):
        with pytest.raises(Invalid) as caught:
            _apply(app, path, dry_run=False, parallel=parallel, chunk_size=2)
        assert caught.value.code == "import_csv_malformed"
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(InspectionObject)) == 0
        assert s.get(FeedBatch, "csv-bad-1") is None


def test_a_reader_that_dies_leaves_the_batch_unapplied(app, dbs, tmp_path, monkeypatch):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(jsonl("dies-1", "dies", 1, [entity("忻州市读取失败有限公司", code())]))
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(reader.ReaderFailed) as caught:
        _apply(app, path, dry_run=False, parallel=True)
    assert caught.value.status == 503 and caught.value.code == "feed_reader_failed"
    monkeypatch.undo()
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(InspectionObject)) == 0
        assert s.get(FeedBatch, "dies-1") is None
    assert _apply(app, path, dry_run=False, parallel=True)["applied"] == 1  # sent again, it applies


def test_a_large_batch_leaves_the_directory_vacuumed_with_room_for_updates(app, dbs, tmp_path, monkeypatch):
    from server.registry.feeds import service

    monkeypatch.setattr(service, "ANALYZE_AFTER", 2)
    path = tmp_path / "feed.jsonl"
    path.write_bytes(jsonl("big-1", "big", 1, [entity(f"忻州市大批次第{i}号有限公司", code()) for i in range(3)]))
    assert _apply(app, path, dry_run=False)["applied"] == 3
    with dbs() as s:
        if s.get_bind().dialect.name != "postgresql":
            pytest.skip("VACUUM and fillfactor are PostgreSQL's")
        vacuumed, analysed = s.execute(text(
            "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = 'objects'")).one()
        assert vacuumed is not None and analysed is not None
        assert "fillfactor=85" in s.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'objects'")).scalar()


def test_a_file_named_relative_to_the_working_directory_is_read_by_the_readers(app, dbs, tmp_path, monkeypatch):
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "nightly.jsonl").write_bytes(jsonl("rel-1", "rel", 1, [entity("忻州市相对路径有限公司", code())]))
    monkeypatch.chdir(tmp_path)  # `flask objects feed drop/nightly.jsonl`, run from the drop folder's parent
    relative = Path("drop/nightly.jsonl")
    assert _apply(app, relative, dry_run=False, parallel=True)["applied"] == 1


def test_a_frame_cut_short_reads_as_the_end_of_the_pipe():
    import io
    import pickle
    import struct

    data = pickle.dumps(("chunk", [(0, 2, None, None, None, "json_invalid", "x")]))
    whole = struct.pack("<Q", len(data)) + data
    assert reader._receive(io.BytesIO(whole)) == ("chunk", [(0, 2, None, None, None, "json_invalid", "x")])
    assert reader._receive(io.BytesIO(whole[:-5])) is None  # a reader killed while writing
    assert reader._receive(io.BytesIO(whole[:3])) is None


def test_new_objects_the_readers_write_out_are_what_the_merge_writes(app, dbs, tmp_path, monkeypatch):
    """On PostgreSQL a reader writes a new object's rows out as COPY text: text that COPY would take
    for an escape or a null must arrive as it was, and the same records read again in this process
    change nothing."""
    from server.registry import bulkwrite

    copied = []
    real = bulkwrite.copy_lines
    monkeypatch.setattr(bulkwrite, "copy_lines", lambda table, cols, lines: copied.append(table.name) or
                        real(table, cols, list(lines)))
    a, b, c = code(), code(), code()
    records = [
        entity(r"忻州市反斜杠\N有限公司", a, legal_rep_name="张三", legal_rep_id_number=ID_A, online=True,
               shop_url="https://a.example.com/?q=1\\t2", registered_address="忻州市和平街\\1号",
               business_address="忻州市\t新建路 9 号"),  # a tab becomes a space; a backslash stays
        entity("忻州市新对象乙有限公司", b, risk_class="C", registration_status="注销", industry="零售业"),
        entity("忻州市新对象丙有限公司", c, phone="0350-1234567", region_code="140902"),
        {"kind": "list", "credit_code": c, "list": "abnormal", "action": "enter", "date": "2026-11-01"},
    ]
    path = tmp_path / "first.jsonl"
    path.write_bytes(jsonl("copy-1", "copy", 1, records))
    first = _apply(app, path, dry_run=False, parallel=True, chunk_size=2)
    assert first["applied"] == 4 and first["refused"] == 0
    with app.app_context():
        postgres = db.session.get_bind().dialect.name == "postgresql"
        objs = {o.credit_code: o for o in db.session.execute(select(InspectionObject)).scalars()}
        assert objs[a].name == r"忻州市反斜杠\N有限公司" and objs[a].registered_address == "忻州市和平街\\1号"
        assert objs[a].business_address == "忻州市 新建路 9 号" and objs[a].shop_url == "https://a.example.com/?q=1\\t2"
        assert objs[a].online is True and objs[b].registration_status == "deregistered" and objs[a].credit_code_override is None
        assert reveal_id_number(objs[a].legal_rep_id_protected) == ID_A
        assert db.session.get(ObjectCredit, objs[b].id).risk_class == "C"
        assert db.session.get(ObjectCredit, objs[c].id).abnormal_list is True  # named again: applied the usual way
        for obj in objs.values():
            assert obj.version == 1 and obj.created_at is not None
            assert obj.content_hash == content_hash(*state_of(obj, db.session.get(ObjectCredit, obj.id)))
    assert copied == (["objects", "object_credit"] if postgres else [])

    again = tmp_path / "again.jsonl"
    again.write_bytes(jsonl("copy-2", "copy", 2, records[:3]))
    report = _apply(app, again, dry_run=False, parallel=False)
    assert report["counts"]["object"] == {"applied": 0, "unchanged": 3, "refused": 0}


def test_what_a_reader_works_out_for_a_new_object_is_what_the_merge_makes_of_it(app):
    """`Ahead.fresh` is `_apply_object` on a new object, written for that case alone."""
    from server.registry.feeds import merge
    from server.registry.feeds.records import check
    from server.registry.protect import IdProtector

    records = [
        entity("忻州市全字段有限公司", code(), legal_rep_name="李四", legal_rep_id_number=ID_A, phone="0350-1111111",
               registered_address="忻州市和平街1号", business_address="忻州市新建路2号", region_code="140921",
               industry="零售业", registration_status="吊销", online="是", shop_url="https://x.example.com/", risk_class="A"),
        entity("忻州市只有名称有限公司", code()),  # its region from the credit code, status active
        entity("忻州市风险未分类有限公司", code(), risk_class="未分类", registration_status="迁出"),
        {"kind": "object", "object_type": "product", "name": "散装白酒", "region_code": "140902"},
        {"kind": "object", "object_type": "project", "name": "住宅小区二期工程"},
    ]
    with app.app_context():
        ids = IdProtector.current()
        ahead = merge.Ahead(ids)
        for i, record in enumerate(records):
            op = check(i + 2, record)
            values, credit, (protected, masked), digest = ahead.fresh(op)
            w = merge._new_work(op)
            merge._apply_object(merge.Ahead(ids), w, op, merge._Events())
            assert dict(zip(merge.OBJECT_COLUMNS, values)) == w.values
            assert dict(zip(merge.CREDIT_COLUMNS, credit)) == w.credit
            assert digest == content_hash(w.values, w.credit)
            assert masked == w.extra["legal_rep_id_masked"]
            assert (protected is None) == (w.extra["legal_rep_id_protected"] is None)
            if protected:
                assert reveal_id_number(protected) == reveal_id_number(w.extra["legal_rep_id_protected"]) == ID_A
