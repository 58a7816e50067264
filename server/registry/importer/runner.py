"""Running an import job: chunks of rows, each validated, merged and committed with its progress.

Each chunk is one transaction: its objects, its row errors, the job's counters
and its audit entry commit together, so progress is visible to other requests
and a failure part-way leaves whole chunks, never half of one. Re-running the
same file is harmless (unchanged rows are recognised by their content hash).
"""
from __future__ import annotations

import itertools
import json
import logging
from typing import Callable, Iterator

from sqlalchemy import delete, insert, select, text

from ...audit import service as audit
from ...bulk import among
from ...extensions import db
from ...identifiers import mask_id_number
from ...types import utcnow
from ..access import Editor
from ..models import ImportJob, ImportRowError, ImportSeenKey
from ..normalize import LABELS, Lookup, normalize
from ..sublibs import load_lookup
from ..upsert import Item, RaceLost, audit_lists, process
from .reading import FileProblem, Table

log = logging.getLogger(__name__)

DEFAULT_CHUNK = 2000
_RETRIES = 3


# New keys in one statement whatever their number (the keys as one parameter), returning those inserted.
_CLAIM = {
    "postgresql": text("INSERT INTO import_seen_keys (job_id, match_key, row_number) "
                       "SELECT :job, k, r FROM unnest(CAST(:keys AS text[]), CAST(:rows AS integer[])) AS t(k, r) "
                       "ON CONFLICT DO NOTHING RETURNING match_key"),
    "sqlite": text("INSERT INTO import_seen_keys (job_id, match_key, row_number) "
                   "SELECT :job, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:pairs) "
                   "WHERE true ON CONFLICT DO NOTHING RETURNING match_key"),
}


class TableSeen:
    """Merge keys already read by this job, kept in `import_seen_keys` (flat memory).

    New keys go in with one INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING, the
    chunk's keys as one parameter (an array, or JSON on SQLite): the unique
    index answers "seen before?" for each key, so the cost per chunk does not
    grow with the rows already read (a SELECT … IN (…) did, on PostgreSQL with
    an empty table's statistics). Only the few keys that conflict are looked up.
    """

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id

    def claim(self, pairs: list[tuple[str, int]]) -> dict[int, int]:
        first: dict[str, int] = {}
        again: list[tuple[int, str]] = []
        for key, ref in pairs:
            if key in first:
                again.append((ref, key))
            else:
                first[key] = ref
        if not first:
            return {}
        t = ImportSeenKey.__table__
        dialect = db.session.get_bind().dialect.name
        params = {"job": self.job_id, "keys": list(first), "rows": list(first.values())} \
            if dialect == "postgresql" else {"job": self.job_id, "pairs": json.dumps(list(first.items()))}
        inserted = set(db.session.execute(_CLAIM[dialect], params).scalars())
        earlier = [k for k in first if k not in inserted]
        rows: dict[str, int] = {}
        if earlier:
            rows = dict(db.session.execute(select(t.c.match_key, t.c.row_number).where(
                t.c.job_id == self.job_id, among(t.c.match_key, earlier, dialect))).all())
        dups = {first[k]: rows[k] for k in earlier}
        dups.update((ref, rows.get(key, first[key])) for ref, key in again)
        return dups


def create_job(editor: Editor, *, job_id: str, filename: str, sha256: str, size: int, table: Table, mode: str) -> ImportJob:
    job = ImportJob(id=job_id, filename=filename[:255], file_sha256=sha256, file_size=size, format=table.format,
                    mode=mode, status="pending", headers=table.headers, ignored_columns=table.ignored,
                    rows_total=table.estimate, created_by=editor.user_id, department_id=editor.department_id)
    db.session.add(job)
    audit.record(db.session, "registry.import.create", "import_job", job_id,
                 {"filename": job.filename, "sha256": sha256, "size": size, "format": table.format, "mode": mode},
                 actor=editor.actor)
    return job


