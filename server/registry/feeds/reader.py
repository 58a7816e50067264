"""A feed's records read and checked chunk by chunk, in this process or, for a large file, in
child processes that run beside the merge.

Reading and checking a record (JSON or CSV, `records.check`: normalising, credit-code and ID
checksums) is most of a first load's CPU and needs nothing from the database. For a file of
`PARALLEL_BYTES` or more, `READERS` child processes (``python -m server.registry.feeds.reader
FILE N I COUNT FORM``) do it: child I checks chunks I, I + COUNT, … and writes each to its pipe while
this process merges an earlier one, so reading, merging and the database's own work share the
cores. A pipe holds about one chunk: a child waits while the merge is behind, and memory stays
flat. Both ways give the same items in the same order: an `Op`, or a `Rejected` for a record
refused before the merge. A child also works out what each object record makes of an object not
yet in the directory (its values, protected ID number and content hash: `merge.Ahead`), which a
first load then only writes. A file that turns out unreadable half-way (a malformed CSV row)
raises the same `FileProblem` either way; a child that dies raises `ReaderFailed`. Either way the
caller's transaction is rolled back, so nothing is half-written.
"""
from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO, Iterator

from ...errors import Unavailable
from ..importer.reading import FileProblem
from ..normalize import Candidate
from ..bulkwrite import copy_fields
from ..protect import IdProtector
from .merge import Ahead
from .parse import BadLine, FeedFile, open_feed
from .records import Op, Refused, Rejected, Written, check

PARALLEL_BYTES = 16 << 20
# Reader processes for a large file: two keep two cores busy beside the merge and the database.
READERS = max(2, min(4, (os.cpu_count() or 2) - 1))
_FRAME = struct.Struct("<Q")
log = logging.getLogger(__name__)
_ROOT = Path(__file__).resolve().parents[3]


class ReaderFailed(Unavailable):
    """A reader process ended without finishing the file (503; the batch is not applied)."""

    code = "feed_reader_failed"


def checked(items, ids: IdProtector | None = None, copy: bool = False) -> list[Op | Rejected | Written]:
    """Check decoded ``(line, dict | BadLine)`` items; with `ids`, also work out each object record's
    `Op.fresh` (what it makes of an object not yet in the directory), and with `copy` (PostgreSQL)
    give that as a `Written` row instead."""
    out: list[Op | Rejected | Written] = []
    ahead = Ahead(ids) if ids is not None else None
    for line, raw in items:
        if isinstance(raw, BadLine):
            out.append(Rejected(line, None, None, None, raw.code, raw.message))
            continue
        try:
            op = check(line, raw)
        except Refused as r:
            out.append(Rejected(line, r.kind, r.credit_code, r.issue.field, r.issue.code, r.issue.message))
            continue
        if ahead is not None and op.kind == "object":
            op.fresh = ahead.fresh(op)
            if copy and (written := _written(op)) is not None:
                out.append(written)
                continue
        out.append(op)
    return out


def _written(op: Op) -> Written | None:
    values, credit, extra, digest = op.fresh
    row, credit_row = copy_fields((1, op.key, digest, *values, *extra)), copy_fields(credit)
    if row is None or credit_row is None:
        return None
    c = op.cand
    return Written(op.line, op.key, digest, row, credit_row, (c.values, c.legal_rep_id, c.default_region))


def chunks(path: Path, feed: FeedFile, chunk_size: int, *, parallel: bool | None = None,
           copy: bool = False) -> Iterator[list]:
    """The checked records of `feed` (open on `path`), `chunk_size` at a time, in line order;
    `parallel` None decides by the file's size. With `copy` (PostgreSQL), the reader processes
    give new objects' rows as COPY text (`Written`)."""
    if parallel is None:
        parallel = path.stat().st_size >= PARALLEL_BYTES
    if not parallel:
        records = feed.records
        while chunk := list(itertools.islice(records, chunk_size)):
            yield checked(chunk)
        return
    yield from _from_children(path, chunk_size, READERS, copy)


# --- the child process and its pipe ---------------------------------------------------

