"""dsr-wrs-v1: the verifiable weighted object draw (docs/design/draw.md).

Pure functions, standard library only. The flow:

1. T0 (freeze): ``freeze(plan, snapshot)`` -> plan_hash, snapshot_hash, a fresh nonce and its
   commitment. Record the three hashes before the public beacon value exists.
2. Once the beacon value is public: ``run_draw(plan, snapshot, nonce, beacon_value)``.

Ranking is exact: keys ``-ln(u)/weight`` are computed with floats for speed, then every run of
rows whose float keys lie within ``NEAR_TIE_TOLERANCE`` (relative) of each other is re-ordered
with ``decimal`` at precision 50, so the result equals ``rank_stratum_decimal`` (the literal
spec, also what ``tools/verify_draw.py`` does) on every input.

Rows of a stratum that has no ratio in the plan are not drawn and do not appear in the
result; a stratum with a ratio but no (non-excluded) rows gives ``N = n = 0``.

Canonical JSON, line hashing and HMAC helpers are in ``canonical.py``; inspector matching is in
``teams.py``; object substitution and the audit package in ``package.py``.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Context, Decimal
from re import compile as _re

from .canonical import MAX_SAFE_INTEGER, HmacSha256, hmac_sha256_prefixed, jcs, jcs_text, json_string, lines_hash

ALGORITHM = "dsr-wrs-v1"
KEY_PRECISION = 50
NEAR_TIE_TOLERANCE = 1e-12
SNAPSHOT_ROW_KEYS = frozenset(("id", "stratum", "weight", "excluded"))
# The columns the weight rule reads (draw.md): snapshots frozen since the rule is in the plan
# carry them, so that the verifier recomputes every weight and exclusion; older ones do not.
WEIGHT_INPUT_KEYS = frozenset(("status", "last_checked_on", "abnormal_list", "serious_violation_list", "complaints"))
_ROW_SHAPES = (SNAPSHOT_ROW_KEYS, SNAPSHOT_ROW_KEYS | WEIGHT_INPUT_KEYS)

_RATIO = _re(r"^[0-9]+(\.[0-9]+)?$")
_HEX64 = _re(r"^[0-9a-f]{64}$")
_TWO_65 = 1 << 65
_HALF = 1 << 63  # U < 2^63  <=>  u < 1/2
_F_TWO_65 = float(_TWO_65)
_D_TWO_65 = Decimal(_TWO_65)


def _snapshot_line(row) -> str:
    # Fast path for the canonical row shape; anything else goes through the generic encoder.
    if type(row) is dict and row.keys() == SNAPSHOT_ROW_KEYS:
        oid, stratum, weight, excl = row["id"], row["stratum"], row["weight"], row["excluded"]
        if (type(oid) is str and type(stratum) is str and type(weight) is int
                and -MAX_SAFE_INTEGER <= weight <= MAX_SAFE_INTEGER
                and (excl is None or type(excl) is str)):
            return '{"excluded":%s,"id":%s,"stratum":%s,"weight":%d}' % (
                "null" if excl is None else json_string(excl), json_string(oid),
                json_string(stratum), weight)
    return jcs_text(row)


def plan_hash(plan: Mapping) -> str:
    """``SHA-256(JCS(plan))`` as lowercase hex."""
    return hashlib.sha256(jcs(plan)).hexdigest()


def snapshot_hash(rows: Iterable[Mapping]) -> str:
    """``SHA-256(concat(JCS(row) + "\\n"))`` over the snapshot rows, in the given order."""
    return lines_hash(rows, _snapshot_line)


def new_nonce() -> bytes:
    """A fresh secret 32-byte nonce."""
    return secrets.token_bytes(32)


def commitment(nonce: bytes) -> str:
    """``SHA-256("dsr-commit-v1" || nonce)`` as hex; ``nonce`` must be 32 bytes."""
    if not isinstance(nonce, (bytes, bytearray)) or len(nonce) != 32:
        raise ValueError("nonce must be 32 bytes")
    return hashlib.sha256(b"dsr-commit-v1" + bytes(nonce)).hexdigest()


def derive_seed(nonce: bytes, beacon_value: str, plan_hash_hex: str,
                snapshot_hash_hex: str) -> bytes:
    """The seed: ``HMAC-SHA256(key=nonce, msg="dsr-seed-v1|" || SHA-256(utf8(beacon_value))
    || plan_hash || snapshot_hash)``, the hashes as raw 32-byte digests.

    ``beacon_value`` is used exactly as entered (no trimming). Returns the 32-byte seed.
    """
    commitment(nonce)  # validates the nonce
    if not isinstance(beacon_value, str):
        raise TypeError("beacon_value must be text")
    for name, value in (("plan_hash", plan_hash_hex), ("snapshot_hash", snapshot_hash_hex)):
        if not isinstance(value, str) or not _HEX64.match(value):
            raise ValueError(f"{name} must be 64 lowercase hex digits")
    msg = (b"dsr-seed-v1|" + hashlib.sha256(beacon_value.encode("utf-8")).digest()
           + bytes.fromhex(plan_hash_hex) + bytes.fromhex(snapshot_hash_hex))
    return hmac.new(bytes(nonce), msg, hashlib.sha256).digest()


# --- keys and ranking --------------------------------------------------------------------

def object_uniform(seed: bytes, object_id: str) -> int:
    """``U``: the first 8 bytes, big-endian, of ``HMAC-SHA256(seed, "obj|" + id)``."""
    digest = hmac.new(seed, b"obj|" + object_id.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def key_context() -> Context:
    """A fresh decimal context for keys: precision 50, half-even (``ln`` is correctly rounded)."""
    return Context(prec=KEY_PRECISION, rounding=ROUND_HALF_EVEN)


def key_decimal(U: int, weight: int, ctx: Context | None = None) -> Decimal:
    """The exact spec key: ``u = (2U+1)/2^65``, ``-ln(u)/weight``, each step at precision 50."""
    ctx = ctx or key_context()
    u = ctx.divide(Decimal(2 * U + 1), _D_TWO_65)
    return ctx.divide(ctx.minus(ctx.ln(u)), Decimal(weight))


def key_float(U: int, weight: int) -> float:
    """Float approximation of the key, within a few ulps (relative) for every ``U``.

    ``log`` for u < 1/2; ``-log1p(-(1-u))`` with ``1-u`` formed exactly as an integer for
    u >= 1/2, so keys of u close to 1 (tiny keys) keep full relative precision.
    """
    if U < _HALF:
        return -math.log((2 * U + 1) / _F_TWO_65) / weight
    return -math.log1p(-(_TWO_65 - 2 * U - 1) / _F_TWO_65) / weight


def _check_weight(oid, weight) -> None:
    if type(weight) is not int or not 0 < weight <= MAX_SAFE_INTEGER:
        raise ValueError(f"row {oid!r}: weight must be an integer in 1..2^53-1, got {weight!r}")


def rank_stratum(rows: Iterable[tuple[str, int]], seed: bytes, *,
                 stats: dict | None = None) -> list[str]:
    """Rank ``(id, weight)`` rows by ``(key, id)`` ascending; exact (see module docstring).

    ``stats``, if given, receives ``near_tie_groups`` and ``near_tie_rows`` (rows re-ordered
    with decimal).
    """
    mac = hmac_sha256_prefixed(seed, b"obj|")
    from_bytes = int.from_bytes
    ids: list[str] = []
    weights: list[int] = []
    for oid, weight in rows:
        _check_weight(oid, weight)
        ids.append(oid)
        weights.append(weight)
    digests = HmacSha256(seed).many(b"obj|", [oid.encode("utf-8") for oid in ids])
    keys = [key_float(from_bytes(d[:8], "big"), w) for d, w in zip(digests, weights)]
    del digests
    order = sorted(range(len(ids)), key=keys.__getitem__)
    sorted_keys = [keys[i] for i in order]
    tol = NEAR_TIE_TOLERANCE
    # Positions j where key[j-1] and key[j] are close enough that rounding could swap them.
    # A misordered pair always lies inside one chain of such positions, so re-sorting each
    # chain exactly yields the exact total order.
    ties = [j for j, (a, b) in enumerate(zip(sorted_keys, sorted_keys[1:]), 1)
            if b - a <= tol * b]
    groups = 0
    rows_fixed = 0
    if ties:
        ctx = key_context()
        k = 0
        while k < len(ties):
            start = ties[k] - 1
            end = ties[k]
            while k + 1 < len(ties) and ties[k + 1] == end + 1:
                k += 1
                end = ties[k]
            k += 1
            segment = order[start:end + 1]
            segment.sort(key=lambda i: (key_decimal(
                from_bytes(mac(ids[i].encode("utf-8"))[:8], "big"), weights[i], ctx), ids[i]))
            order[start:end + 1] = segment
            groups += 1
            rows_fixed += len(segment)
    if stats is not None:
        stats["near_tie_groups"] = groups
        stats["near_tie_rows"] = rows_fixed
    return [ids[i] for i in order]


def rank_stratum_decimal(rows: Iterable[tuple[str, int]], seed: bytes) -> list[str]:
    """Reference ranking: every key in decimal at precision 50 (slow; for tests and audits)."""
    ctx = key_context()
    keyed = []
    for oid, weight in rows:
        _check_weight(oid, weight)
        keyed.append((key_decimal(object_uniform(seed, oid), weight, ctx), oid))
    keyed.sort()
    return [oid for _, oid in keyed]


# --- plan, snapshot, selection -------------------------------------------------------------

def plan_ratios(plan: Mapping) -> dict[str, Decimal]:
    """Validate the plan's draw fields and return ``{stratum: Decimal(ratio)}``."""
    if plan.get("algorithm") != ALGORITHM:
        raise ValueError(f"plan algorithm must be {ALGORITHM!r}")
    if plan.get("rounding") != "ceil":
        raise ValueError('plan rounding must be "ceil"')
    strata = plan.get("strata")
    if not isinstance(strata, Mapping):
        raise ValueError("plan strata must be an object {stratum: ratio}")
    ratios = {}
    for stratum, ratio in strata.items():
        if not isinstance(ratio, str) or not _RATIO.match(ratio) or Decimal(ratio) > 1:
            raise ValueError(f"ratio of stratum {stratum!r} must be a decimal string in [0, 1]")
        ratios[stratum] = Decimal(ratio)
    return ratios


