"""Freezing the candidate snapshot and the inspector pool of a task at T0.

Rows follow draw.md: `{"id", "stratum", "weight", "excluded"}` sorted by id,
where id is the object's number zero-padded to 10 digits (so text order is
numeric order), stratum the credit-risk class (`U` when unclassified),
weight from the plan's rule for objects not checked for 2 / 3+ years, and
excluded a reason code or null.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zlib
from dataclasses import dataclass
from typing import Iterable

from .canonical import jcs_text

ROW_ID_WIDTH = 10
DEREGISTERED = {"deregistered", "revoked", "cancelled", "moved_out"}
EXCLUSION_REASONS = {
    "low_risk_checked_this_year": "低风险对象本年度已检查",
    "deregistered": "已注销、吊销、撤销或迁出",
    "status_not_in_scope": "登记状态不在抽查范围内",
}


def row_id(object_id: int) -> str:
    return f"{object_id:0{ROW_ID_WIDTH}d}"


def object_id_of(row: str) -> int:
    return int(row)


def years_since(last: dt.date | None, today: dt.date) -> int | None:
    if last is None:
        return None
    years = today.year - last.year - ((today.month, today.day) < (last.month, last.day))
    return max(years, 0)


def weight_for(last_checked: dt.date | None, today: dt.date, rule: dict, abnormal: bool = False,
               serious: bool = False, complaints: int = 0) -> int:
    """Art. 16: objects not checked for 2 years, or 3 and more (or never), weigh more; the risk
    signals the rules name raise the weight further: ``abnormal_list`` and
    ``serious_violation_list`` add their step, and every ``complaints_per_point`` complaints or
    reports add 1, at most ``complaints_max``. A rule without a signal's key adds nothing for it
    (plans approved before the signals were part of the rule keep their meaning)."""
    years = years_since(last_checked, today)
    if years is None or years >= 3:
        weight = int(rule.get("not_checked_3y", 3))
    elif years >= 2:
        weight = int(rule.get("not_checked_2y", 2))
    else:
        weight = int(rule.get("default", 1))
    if abnormal:
        weight += int(rule.get("abnormal_list", 0))
    if serious:
        weight += int(rule.get("serious_violation_list", 0))
    per_point = int(rule.get("complaints_per_point", 0))
    if per_point > 0 and complaints > 0:
        weight += min(complaints // per_point, int(rule.get("complaints_max", 0)))
    return weight


def exclusion_for(status: str, risk_class: str | None, last_checked: dt.date | None, today: dt.date,
                  exclusions: dict, statuses: Iterable[str]) -> str | None:
    if exclusions.get("deregistered", True) and status in DEREGISTERED:
        return "deregistered"
    if status not in set(statuses):
        return "status_not_in_scope"
    if exclusions.get("low_risk_checked_this_year", True) and risk_class == "A" \
            and last_checked is not None and last_checked.year == today.year:
        return "low_risk_checked_this_year"
    return None


def draw_rule(plan_task, today: dt.date) -> dict:
    """The weight and exclusion rule as it goes into the draw plan (and so under plan_hash): what
    ``tools/verify_draw.py`` needs to recompute every row's weight and exclusion from the
    snapshot's columns. ``as_of`` is the day the snapshot was frozen."""
    scope, exclusions = plan_task.scope or {}, plan_task.exclusions or {}
    rule = {k: int(v) for k, v in sorted((plan_task.weight_rule or {}).items())}
    for key, default in (("default", 1), ("not_checked_2y", 2), ("not_checked_3y", 3)):
        rule.setdefault(key, default)
    return {**rule, "as_of": today.isoformat(),
            "exclude_deregistered": bool(exclusions.get("deregistered", True)),
            "exclude_low_risk_checked_this_year": bool(exclusions.get("low_risk_checked_this_year", True)),
            "statuses": sorted(scope.get("statuses") or ["active", "operating"])}


SCOPE_COLUMNS = ("id", "registration_status", "risk_class", "last_checked_on", "abnormal_list",
                 "serious_violation_list", "complaint_count")
_ID_LIMIT = 10 ** ROW_ID_WIDTH


ENCODING = "jsonl+zlib"  # how a frozen snapshot is stored
LEVEL = 3  # ~15:1 on snapshot lines at ~400 MB/s; higher levels cost 3x for 20% less


@dataclass(frozen=True)
class Frozen:
    """A frozen snapshot: its canonical bytes (``JCS(row) + "\n"`` per row, sorted by id, the
    exact input of snapshot_hash) compressed as ``ENCODING``, their SHA-256 and length, the row
    count, and the non-excluded rows per stratum (from which the sample sizes follow before
    any randomness is known)."""

    content: bytes
    sha256: str
    byte_count: int
    size: int
    drawable: dict[str, int]


def decode(content: bytes) -> bytes:
    """The canonical bytes of a stored snapshot."""
    return zlib.decompress(content)


def _as_date(value) -> dt.date | None:
    # PostgreSQL's driver gives dates; SQLite's raw driver gives ISO text.
    return value if value is None or isinstance(value, dt.date) else dt.date.fromisoformat(value)


def classify(rule: dict, status: str, risk: str | None, last: dt.date | None, abnormal: bool = False,
             serious: bool = False, complaints: int = 0) -> tuple[str | None, int]:
    """``(excluded, weight)`` of one candidate under a ``draw_rule``."""
    today = dt.date.fromisoformat(rule["as_of"])
    exclusions = {"deregistered": rule["exclude_deregistered"],
                  "low_risk_checked_this_year": rule["exclude_low_risk_checked_this_year"]}
    excluded = exclusion_for(status, risk, last, today, exclusions, rule["statuses"])
    if excluded:
        return excluded, 0
    weight = weight_for(last, today, rule, abnormal, serious, complaints)
    if weight < 1:
        raise ValueError(f"weight rule gives a non-positive weight ({weight})")
    return None, weight


