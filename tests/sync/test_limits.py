"""The limits a pull advertises are the ones a push enforces, with problem JSON naming them."""
from __future__ import annotations

import uuid

from tests.support.http import assert_problem


def test_advertised_limits_are_enforced(client, login):
    h, cid = login("scjg-insp1"), str(uuid.uuid4())
    limits = client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h).get_json()["limits"]
    # Exactly at the mutation limit: accepted.
    muts = [{"id": i, "name": "test.put", "args": {"key": f"k{i}", "value": "v"}} for i in range(1, limits["max_mutations"] + 1)]
    r = client.post("/api/v1/sync/push", headers=h, json={"client_id": cid, "schema_version": 1, "mutations": muts})
    assert r.status_code == 200 and r.get_json()["last_mutation_id"] == limits["max_mutations"]
    # One more: 413 naming the limit, nothing applied.
    muts = [{"id": i, "name": "test.put", "args": {"key": f"m{i}", "value": "v"}}
            for i in range(limits["max_mutations"] + 1, 2 * limits["max_mutations"] + 2)]
    body = assert_problem(client.post("/api/v1/sync/push", headers=h,
                                      json={"client_id": cid, "schema_version": 1, "mutations": muts}),
                          413, "too_many_mutations")
    assert body["limit"] == limits["max_mutations"] and body["limit_name"] == "max_mutations"
    # A body over max_body_bytes: 413 naming the byte limit.
    big = [{"id": 2 * limits["max_mutations"], "name": "test.put",
            "args": {"key": "big", "value": "值" * (limits["max_body_bytes"] // 3 + 10)}}]
    body = assert_problem(client.post("/api/v1/sync/push", headers=h,
                                      json={"client_id": cid, "schema_version": 1, "mutations": big}),
                          413, "payload_too_large")
    assert body["limit_bytes"] == limits["max_body_bytes"]
    again = client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h).get_json()
    assert again["last_mutation_id"] == limits["max_mutations"]
