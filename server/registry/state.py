"""An object's state as plain values: loading it in bulk, hashing it, showing it safely."""
from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import select

from ..bulk import among
from ..canonical import jcs_sha256
from ..extensions import db
from .models import InspectionObject, ObjectCredit, ObjectSubLibrary

OBJECT_COLUMNS = ("object_type", "name", "credit_code", "credit_code_override", "legal_rep_name", "legal_rep_id_hash",
                  "phone", "registered_address", "business_address", "region_code", "industry",
                  "registration_status", "online", "shop_url")
CREDIT_COLUMNS = ("risk_class", "abnormal_list", "serious_violation_list", "complaint_count")
CREDIT_DEFAULTS = {"risk_class": None, "abnormal_list": False, "serious_violation_list": False, "complaint_count": 0}
OBJECT_DEFAULTS = {k: None for k in OBJECT_COLUMNS} | {"online": False, "registration_status": "active"}


@dataclass
class State:
    id: int
    match_key: str
    content_hash: str
    version: int
    values: dict[str, Any]
    credit: dict[str, Any]
    libs: set[int] = field(default_factory=set)


def content_hash(values: dict[str, Any], credit: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the object's data and credit fields.

    The legal representative's ID enters only as its keyed hash. Sub-library
    membership is not part of it (tags are compared separately).
    """
    doc = {k: values.get(k) for k in OBJECT_COLUMNS}
    for k in CREDIT_COLUMNS:
        doc[k] = credit.get(k, CREDIT_DEFAULTS[k])
    fast = _flat_jcs(doc)
    return hashlib.sha256(fast).hexdigest() if fast is not None else jcs_sha256(doc)


_HASH_KEYS = sorted((*OBJECT_COLUMNS, *CREDIT_COLUMNS))
_KEY_PREFIXES = [("{" if i == 0 else ",") + json.dumps(k) + ":" for i, k in enumerate(_HASH_KEYS)]
_LITERALS = {None: "null", True: "true", False: "false"}
_SAFE_INT = 2 ** 53


def _flat_jcs(doc: dict[str, Any]) -> bytes | None:
    """`jcs(doc)` for the usual document (values text, booleans, None or small integers), written
    directly in its fixed key order with the json module's string escaping (which `jcs` uses for
    such documents); None for anything else (then `jcs` decides)."""
    out = []
    for prefix, key in zip(_KEY_PREFIXES, _HASH_KEYS):
        v = doc[key]
        t = type(v)
        if t is str:
            out += (prefix, encode_basestring(v))
        elif t is int:
            if not -_SAFE_INT < v < _SAFE_INT:
                return None
            out += (prefix, str(v))
        elif v is None or t is bool:
            out += (prefix, _LITERALS[v])
        else:
            return None
    out.append("}")
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: `jcs` refuses it the way it does
        return None


def load_states(keys: Iterable[str], *, lock: bool = False) -> dict[str, State]:
    """States of the objects with these merge keys, with credit and memberships (three queries at most)."""
    keys = list(keys)
    if not keys:
        return {}
    o, cr = InspectionObject.__table__, ObjectCredit.__table__
    dialect = db.session.get_bind().dialect.name
    stmt = (select(o.c.id, o.c.match_key, o.c.content_hash, o.c.version, *[o.c[k] for k in OBJECT_COLUMNS],
                   *[cr.c[k] for k in CREDIT_COLUMNS])
            .select_from(o.outerjoin(cr, cr.c.object_id == o.c.id))
            .where(among(o.c.match_key, keys, dialect)).order_by(o.c.id))
    if lock and dialect == "postgresql":
        stmt = stmt.with_for_update(of=o)
    states: dict[str, State] = {}
    by_id: dict[int, State] = {}
    for row in db.session.execute(stmt).mappings():
        credit = {k: (row[k] if row[k] is not None else CREDIT_DEFAULTS[k]) for k in CREDIT_COLUMNS}
        st = State(row["id"], row["match_key"], row["content_hash"], row["version"],
                   {k: row[k] for k in OBJECT_COLUMNS}, credit)
        states[st.match_key] = by_id[st.id] = st
    if by_id:
        m = ObjectSubLibrary.__table__
        for object_id, lib_id in db.session.execute(
                select(m.c.object_id, m.c.sub_library_id).where(among(m.c.object_id, list(by_id), dialect))):
            by_id[object_id].libs.add(lib_id)
    return states


def state_of(obj: InspectionObject, credit: ObjectCredit | None) -> tuple[dict, dict]:
    values = {k: getattr(obj, k) for k in OBJECT_COLUMNS}
    cred = {k: getattr(credit, k) if credit is not None else CREDIT_DEFAULTS[k] for k in CREDIT_COLUMNS}
    return values, cred