def sample_size(ratio: Decimal | str, population: int) -> int:
    """``n = ceil(Decimal(ratio) * N)``, computed exactly."""
    product = Context(prec=200).multiply(Decimal(ratio), Decimal(population))
    return int(product.to_integral_value(rounding=ROUND_CEILING))


def _buckets(plan: Mapping, snapshot: Iterable[Mapping]):
    """Validate the snapshot and bucket non-excluded rows of planned strata as (id, weight)."""
    ratios = plan_ratios(plan)
    buckets: dict[str, list[tuple[str, int]]] = {s: [] for s in ratios}
    previous = None
    for row in snapshot:
        if not isinstance(row, Mapping) or row.keys() not in _ROW_SHAPES:
            raise ValueError(f"snapshot rows must have exactly the keys {sorted(SNAPSHOT_ROW_KEYS)}"
                             f", optionally with {sorted(WEIGHT_INPUT_KEYS)}")
        oid, stratum, weight, excluded = row["id"], row["stratum"], row["weight"], row["excluded"]
        if not isinstance(oid, str) or not oid or not isinstance(stratum, str):
            raise ValueError(f"row {oid!r}: id and stratum must be non-empty strings")
        if previous is not None and oid <= previous:
            raise ValueError(f"snapshot must be sorted by id without duplicates (at {oid!r})")
        previous = oid
        if excluded is None:
            _check_weight(oid, weight)
            bucket = buckets.get(stratum)
            if bucket is not None:
                bucket.append((oid, weight))
        elif not isinstance(excluded, str) or not excluded:
            raise ValueError(f"row {oid!r}: excluded must be null or a reason code")
        elif type(weight) is not int or not 0 <= weight <= MAX_SAFE_INTEGER:
            raise ValueError(f"row {oid!r}: weight must be a non-negative integer")
    return ratios, buckets


