"""Set-wise batch apply (issue 20): a batch is applied in one go and, when one of its mutations
fails, applied again a savepoint per mutation; what stays is exactly what one savepoint per
mutation would have left, once."""
from __future__ import annotations

from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.settings import AppSetting
from sync.models import SyncClient, SyncFeed, SyncMutation
from tests.sync.test_push_pull import push, put


def _count(s, model, *where):
    return s.scalar(select(func.count()).select_from(model).where(*where))


def test_a_failure_after_applied_mutations_leaves_each_effect_once(client, login, new_client_id, dbs):
    h, cid = login("scjg-insp1"), new_client_id()
    muts = [put(1, "a", "1"), put(2, "a", "2"), {"id": 3, "name": "test.fail", "args": {"key": "x"}},
            put(4, "b", "4"), {"id": 5, "name": "test.crash", "args": {"key": "y"}}, put(6, "a", "6")]
    body = push(client, h, cid, muts).get_json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied", "rejected", "applied", "rejected", "applied"]
    assert body["results"][2]["problem"]["code"] == "record_sealed"
    assert body["results"][4]["problem"]["code"] == "internal_error"
    assert body["last_mutation_id"] == 6
    with dbs() as s:
        # Three applies of "a" (versions 1, 2, 3), not six: the first attempt left nothing behind.
        assert s.get(AppSetting, "t:a").value == {"value": "6", "version": 3, "history": ["1", "2"]}
        assert s.get(AppSetting, "t:b").value["version"] == 1
        assert _count(s, AuditEntry, AuditEntry.action == "test.put") == 4
        assert _count(s, AuditEntry, AuditEntry.action == "sync.push", AuditEntry.target_id == cid) == 1
        assert _count(s, SyncFeed, SyncFeed.entity_id == "t:ghost") == 0  # the failed mutation's change
        assert _count(s, SyncMutation, SyncMutation.client_id == cid) == 6
        assert s.get(SyncClient, cid).last_mutation_id == 6


def test_the_same_id_twice_in_one_batch_is_applied_once(client, login, new_client_id, dbs):
    h, cid = login("scjg-insp1"), new_client_id()
    body = push(client, h, cid, [put(1, "a", "1"), put(1, "a", "1"), put(2, "b", "2")]).get_json()
    assert [r["status"] for r in body["results"]] == ["applied", "duplicate", "applied"]
    assert body["results"][1]["original_status"] == "applied"
    with dbs() as s:
        assert s.get(AppSetting, "t:a").value["version"] == 1


def test_only_the_first_pull_writes(client, login, new_client_id, dbs):
    """An installation's first pull registers its client (a section it hands over by QR code before
    it ever pushes is then known to be its user's); later pulls write nothing."""
    h, cid = login("scjg-insp1"), new_client_id()
    body = client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h).get_json()
    assert body["last_mutation_id"] == 0 and body["reset"] is True
    with dbs() as s:
        registered = s.get(SyncClient, cid)
        assert registered is not None and registered.last_mutation_id == 0
        first_pull_at = registered.last_pull_at
    client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h)
    with dbs() as s:
        assert s.get(SyncClient, cid).last_pull_at == first_pull_at  # within 10 minutes: not written again
    assert push(client, h, cid, [put(1, "a", "1")]).get_json()["last_mutation_id"] == 1
    with dbs() as s:
        assert s.get(SyncClient, cid).last_mutation_id == 1
    assert client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h).get_json()["last_mutation_id"] == 1
    with dbs() as s:
        assert s.get(SyncClient, cid).last_mutation_id == 1
    assert client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h).get_json()["last_mutation_id"] == 1
