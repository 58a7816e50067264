"""Merge a batch of normalised objects into the directory: the one write path for
imports, the bulk feed and single entry.

An input whose merge key (credit code, or type+name+region for products and
the like) matches an existing object updates that object; otherwise a new
one is created. Nothing is written when `write` is false (dry run), but every
outcome is still computed, so a dry run predicts created/updated/unchanged
exactly. Writes go through the set-wise engine of the feed loader
(`bulkwrite`: COPY or executemany, a staging table and one UPDATE … FROM); a
new object whose key another transaction created meanwhile fails the insert,
and the caller rolls back and retries the batch (`RaceLost`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..audit import service as audit
from ..bulk import insert_rows
from ..extensions import db
from ..types import utcnow
from .access import Editor
from .bulkwrite import RaceLost, insert_objects, replace_credit, update_objects
from .models import ObjectSubLibrary
from .normalize import CREDIT_FIELDS, Candidate, Issue, Lookup
from .protect import hash_id_number, protect_id_number
from .state import CREDIT_COLUMNS, CREDIT_DEFAULTS, OBJECT_COLUMNS, OBJECT_DEFAULTS, State, content_hash, load_states

OUTCOMES = ("created", "updated", "unchanged", "rejected")


class Seen(Protocol):
    def claim(self, pairs: list[tuple[str, int]]) -> dict[int, int]:
        """Register (key, ref) pairs in order; return {ref: first ref} for keys seen before."""


class MemorySeen:
    """Duplicate detection inside one request's batch."""

    def __init__(self) -> None:
        self.first: dict[str, int] = {}

    def claim(self, pairs: list[tuple[str, int]]) -> dict[int, int]:
        dups = {}
        for key, ref in pairs:
            if key in self.first:
                dups[ref] = self.first[key]
            else:
                self.first[key] = ref
        return dups


@dataclass
class Item:
    """One input of a batch and, after `process`, what became of it."""

    ref: int
    cand: Candidate
    issues: list[Issue] = field(default_factory=list)
    outcome: str | None = None
    object_id: int | None = None
    changed: list[str] = field(default_factory=list)
    added_libs: set[int] = field(default_factory=set)
    values: dict[str, Any] = field(default_factory=dict)
    credit: dict[str, Any] = field(default_factory=dict)
    hash: str | None = None
    version: int = 1
    protect: bool = False

    def reset(self) -> None:
        """Back to the validation result, so a batch can be processed again after a rollback."""
        self.issues = list(self.cand.issues)
        self.outcome = self.object_id = self.hash = None
        self.changed, self.added_libs, self.values, self.credit = [], set(), {}, {}
        self.version, self.protect = 1, False


def process(items: list[Item], editor: Editor, lookup: Lookup, *, write: bool, seen: Seen,
            where: Callable[[int], str] = lambda ref: f"第{ref}行") -> dict[str, int]:
    """Classify (and, when `write`, apply) a batch; returns the counts per outcome."""
    for it in items:
        it.reset()
    _flag_duplicates(items, seen, where)
    valid = [it for it in items if not it.issues]
    existing = load_states((it.cand.match_key for it in valid), lock=write)
    for it in valid:
        _classify(it, existing.get(it.cand.match_key), editor, lookup)
    for it in items:
        if it.issues:
            it.outcome = "rejected"
    if write:
        _write([it for it in items if it.outcome in ("created", "updated")], editor)
    counts = dict.fromkeys(OUTCOMES, 0)
    for it in items:
        counts[it.outcome] += 1
    return counts


def _flag_duplicates(items: list[Item], seen: Seen, where: Callable[[int], str]) -> None:
    keyed = [it for it in items if it.cand.match_key]
    dups = seen.claim([(it.cand.match_key, it.ref) for it in keyed])
    for it in keyed:
        if it.ref in dups:
            coded = "credit_code" in it.cand.values
            what = "统一社会信用代码" if coded else "对象（类型、名称与区划相同）"
            it.issues.append(Issue("credit_code" if coded else "name", "duplicate_in_file",
                                   f"与{where(dups[it.ref])}的{what}重复，同一对象只能出现一次。",
                                   it.cand.values.get("credit_code") or it.cand.values.get("name")))


