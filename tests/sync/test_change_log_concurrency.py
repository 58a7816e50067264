"""The change feed's cursor can never be overtaken, under concurrent writers.

Writers commit changes from several threads (real connections) while a reader
keeps pulling past its cursor. If a change could commit with a number below
a cursor the reader already passed, the reader would never see it; so at the
end every committed change must have been seen, in increasing order.
"""
from __future__ import annotations

import random
import threading
import time

from sqlalchemy import select

from server.extensions import db
from sync.changes import emit
from sync.models import SyncFeed

RECIPIENT = 424242


def _writer(app, n, wid, errors):
    rng = random.Random(wid)
    try:
        with app.app_context():
            for i in range(n):
                emit(db.session, "probe", f"{wid}-{i}", [RECIPIENT])
                if rng.random() < 0.5:
                    time.sleep(rng.random() / 200)  # widen the window between numbering and commit
                db.session.commit()
            db.session.remove()
    except Exception as exc:  # pragma: no cover - reported below
        errors.append(exc)


def test_reader_never_overtaken(app):
    writers, per_writer = 6, 40
    errors: list = []
    seen: list[int] = []
    done = threading.Event()

    def reader():
        cursor = 0
        with app.app_context():
            while True:
                finished = done.is_set()
                rows = db.session.execute(select(SyncFeed.seq).where(
                    SyncFeed.recipient_id == RECIPIENT, SyncFeed.seq > cursor).order_by(SyncFeed.seq)).scalars().all()
                db.session.rollback()  # a fresh snapshot on every poll
                if rows:
                    seen.extend(rows)
                    cursor = rows[-1]
                if finished and not rows:
                    break
            db.session.remove()

    threads = [threading.Thread(target=_writer, args=(app, per_writer, w, errors)) for w in range(writers)]
    r = threading.Thread(target=reader)
    r.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    r.join(timeout=120)
    assert not errors, errors
    with app.app_context():
        committed = db.session.execute(select(SyncFeed.seq).where(SyncFeed.recipient_id == RECIPIENT)).scalars().all()
        db.session.remove()
    assert len(committed) == writers * per_writer
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert sorted(committed) == seen  # nothing committed behind the reader's cursor
