"""`audit verify` for the sync counters (issue 19): a log cut short at its end, its chain head
fixed and its stored checkpoints deleted, still disagrees with what the phones pushed.

Every push that applied anything logs the client's new `last_mutation_id` in the same transaction,
so each client's counter must equal the last one the log states for it. A counter ahead of the log
means entries were removed from the end; an exported or cosigned checkpoint catches the rest.
"""
from __future__ import annotations

from sqlalchemy import select

from server.audit.service import Finding, logged, register_verifier

from .models import SyncClient


def verify_counters(session) -> list[Finding]:
    last = {e.target_id: e.data.get("last_mutation_id") for e in logged(session, ["sync.push"])}
    clients = session.execute(select(SyncClient.client_id, SyncClient.last_mutation_id)
                              .order_by(SyncClient.client_id)).all()
    for client_id, counter in clients:
        if (counter or 0) != (last.get(client_id) or 0):
            return [Finding(f"sync client {client_id}", False,
                            f"has applied mutations up to {counter}, the log only up to {last.get(client_id) or 0} "
                            "(entries removed from the log's end)")]
    return [Finding("sync counters", True, f"{len(clients)} clients' counters agree with the log")]


register_verifier("sync counters", verify_counters)
