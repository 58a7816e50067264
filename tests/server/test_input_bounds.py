"""Ids beyond the database's integer range and numbers JSON cannot carry exactly (issue 19).

Every route of the URL map with an integer in its path answers a 404 problem for such an id,
never a 500; every documented query or body integer answers 422; JSON bodies with Infinity,
NaN, 1e999 or integers beyond 2^53 are refused with the stable code `number_out_of_range`.
"""
from __future__ import annotations

import re

import pytest

HUGE_IDS = [str(2**31), str(2**63), "99999999999999999999"]


def _int_routes(app):
    for rule in app.url_map.iter_rules():
        names = [name for name, conv in rule._converters.items() if type(conv).__name__ == "IdConverter"]
        if names:
            yield rule, names


def _path(rule, value: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: value if m.group(1) in rule._converters
                  and type(rule._converters[m.group(1)]).__name__ == "IdConverter" else "1", rule.rule)


def _problem(resp, *status):
    assert resp.status_code in status, (resp.request.path, resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "application/problem+json"
    return resp.get_json()


def test_every_route_answers_404_for_an_id_out_of_range(app, client, login):
    headers = login("office")
    routes = list(_int_routes(app))
    assert len(routes) > 30  # the whole URL map, not a sample
    for rule, _ in routes:
        for value in HUGE_IDS:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                resp = client.open(_path(rule, value), method=method, headers=headers, json={})
                # 405 where another route has the same shape with a text parameter (e.g. a code)
                _problem(resp, 404, 405)


def test_public_draw_with_a_huge_id_is_404(client):
    body = _problem(client.get("/api/v1/public/draws/99999999999999999999"), 404)
    assert body["code"] == "not_found"
    assert client.get(f"/api/v1/public/draws/{2**31 - 1}").status_code == 404  # largest id: looked up, absent


def _operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, op, spec


def _body_props(op, spec):
    content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
    if not content:
        return {}
    schema = content["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema.get("properties", {})


def test_query_and_body_integers_out_of_range_are_422(client, login):
    headers = login("office")
    tried = 0
    for method, path, op, spec in _operations(client):
        url = re.sub(r"\{[^}]+\}", "1", path)
        for p in op.get("parameters", []):
            if p.get("in") == "query" and p.get("schema", {}).get("type") == "integer":
                resp = client.open(url, method=method, headers=headers, query_string={p["name"]: str(2**31)})
                assert resp.status_code < 500, (method, path, p["name"], resp.get_data(as_text=True)[:300])
                if resp.status_code == 422:
                    fields = {e.get("field") for e in resp.get_json().get("errors", [])}
                    assert p["name"] in fields, (method, path, fields)
                tried += 1
        for name, prop in _body_props(op, spec).items():
            if prop.get("type") == "integer" or (prop.get("items") or {}).get("type") == "integer":
                value = [2**31] if prop.get("type") == "array" else 2**31
                resp = client.open(url, method=method, headers=headers, json={name: value})
                assert resp.status_code < 500, (method, path, name, resp.get_data(as_text=True)[:300])
                tried += 1
    assert tried > 10


@pytest.mark.parametrize("raw", [b'{"name": Infinity}', b'{"name": -Infinity}', b'{"name": NaN}',
                                 b'{"name": 1e999}', b'{"name": 9007199254740993}'])
def test_non_finite_and_unsafe_numbers_refused_in_any_body(client, login, raw):
    resp = client.post("/api/v1/plans", data=raw, headers={**login("scjg-admin"), "Content-Type": "application/json"})
    body = _problem(resp, 422)
    assert body["code"] == "number_out_of_range" and body["errors"][0]["field"] == "name"