class _Chunker:
    """Turns table rows into items, and rejected items into error rows."""

    def __init__(self, job: ImportJob, table: Table, lookup: Lookup) -> None:
        self.job_id = job.id
        self.fields = table.fields
        self.header_of = {f: table.headers[i] for i, f in table.fields.items()}
        self.id_columns = {i for i, f in table.fields.items() if f == "legal_rep_id_number"}
        self.lookup = lookup
        self.raw: dict[int, list] = {}

    def items(self, rows: list[tuple[int, list]]) -> list[Item]:
        self.raw = {n: v for n, v in rows}
        return [Item(n, normalize({f: v[i] for i, f in self.fields.items()}, self.lookup)) for n, v in rows]

    def error_rows(self, items: list[Item]) -> list[dict]:
        out = []
        for it in items:
            if it.outcome != "rejected":
                continue
            raw = [mask_id_number(v) if i in self.id_columns and v else str(v) for i, v in enumerate(self.raw[it.ref])]
            for issue in it.issues:
                out.append({"job_id": self.job_id, "row_number": it.ref,
                            "column": self.header_of.get(issue.field) or LABELS.get(issue.field, issue.field),
                            "value": (issue.value or None) and issue.value[:500], "code": issue.code,
                            "message": issue.message[:500], "raw": raw})
        return out


def _chunks(rows: Iterator[tuple[int, list]], size: int) -> Iterator[list[tuple[int, list]]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def run_job(job_id: str, table: Table, editor: Editor, *, chunk_size: int = DEFAULT_CHUNK,
            on_progress: Callable[[int], None] | None = None) -> ImportJob:
    """Process the whole table for this job (dry run or commit); always leaves the job done or failed."""
    job = db.session.get(ImportJob, job_id)
    job.status, job.started_at, job.updated_at = "running", utcnow(), utcnow()
    db.session.commit()
    write = job.mode == "commit"
    try:
        chunker = _Chunker(job, table, load_lookup())
        seen = TableSeen(job_id)
        for rows in _chunks(table.rows, chunk_size):
            _process_chunk(job_id, chunker, rows, editor, seen, write)
            if on_progress:
                on_progress(len(rows))
        outcome, error = "done", None
    except FileProblem as problem:
        outcome, error = "failed", problem.detail
    except Exception:
        log.exception("import job %s failed", job_id)
        outcome, error = "failed", "导入时发生内部错误（已记录）。已提交的部分保持有效，可修正后重新导入同一文件。"
    finally:
        table.close()
    db.session.rollback()
    return _finish(job_id, outcome, error, editor)


def _process_chunk(job_id: str, chunker: _Chunker, rows: list, editor: Editor, seen: TableSeen, write: bool) -> None:
    items = chunker.items(rows)
    for attempt in range(_RETRIES):
        try:
            counts = process(items, editor, chunker.lookup, write=write, seen=seen)
            break
        except RaceLost:
            db.session.rollback()
    else:
        raise RuntimeError("chunk kept losing insert races")
    errors = chunker.error_rows(items)
    if errors:
        db.session.execute(insert(ImportRowError.__table__), errors)
    job = db.session.get(ImportJob, job_id)
    job.rows_processed += len(items)
    for key, n in counts.items():
        setattr(job, key, getattr(job, key) + n)
    job.updated_at = utcnow()
    if write and (counts["created"] or counts["updated"]):
        audit.record(db.session, "registry.import.chunk", "import_job", job_id,
                     {"rows": [rows[0][0], rows[-1][0]], "counts": counts, **audit_lists(items)}, actor=editor.actor)
    db.session.commit()


def _finish(job_id: str, outcome: str, error: str | None, editor: Editor) -> ImportJob:
    db.session.execute(delete(ImportSeenKey).where(ImportSeenKey.job_id == job_id))
    job = db.session.get(ImportJob, job_id)
    job.status, job.error, job.finished_at, job.updated_at = outcome, error, utcnow(), utcnow()
    if outcome == "done":
        job.rows_total = job.rows_processed
    audit.record(db.session, "registry.import.finish", "import_job", job_id,
                 {"status": outcome, "error": error, "rows": job.rows_processed, "created": job.created,
                  "updated": job.updated, "unchanged": job.unchanged, "rejected": job.rejected},
                 actor=editor.actor)
    db.session.commit()
    return job