def _encode(items: list[Op | Rejected | Written]) -> list[tuple]:
    """Plain tuples (pickling dataclasses costs the receiving side ~4x more)."""
    out = []
    for it in items:
        if type(it) is Written:
            out.append((2, it.line, it.key, it.hash, it.row, it.credit, it.cand))
        elif isinstance(it, Rejected):
            out.append((0, it.line, it.kind, it.credit_code, it.field, it.code, it.message))
        else:
            c = it.cand
            out.append((1, it.line, it.kind, it.key, None if c is None else (c.values, c.legal_rep_id, c.default_region),
                        it.status, it.list, it.action, it.on, it.reason, it.period, it.count, it.risk, it.fresh))
    return out


def _decode(rows: list[tuple]) -> list[Op | Rejected | Written]:
    out: list[Op | Rejected | Written] = []
    for r in rows:
        if r[0] == 2:
            out.append(Written(*r[1:]))
            continue
        if r[0] == 0:
            out.append(Rejected(*r[1:]))
            continue
        cand = None
        if r[4] is not None:
            values, legal_rep_id, region = r[4]
            cand = Candidate(values, legal_rep_id, match_key=r[3], default_region=region)
        out.append(Op(r[1], r[2], r[3], cand, *r[5:]))
    return out


def _send(out: BinaryIO, message: tuple) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(len(data)))
    out.write(data)
    out.flush()


def _receive(src: BinaryIO) -> tuple | None:
    head = src.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    size = _FRAME.unpack(head)[0]
    data = src.read(size)
    if len(data) < size:  # the writer ended half-way through a frame
        return None
    return pickle.loads(data)  # from our own child process only


def _from_children(path: Path, chunk_size: int, count: int, copy: bool) -> Iterator[list]:
    """Chunk k comes from child k mod `count`; each child reads the whole file and checks its own
    chunks. A child that has no chunk k says "end": the file is done."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(_ROOT), os.environ.get("PYTHONPATH")))))
    keys = IdProtector.key_material()
    procs: list[subprocess.Popen] = []
    try:
        for i in range(count):
            args = [str(path.resolve()), str(chunk_size), str(i), str(count), "copy" if copy else "values"]
            # (its working directory is _ROOT)
            proc = subprocess.Popen([sys.executable, "-m", __name__, *args], stdout=subprocess.PIPE, stdin=subprocess.PIPE,
                                    env=env, cwd=str(_ROOT))
            procs.append(proc)
            with contextlib.suppress(BrokenPipeError):  # it ended at once: seen where its first chunk is due
                _send(proc.stdin, keys)  # by pipe: not in its arguments or environment
            with contextlib.suppress(OSError):
                proc.stdin.close()
        for k in itertools.count():
            proc = procs[k % count]
            message = _receive(proc.stdout)
            if message is None:
                log.error("feed reader %s exited with %s before the end of %s", k % count, proc.wait(), path.name)
                raise ReaderFailed("读取批次文件的进程意外结束，本批次未执行任何修改，请重新发送。")
            if message[0] == "chunk":
                yield _decode(message[1])
            elif message[0] == "problem":
                raise FileProblem(message[2], code=message[1])
            else:
                return
    finally:
        for proc in procs:
            proc.stdout.close()
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _child(path: str, chunk_size: int, index: int, count: int, copy: bool) -> None:
    """Send chunks index, index + count, …: a skipped chunk's records are only read, not decoded."""
    out = sys.stdout.buffer
    ids = IdProtector.from_material(*_receive(sys.stdin.buffer))
    feed = open_feed(Path(path))
    try:
        try:
            for k in itertools.count():
                chunk = list(itertools.islice(feed.raw, chunk_size))
                if not chunk:
                    break
                if k % count == index:
                    decode = feed.decode
                    _send(out, ("chunk", _encode(checked([(n, decode(raw)) for n, raw in chunk], ids, copy))))
        except FileProblem as problem:
            _send(out, ("problem", problem.code, problem.detail))
            return
        _send(out, ("end",))
    finally:
        feed.close()


if __name__ == "__main__":  # pragma: no cover - runs as the child process (covered through `chunks`)
    gc.disable()  # it makes no reference cycles: reference counting frees each chunk (the collector cost ~15 %)
    try:
        _child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "copy")
    except BrokenPipeError:  # the merge stopped early (its transaction failed): nothing more to read
        sys.exit(1)
