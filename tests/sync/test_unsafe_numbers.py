"""A number JSON cannot carry exactly (Infinity, NaN, 1e999, integers beyond 2^53) inside one
mutation's args rejects that mutation with `number_out_of_range`; the rest of the batch commits,
the counter advances, the replay is a duplicate, and the number is never stored (issue 19)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from server.settings import AppSetting
from sync.models import SyncMutation


def _raw_push(client, h, cid, muts_json: str):
    body = f'{{"client_id": "{cid}", "schema_version": 1, "mutations": [{muts_json}]}}'
    return client.post("/api/v1/sync/push", data=body.encode(), headers={**h, "Content-Type": "application/json"})


def _put(mid, key, value_json):
    return f'{{"id": {mid}, "name": "test.put", "args": {{"key": "{key}", "value": "v", "base_version": {value_json}}}}}'


@pytest.mark.parametrize("bad", ["Infinity", "-Infinity", "NaN", "1e999", "9007199254740993"])
def test_bad_number_rejects_only_its_mutation(client, login, new_client_id, dbs, bad):
    h, cid = login("scjg-insp1"), new_client_id()
    muts = ",".join([_put(1, "a", "1"), _put(2, "b", bad), _put(3, "c", "2")])
    r = _raw_push(client, h, cid, muts)
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert body["last_mutation_id"] == 3
    st = {x["id"]: x for x in body["results"]}
    assert st[1]["status"] == st[3]["status"] == "applied"
    assert st[2]["status"] == "rejected" and st[2]["problem"]["code"] == "number_out_of_range"
    assert st[2]["problem"]["errors"][0]["field"] == "base_version"
    # The same batch again (the phone lost the answer): exactly once, nothing blocks.
    again = _raw_push(client, h, cid, muts).get_json()
    assert [x["status"] for x in again["results"]] == ["duplicate"] * 3
    assert again["results"][1]["original_status"] == "rejected"
    # A later batch applies.
    later = _raw_push(client, h, cid, _put(4, "d", "3")).get_json()
    assert later["results"][0]["status"] == "applied"
    with dbs() as s:
        assert s.get(AppSetting, "t:b") is None and s.get(AppSetting, "t:a") is not None
        stored = s.execute(select(SyncMutation).where(SyncMutation.client_id == cid, SyncMutation.mutation_id == 2)).scalar_one()
        kept = stored.args["base_version"]
        assert isinstance(kept, str)  # the refused number survives only as text
        json.dumps(stored.args, allow_nan=False)


def test_mutation_id_beyond_2_53_refuses_the_batch_with_a_code(client, login, new_client_id):
    h, cid = login("scjg-insp1"), new_client_id()
    r = _raw_push(client, h, cid, _put(9007199254740993, "a", "1"))
    assert r.status_code == 422 and r.get_json()["code"] == "number_out_of_range"
