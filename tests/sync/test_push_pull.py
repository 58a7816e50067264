"""The protocol's promises, on the core alone: exactly once, in order, nothing lost."""
from __future__ import annotations

from sqlalchemy import func, select

from server.settings import AppSetting
from sync.models import SyncFeed, SyncMutation
from tests.support.http import assert_problem


def put(mid, key, value, **extra):
    return {"id": mid, "name": "test.put", "client_time": "2026-12-02T09:14:03+08:00",
            "args": {"key": key, "value": value, **extra}}


def push(client, h, cid, muts, version=1):
    return client.post("/api/v1/sync/push", headers=h, json={"client_id": cid, "schema_version": version, "mutations": muts})


def test_applied_then_duplicate_on_replay(client, login, new_client_id, dbs):
    h, cid = login("scjg-insp1"), new_client_id()
    batch = [put(1, "a", "合格"), put(2, "b", "不合格")]
    r = push(client, h, cid, batch)
    assert r.status_code == 200
    body = r.get_json()
    assert body["last_mutation_id"] == 2
    assert [x["status"] for x in body["results"]] == ["applied", "applied"]
    # The response was lost; the phone sends the same batch again.
    again = push(client, h, cid, batch).get_json()
    assert [x["status"] for x in again["results"]] == ["duplicate", "duplicate"]
    assert [x["original_status"] for x in again["results"]] == ["applied", "applied"]
    with dbs() as s:
        row = s.get(AppSetting, "t:a")
        assert row.value["version"] == 1  # not applied twice
        assert s.scalar(select(func.count()).select_from(SyncMutation).where(SyncMutation.client_id == cid)) == 2


def test_gap_stops_the_batch(client, login, new_client_id, dbs):
    h, cid = login("scjg-insp1"), new_client_id()
    body = push(client, h, cid, [put(1, "a", "1"), put(2, "b", "2"), put(4, "d", "4"), put(5, "e", "5")]).get_json()
    assert body["last_mutation_id"] == 2 and body["stopped_at_gap"] is True
    assert [x["id"] for x in body["results"]] == [1, 2]
    with dbs() as s:
        assert s.get(AppSetting, "t:d") is None
    body = push(client, h, cid, [put(3, "c", "3"), put(4, "d", "4")]).get_json()
    assert body["last_mutation_id"] == 4 and [x["status"] for x in body["results"]] == ["applied", "applied"]


def test_rejected_advances_and_is_listed(client, login, new_client_id, dbs):
    h, cid = login("scjg-insp1"), new_client_id()
    muts = [put(1, "a", "1"), {"id": 2, "name": "test.fail", "args": {"key": "x"}}, put(3, "c", "3"),
            {"id": 4, "name": "no.such", "args": {}}, {"id": 5, "name": "test.put", "args": {"key": 5}}]
    body = push(client, h, cid, muts).get_json()
    assert body["last_mutation_id"] == 5
    st = {x["id"]: x for x in body["results"]}
    assert st[1]["status"] == st[3]["status"] == "applied"
    assert st[2]["status"] == "rejected" and st[2]["problem"]["code"] == "record_sealed"
    assert st[2]["problem"]["detail"] == "记录已封存，不能再修改。"
    assert st[4]["problem"]["code"] == "unknown_mutation"
    assert st[5]["problem"]["code"] == "validation_failed"
    assert {e["field"] for e in st[5]["problem"]["errors"]} == {"key", "value"}
    listed = client.get(f"/api/v1/sync/rejections?client_id={cid}", headers=h).get_json()
    assert sorted(x["mutation_id"] for x in listed) == [2, 4, 5]
    assert next(x for x in listed if x["mutation_id"] == 2)["args"] == {"key": "x"}  # payload kept
    with dbs() as s:
        # The failed mutation's queued change was rolled back with it.
        assert s.scalar(select(func.count()).select_from(SyncFeed).where(SyncFeed.entity_id == "t:ghost")) == 0


def test_a_crashing_mutator_does_not_block_the_queue(client, login, new_client_id):
    h, cid = login("scjg-insp1"), new_client_id()
    body = push(client, h, cid, [{"id": 1, "name": "test.crash", "args": {"key": "k"}}, put(2, "b", "2")]).get_json()
    assert body["results"][0]["problem"]["code"] == "internal_error"
    assert body["results"][1]["status"] == "applied" and body["last_mutation_id"] == 2