def _classify(it: Item, st: State | None, editor: Editor, lookup: Lookup) -> None:
    c = it.cand
    refused = [lookup.by_id[i] for i in sorted(c.sub_library_ids) if not editor.may_use_library(lookup.by_id[i])]
    if refused:
        names = "、".join(lib.name for lib in refused)
        it.issues.append(Issue("sub_libraries", "sub_library_not_allowed",
                               f"分库“{names}”属于其他部门，本部门不能把对象纳入该分库。", names))
        return
    values = dict(st.values) if st else dict(OBJECT_DEFAULTS)
    credit = dict(st.credit) if st else dict(CREDIT_DEFAULTS)
    for k, v in c.values.items():
        if k in CREDIT_FIELDS:
            credit[k] = v
        else:
            values[k] = v
    if st is None and values.get("region_code") is None:
        values["region_code"] = c.default_region
    if c.override_reason:
        values["credit_code_override"] = c.override_reason
    if c.legal_rep_id:
        values["legal_rep_id_hash"] = hash_id_number(c.legal_rep_id)
        it.protect = st is None or values["legal_rep_id_hash"] != st.values["legal_rep_id_hash"]
    it.values, it.credit = values, credit
    if st is None:
        it.outcome, it.hash = "created", content_hash(values, credit)
        it.added_libs = set(c.sub_library_ids)
        it.changed = [k for k in OBJECT_COLUMNS if values[k] is not None] + list(CREDIT_COLUMNS)
        return
    it.object_id, it.version = st.id, st.version
    it.changed = [k for k in OBJECT_COLUMNS if values[k] != st.values[k]] + \
                 [k for k in CREDIT_COLUMNS if credit[k] != st.credit[k]]
    it.added_libs = c.sub_library_ids - st.libs
    if it.changed and not editor.may_edit(lookup.by_id[i] for i in st.libs if i in lookup.by_id):
        it.issues.append(Issue(it.changed[0], "object_not_manageable",
                               "该对象属于其他部门的分库，本部门不能修改其信息（可将其纳入本部门分库，但所填信息须与现有信息一致或留空）。"))
        return
    if not it.changed and not it.added_libs:
        it.outcome = "unchanged"
        return
    it.outcome, it.hash, it.version = "updated", content_hash(values, credit), st.version + 1


def dialect_insert(table):
    """INSERT with the dialect's ON CONFLICT support (PostgreSQL or SQLite)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def _write(items: list[Item], editor: Editor) -> None:
    if not items:
        return
    now = utcnow()
    m = ObjectSubLibrary.__table__
    created: dict[str, Item] = {}
    new_rows, upd_rows = [], []
    for it in items:
        row = {k: it.values[k] for k in OBJECT_COLUMNS}
        row.update(content_hash=it.hash, version=it.version, updated_at=now)
        if it.protect:
            p = protect_id_number(it.cand.legal_rep_id)
            row.update(legal_rep_id_protected=p.protected, legal_rep_id_masked=p.masked)
        if it.outcome == "created":
            row.setdefault("legal_rep_id_protected", None)
            row.setdefault("legal_rep_id_masked", None)
            row.update(match_key=it.cand.match_key, created_at=now)
            new_rows.append(row)
            created[it.cand.match_key] = it
        else:
            row["id"] = it.object_id
            upd_rows.append(row)
    # The set-wise engine the feed loader uses (bulkwrite): one order for every writer (keys, then ids).
    ids = insert_objects(new_rows)
    for key, it in created.items():
        it.object_id = ids[key]
    # Rows with a new ID number carry two more columns: one statement per shape.
    with_id = [r for r in upd_rows if "legal_rep_id_protected" in r]
    for group in (with_id, [r for r in upd_rows if "legal_rep_id_protected" not in r]):
        update_objects(group)
    credit_items = [it for it in items if it.outcome == "created" or set(it.changed) & set(CREDIT_COLUMNS)]
    if credit_items:
        replace_credit([{"object_id": it.object_id, **{k: it.credit[k] for k in CREDIT_COLUMNS}, "updated_at": now}
                        for it in credit_items], [it.object_id for it in credit_items if it.outcome != "created"])
    # A new object has no memberships yet: its rows go in by the bulk path; a known one may have
    # gained the same membership from another writer meanwhile.
    for fresh in (True, False):
        rows = [{"object_id": it.object_id, "sub_library_id": lib} for it in items
                if (it.outcome == "created") == fresh for lib in sorted(it.added_libs)]
        if rows and fresh:
            insert_rows(db.session, m, rows)
        elif rows:
            db.session.execute(dialect_insert(m).on_conflict_do_nothing(), rows)
    for it in items:
        if "credit_code_override" in it.changed and it.cand.override_reason:
            audit.record(db.session, "registry.object.credit_code_override", "object", it.object_id,
                         {"credit_code": it.values["credit_code"], "reason": it.cand.override_reason},
                         actor=editor.actor)


def audit_lists(items: list[Item]) -> dict[str, list]:
    """Compact audit payload of a batch: ids, keys and resulting content hashes."""
    return {
        "created": [[it.object_id, it.cand.match_key, it.hash] for it in items if it.outcome == "created"],
        "updated": [[it.object_id, it.cand.match_key, it.hash, it.changed + (["sub_libraries"] if it.added_libs else [])]
                    for it in items if it.outcome == "updated"],
    }