def canonical_snapshot(rows: Iterable[Mapping]) -> list[dict]:
    """Canonical snapshot rows (the four spec keys, and the weight rule's columns where a row has
    them), sorted by id, validated."""
    snapshot = sorted(({"id": r["id"], "stratum": r["stratum"], "weight": r["weight"],
                        "excluded": r.get("excluded"), **{k: r[k] for k in WEIGHT_INPUT_KEYS if k in r}}
                       for r in rows), key=lambda r: r["id"])
    _buckets({"algorithm": ALGORITHM, "rounding": "ceil", "strata": {}}, snapshot)
    return snapshot


def stratum_counts(plan: Mapping, snapshot: Iterable[Mapping]) -> dict[str, dict[str, int]]:
    """``{stratum: {"N", "n"}}`` known at T0 without the seed (e.g. for team feasibility)."""
    _, buckets = _buckets(plan, snapshot)
    return sample_counts(plan, {s: len(rows) for s, rows in buckets.items()})


def sample_counts(plan: Mapping, populations: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """``{stratum: {"N", "n"}}`` for every stratum of the plan, from its non-excluded row
    counts (strata missing from ``populations`` have none)."""
    ratios = plan_ratios(plan)
    return {s: {"N": populations.get(s, 0), "n": sample_size(ratios[s], populations.get(s, 0))}
            for s in sorted(ratios)}


def select(plan: Mapping, snapshot: Iterable[Mapping], seed: bytes) -> dict:
    """Rank and select per stratum: ``{"strata": {S: {"N", "n", "ranking", "selected"}}}``.

    ``ranking`` lists every non-excluded row of S by ``(key, id)``; ``selected`` is its first
    ``n = ceil(ratio * N)`` entries; the rest is the substitution order. Rows whose stratum
    has no ratio in the plan are not drawn (they appear nowhere in the result).
    """
    ratios, buckets = _buckets(plan, snapshot)
    strata = {}
    for stratum in sorted(ratios):
        rows = buckets[stratum]
        n = sample_size(ratios[stratum], len(rows))
        ranking = rank_stratum(rows, seed)
        strata[stratum] = {"N": len(rows), "n": n, "ranking": ranking, "selected": ranking[:n]}
    return {"strata": strata}


def freeze(plan: Mapping, snapshot: Sequence[Mapping], nonce: bytes | None = None) -> dict:
    """T0: validate, hash, draw a nonce (unless given) and commit to it.

    Returns ``{"plan_hash", "snapshot_hash", "commitment", "nonce": bytes}``; keep the nonce
    secret until the draw.
    """
    _buckets(plan, snapshot)
    return commit(plan, snapshot_hash(snapshot), nonce)


def commit(plan: Mapping, snapshot_hash_hex: str, nonce: bytes | None = None) -> dict:
    """``freeze`` for a snapshot already built canonically and hashed (the server's own, see
    ``snapshot.freeze``): validates the plan, draws a nonce unless given, and commits to it."""
    plan_ratios(plan)
    nonce = new_nonce() if nonce is None else nonce
    return {"plan_hash": plan_hash(plan), "snapshot_hash": snapshot_hash_hex,
            "commitment": commitment(nonce), "nonce": nonce}


def run_draw(plan: Mapping, snapshot: Sequence[Mapping], nonce: bytes, beacon_value: str) -> dict:
    """The whole draw: hashes, commitment, seed (hex) and ``strata`` as in ``select``."""
    p_hash, s_hash = plan_hash(plan), snapshot_hash(snapshot)
    seed = derive_seed(nonce, beacon_value, p_hash, s_hash)
    return {"algorithm": ALGORITHM, "plan_hash": p_hash, "snapshot_hash": s_hash,
            "commitment": commitment(nonce), "nonce": bytes(nonce).hex(),
            "beacon_value": beacon_value, "seed": seed.hex(),
            "strata": select(plan, snapshot, seed)["strata"]}


def selection_order(strata: Mapping[str, Mapping]) -> list[str]:
    """Drawn objects in selection order: strata by code, then each stratum's rank order."""
    return [oid for s in sorted(strata) for oid in strata[s]["selected"]]