def row(oid: int, status: str, risk: str | None, last: dt.date | None, abnormal: bool, serious: bool,
        complaints: int, excluded: str | None, weight: int) -> dict:
    """A snapshot row: the draw's four keys and the columns the weight rule reads (draw.md)."""
    return {"abnormal_list": abnormal, "complaints": complaints, "excluded": excluded, "id": row_id(oid),
            "last_checked_on": None if last is None else last.isoformat(), "serious_violation_list": serious,
            "status": status, "stratum": risk or "U", "weight": weight}


def freeze(batches: Iterable[Iterable[tuple]], plan_task, today: dt.date) -> Frozen:
    """Build the snapshot from ``(id, registration_status, risk_class, last_checked_on,
    abnormal_list, serious_violation_list, complaint_count)`` tuples in ascending id order (see
    ``SCOPE_COLUMNS``), in batches, under ``draw_rule(plan_task, today)``.

    A row's line depends on its id and on the other six values only, so each distinct tuple of
    them is classified once (exclusion, stratum, weight) into the line's text around the id;
    a million rows then cost one dictionary lookup and one string format each. Each batch is
    hashed and compressed as it comes, so memory stays at one batch plus the compressed output.
    """
    rule = draw_rule(plan_task, today)
    shapes: dict[tuple, tuple[str, str]] = {}
    tally: dict[tuple, int] = {}
    strata: dict[tuple, str | None] = {}
    digest, packer, packed = hashlib.sha256(), zlib.compressobj(LEVEL), []
    size = byte_count = previous = 0
    for batch in batches:
        lines = []
        append = lines.append
        for oid, *key in batch:
            key = tuple(key)
            shape = shapes.get(key)
            if shape is None:
                status, risk, last, abnormal, serious, complaints = key
                day, abnormal, serious, complaints = _as_date(last), bool(abnormal), bool(serious), int(complaints or 0)
                excluded, weight = classify(rule, status, risk, day, abnormal, serious, complaints)
                head, tail = jcs_text(row(1, status, risk, day, abnormal, serious, complaints,
                                          excluded, weight)).split('"id":"0000000001"')
                shape = shapes[key] = (head + '"id":"', '"' + tail + "\n")
                strata[key] = None if excluded else (risk or "U")
                tally[key] = 0
            if not previous < oid < _ID_LIMIT:
                raise ValueError(f"candidate ids must ascend within 1..{_ID_LIMIT - 1} (at {oid})")
            previous = oid
            tally[key] += 1
            append(f"{shape[0]}{oid:010d}{shape[1]}")
        chunk = "".join(lines).encode("utf-8")
        digest.update(chunk)
        packed.append(packer.compress(chunk))
        size += len(lines)
        byte_count += len(chunk)
    packed.append(packer.flush())
    drawable: dict[str, int] = {}
    for key, count in tally.items():
        if strata[key] is not None:
            drawable[strata[key]] = drawable.get(strata[key], 0) + count
    return Frozen(b"".join(packed), digest.hexdigest(), byte_count, size, drawable)


# A canonical line as freeze() writes it; anything else (a hand-made or hostile snapshot) goes
# through json.loads line by line.
_LINE = re.compile(r'(?m)^\{"excluded":(null|"[a-z_]+"),"id":"([0-9]+)","stratum":"([A-Za-z0-9_]+)","weight":([0-9]+)\}\n')
_LINE_WITH_INPUTS = re.compile(
    r'(?m)^\{"abnormal_list":(?:true|false),"complaints":[0-9]+,"excluded":(null|"[a-z_]+"),"id":"([0-9]+)",'
    r'"last_checked_on":(?:null|"[0-9-]+"),"serious_violation_list":(?:true|false),"status":"[a-z_]+",'
    r'"stratum":"([A-Za-z0-9_]+)","weight":([0-9]+)\}\n')


def parse(text: str) -> list[tuple[str, str, int, str | None]]:
    """``(id, stratum, weight, excluded)`` per line of a stored snapshot, in stored order."""
    lines = text.count("\n")
    found = _LINE_WITH_INPUTS.findall(text) if text.startswith('{"abnormal_list"') else _LINE.findall(text)
    if len(found) == lines and (not text or text.endswith("\n")):
        return [(oid, stratum, int(weight), None if excl == "null" else excl[1:-1])
                for excl, oid, stratum, weight in found]
    rows = []
    for line in text.splitlines():
        row = json.loads(line)
        if not isinstance(row, dict):
            raise ValueError("a snapshot line is not a JSON object")
        rows.append((row.get("id"), row.get("stratum"), row.get("weight"), row.get("excluded")))
    return rows


def drawable_rows(text: str, strata: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
    """Non-excluded ``(id, weight)`` rows of the given strata, in id order, per stratum."""
    buckets: dict[str, list[tuple[str, int]]] = {s: [] for s in strata}
    for oid, stratum, weight, excluded in parse(text):
        if excluded is None:
            bucket = buckets.get(stratum)
            if bucket is not None:
                bucket.append((oid, weight))
    return buckets


def describe_exclusions(ex: dict) -> str:
    parts = []
    if ex.get("low_risk_checked_this_year", True):
        parts.append("A checked this year")
    if ex.get("deregistered", True):
        parts.append("deregistered/revoked/cancelled/moved out")
    parts.append("registration status outside scope")
    return "; ".join(parts)
