"""Malformed input to every operation in the OpenAPI document: never a 5xx, always problem+json.

Operations are read from /api/v1/openapi.json, so new endpoints are fuzzed
as soon as they are documented.
"""
from __future__ import annotations

import random

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.support.http import Session

BAD_VALUES = [None, True, -1, 2**31, 2**53 + 1, 2**70, 1.5e308, "", "x" * 5000, "\u0000\ud800", [], {}, [None], {"$ne": 1},
              "' OR 1=1 --", "../../etc/passwd", "２０２６", "🙂"]
RAW_BODIES = [
    (b"", "application/json"),
    (b"{", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b'"text"', "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b'{"a": NaN}', "application/json"),
    (b'{"a": Infinity}', "application/json"),
    (b'{"a": -Infinity}', "application/json"),
    (b'{"a": 1e999}', "application/json"),
    (b'{"a": 9007199254740993}', "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
    (b"<xml/>", "application/xml"),
    (b"a=b", "application/x-www-form-urlencoded"),
    (b"\x00\x01\x02", "application/octet-stream"),
]
PATH_VALUES = ["1", "0", "-1", "999999999", "2147483648", "9223372036854775808", "99999999999999999999", "abc", "%00", "1.5", "😀"]


def _operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    ops = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                ops.append((method.upper(), path, op, spec))
    return ops


def _schema_props(op, spec):
    content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
    if not content:
        return {}
    schema = content["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema.get("properties", {})


def _fill_path(path: str, value: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", value, path)


def _check(resp, ctx):
    assert resp.status_code < 500, (ctx, resp.status_code, resp.get_data(as_text=True)[:300])
    if resp.status_code >= 400:
        assert resp.mimetype == "application/problem+json", (ctx, resp.mimetype)
        body = resp.get_json()
        assert body["code"] and body["title"] and body["status"] == resp.status_code


def test_openapi_document_is_complete(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            assert op.get("summary") or op.get("description"), (method, path)
            ok = [code for code in op["responses"] if code.startswith("2")]
            assert ok, (method, path)
            for code in ok:
                if code != "204":
                    assert op["responses"][code].get("content"), ("response schema missing", method, path, code)
    html = client.get("/api/v1/docs")
    assert html.status_code == 200 and b"/vendor/swagger-ui/" in html.data


# Logged in, every body reaches its schema: the long run (`make test`); anonymous stays in test-fast.
@pytest.mark.parametrize("auth", ["anonymous", pytest.param("office", marks=pytest.mark.slow)])
def test_malformed_input_never_5xx(client, auth):
    rng = random.Random(7)
    headers = {}
    if auth != "anonymous":
        headers = Session.login(client, auth, DEMO_PASSWORD, "fuzz-device-001").headers
    for method, path, op, spec in _operations(client):
        if path.endswith("/logout"):
            continue
        for pv in PATH_VALUES:
            url = _fill_path(path, pv)
            _check(client.open(url, method=method, headers=headers), (method, url))
            for q in ("limit=-5", "limit=x", "cursor=%ZZ", "user_id=abc", "include_revoked=maybe", "a[]=1&a[]=2"):
                _check(client.open(f"{url}?{q}", method=method, headers=headers), (method, url, q))
        if method in ("GET", "DELETE"):
            continue
        url = _fill_path(path, "1")
        for body, ctype in RAW_BODIES:
            _check(client.open(url, method=method, data=body, content_type=ctype, headers=headers), (method, url, body[:20]))
        props = _schema_props(op, spec)
        for name in props:
            for bad in BAD_VALUES:
                payload = {k: rng.choice(["x", 1, True]) for k in props}
                payload[name] = bad
                _check(client.open(url, method=method, json=payload, headers=headers), (method, url, name, bad))
        _check(client.open(url, method=method, json={"unknown_field": 1}, headers=headers), (method, url, "unknown"))