def test_client_id_belongs_to_user_and_device(client, login, new_client_id):
    cid = new_client_id()
    assert push(client, login("scjg-insp1"), cid, [put(1, "a", "1")]).status_code == 200
    assert_problem(push(client, login("scjg-insp2"), cid, [put(2, "a", "2")]), 403, "client_not_yours")
    assert_problem(push(client, login("scjg-insp1", device="other-phone-02"), cid, [put(2, "a", "2")]),
                   403, "client_not_yours")
    assert_problem(client.get(f"/api/v1/sync/pull?client_id={cid}", headers=login("scjg-insp2")), 403, "client_not_yours")


def test_limits_and_versions(client, login, new_client_id):
    h, cid = login("scjg-insp1"), new_client_id()
    body = assert_problem(push(client, h, cid, [put(i, f"k{i}", "v") for i in range(1, 102)]), 413, "too_many_mutations")
    assert body["limit"] == 100
    assert_problem(push(client, h, cid, [put(1, "a", "1")], version=2), 400, "unsupported_schema_version")
    assert_problem(push(client, h, "not-a-uuid", [put(1, "a", "1")]), 422, "validation_failed")
    assert_problem(push(client, h, cid, [{"id": 1.5, "name": "test.put", "args": {}}]), 422, "validation_failed")
    pulled = client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h).get_json()
    assert pulled["limits"] == {"max_mutations": 100, "max_body_bytes": 1048576}


def test_scalar_conflict_is_reported_and_history_kept(client, login, new_client_id, dbs):
    a, b = login("scjg-insp1"), login("scjg-insp2")
    ca, cb = new_client_id(), new_client_id()
    push(client, a, ca, [put(1, "cp", "合格")])
    # Both saw version 1 offline; B's change arrives first, then A's.
    push(client, b, cb, [put(1, "cp", "不合格", base_version=1)])
    res = push(client, a, ca, [put(2, "cp", "不涉及", base_version=1)]).get_json()["results"][0]
    assert res["status"] == "applied"
    assert res["conflict"] == {"field": "value", "server_value": "不合格", "your_value": "不涉及"}
    with dbs() as s:
        assert s.get(AppSetting, "t:cp").value["history"] == ["合格", "不合格"]


def test_pull_reset_then_deltas_then_delete(client, login, new_client_id):
    h, cid = login("scjg-insp1"), new_client_id()
    me = client.get("/api/v1/me", headers=h).get_json()["user"]["id"]
    push(client, h, cid, [put(1, "a", "1"), put(2, "b", "2")])
    first = client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h).get_json()
    assert first["reset"] is True and first["last_mutation_id"] == 2
    assert {c["id"] for c in first["changes"]} >= {"t:a", "t:b"}
    cur = first["cursor"]
    nothing = client.get(f"/api/v1/sync/pull?client_id={cid}&cursor={cur}", headers=h).get_json()
    assert nothing["changes"] == [] and nothing["cursor"] == cur and nothing["reset"] is False
    push(client, h, cid, [put(3, "a", "changed"), put(4, "a", "changed again"),
                          {"id": 5, "name": "test.del", "args": {"key": "b", "recipients": [me]}}])
    delta = client.get(f"/api/v1/sync/pull?client_id={cid}&cursor={cur}", headers=h).get_json()
    assert [(c["id"], c["op"]) for c in delta["changes"]] == [("t:a", "put"), ("t:b", "del")]
    assert delta["changes"][0]["data"]["value"] == "changed again"
    # Another user's changes never reach this caller.
    other = login("sthj-insp1")
    push(client, other, new_client_id(), [put(1, "z", "theirs")])
    again = client.get(f"/api/v1/sync/pull?client_id={cid}&cursor={delta['cursor']}", headers=h).get_json()
    assert again["changes"] == []


def test_pull_pages_and_bad_cursors(client, login, new_client_id):
    h, cid = login("scjg-insp1"), new_client_id()
    cur = client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h).get_json()["cursor"]
    push(client, h, cid, [put(i, f"p{i}", str(i)) for i in range(1, 8)])
    seen = []
    while True:
        page = client.get(f"/api/v1/sync/pull?client_id={cid}&cursor={cur}&limit=3", headers=h).get_json()
        seen += [c["id"] for c in page["changes"]]
        cur = page["cursor"]
        if not page["more"]:
            break
    assert seen == [f"t:p{i}" for i in range(1, 8)]
    for bad in ("garbage", "v1.-5", "v1.999999999", "v1.abc"):
        assert client.get(f"/api/v1/sync/pull?client_id={cid}&cursor={bad}", headers=h).get_json()["reset"] is True
