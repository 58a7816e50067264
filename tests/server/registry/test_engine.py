"""The directory's load engine (issue 22, speed): its fast paths give what the general ones give."""
from __future__ import annotations

import random

from sqlalchemy import select

from server.bulk import among
from server.canonical import jcs
from server.identifiers import make_credit_code
from server.registry.models import InspectionObject
from server.registry.normalize import Lookup, normalize
from server.registry.state import CREDIT_COLUMNS, OBJECT_COLUMNS, _flat_jcs
from tests.server.registry.feed_support import entity, jsonl, post
from tests.server.registry.helpers import code


def test_the_content_hash_document_is_written_byte_for_byte_as_jcs_writes_it():
    rng = random.Random(22)
    letters = ["a", "Z", "忻", "\x00", "\x1f", "\n", "\t", '"', "\\", "\u2028", "é", "😀", "\x7f", " ", "/"]
    for _ in range(3000):
        doc = {}
        for k in (*OBJECT_COLUMNS, *CREDIT_COLUMNS):
            pick = rng.random()
            doc[k] = (None if pick < 0.2 else rng.random() < 0.5 if pick < 0.4
                      else rng.randrange(-10 ** 7, 10 ** 7) if pick < 0.5
                      else "".join(rng.choice(letters) for _ in range(rng.randrange(8))))
        assert _flat_jcs(doc) == jcs(doc)
    doc[OBJECT_COLUMNS[0]] = 2 ** 60  # beyond JSON's safe integers, and values of other types: left to jcs
    assert _flat_jcs(doc) is None
    doc[OBJECT_COLUMNS[0]] = 1.5
    assert _flat_jcs(doc) is None
    doc[OBJECT_COLUMNS[0]] = "a\ud800b"  # not valid Unicode: left to jcs, which refuses it
    assert _flat_jcs(doc) is None
    for edge in (2 ** 53 - 1, -(2 ** 53 - 1)):
        doc[OBJECT_COLUMNS[0]] = edge
        assert _flat_jcs(doc) == jcs(doc)
    for beyond in (2 ** 53, -(2 ** 53), 2 ** 63, -(2 ** 70)):
        doc[OBJECT_COLUMNS[0]] = beyond
        assert _flat_jcs(doc) is None

    class Text(str):
        pass

    doc[OBJECT_COLUMNS[0]] = Text("x")  # a subclass: left to jcs
    assert _flat_jcs(doc) is None


def test_text_fast_paths_keep_the_cleaning_of_odd_text():
    valid = make_credit_code("91140902MA0X00001")
    typed = " " + "".join(chr(ord(ch) + 0xFEE0) for ch in valid[:8]) + valid[8:].lower() + "\u3000"
    c = normalize({"name": " 忻州市\u3000多  空格\t商贸\x07有限公司 ", "credit_code": typed,
                   "registration_status": "存续（在营、开业、在册）", "region_code": "忻府区"}, Lookup.of([]))
    assert c.issues == []
    assert c.values["name"] == "忻州市 多 空格 商贸有限公司" and c.values["credit_code"] == valid
    assert c.values["registration_status"] == "active" and c.values["region_code"] == "140902"


def test_a_list_or_object_where_one_value_belongs_is_refused_by_line(client, login):
    records = [entity(["忻州市列表名称有限公司"]), entity("忻州市对象电话有限公司", phone={"a": 1}),
               {"kind": "object", "name": "忻州市列表代码有限公司", "credit_code": [code()]},
               entity("忻州市正常有限公司")]
    r = post(client, login("office"), jsonl("shape-1", "shape", 1, records))
    body = r.get_json()
    assert r.status_code == 201, body
    assert [(x["line"], x["field"], x["code"]) for x in body["refusals"]] == [
        (2, "name", "value_not_text"), (3, "phone", "value_not_text"), (4, "credit_code", "value_not_text")]
    assert body["applied"] == 1


def test_many_keys_are_looked_up_as_one_parameter(reg, dbs):
    made = [reg.obj(name=f"忻州市键查询{i}号有限公司") for i in range(3)]
    with dbs() as s:
        dialect = s.get_bind().dialect.name
        ids = [o["id"] for o in made] + list(range(10 ** 6, 10 ** 6 + 3000))
        found = s.execute(select(InspectionObject.id).where(among(InspectionObject.id, ids, dialect))).scalars()
        assert sorted(found) == sorted(o["id"] for o in made)
        keys = [o["credit_code"] for o in made] + [f"k:{i}" for i in range(3000)]
        found = s.execute(select(InspectionObject.id).where(among(InspectionObject.match_key, keys, dialect))).scalars()
        assert sorted(found) == sorted(o["id"] for o in made)


def test_copy_text_fields_are_escaped_exactly_where_copy_needs_it():
    """What a feed's reader writes out as COPY text reads back as the values (PostgreSQL's text
    format: backslash, tab, newline and carriage return escaped, None as \\N)."""
    from server.registry.bulkwrite import copy_fields

    def read_back(line: bytes) -> list:  # PostgreSQL's reading of one COPY text line
        unescape = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
        fields = []
        for f in line.decode("utf-8").split("\t"):
            if f == "\\N":
                fields.append(None)
                continue
            out, i = [], 0
            while i < len(f):
                pair = f[i:i + 2]
                if pair in unescape:
                    out.append(unescape[pair])
                    i += 2
                else:
                    assert f[i] != "\\", f
                    out.append(f[i])
                    i += 1
            fields.append("".join(out))
        return fields

    rng = random.Random(7)
    letters = ["a", "忻", "\\", "\t", "\n", "\r", "N", "\x07", " ", "\u2028", "😀"]
    for _ in range(3000):
        values = tuple(None if rng.random() < 0.2 else "".join(rng.choice(letters) for _ in range(rng.randrange(6)))
                       for _ in range(rng.randrange(1, 8)))
        assert read_back(copy_fields(values)) == list(values)
    assert copy_fields((1, True, False, None, "x")) == b"1\tt\tf\t\\N\tx"
    assert copy_fields(("a", 1.5)) is None and copy_fields(("a\ud800",)) is None  # left to the usual way
