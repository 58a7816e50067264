"""The canonical JSON (RFC 8785) every hash in the system is computed over."""
from __future__ import annotations

import random

import rfc8785

from server.canonical import jcs


def test_the_fast_canonical_form_is_rfc8785_for_nested_documents():
    rng = random.Random(5)
    alphabet = "ab忻州\u0000\u0008\u001f\"\\/\u007f\u2028\U0001F600 \n"

    def value(depth: int):
        kind = rng.randrange(7 if depth < 4 else 4)
        if kind == 0:
            return "".join(rng.choice(alphabet) for _ in range(rng.randrange(6)))
        if kind == 1:
            return rng.choice([0, -1, 2 ** 53 - 1, -(2 ** 53) + 1, 17])
        if kind == 2:
            return rng.choice([True, False, None])
        if kind == 3:
            return ""
        if kind in (4, 5):
            return {rng.choice(["a", "B", "_x", "z9", "id", "Z"]): value(depth + 1) for _ in range(rng.randrange(4))}
        return [value(depth + 1) for _ in range(rng.randrange(4))]

    for _ in range(500):
        doc = value(0)
        assert jcs(doc) == rfc8785.dumps(doc)
    for odd in ({"f": 1.5}, {"big": 2 ** 60}, {"é": 1}, {"t": (1, 2)}):  # the library's path, its rules
        try:
            expected = rfc8785.dumps(odd)
        except Exception as exc:
            expected = type(exc)
        try:
            assert jcs(odd) == expected
        except Exception as exc:
            assert type(exc) is expected
