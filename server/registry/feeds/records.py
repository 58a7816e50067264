"""One feed record checked into an `Op`, or refused with the field and a Chinese reason.

Kinds: ``object`` (upsert of the directory's columns, through the same `normalize` as the
spreadsheet import), ``status`` (registration status change), ``list`` (entry to or removal
from the abnormal-operation or serious-violation list), ``complaints`` (complaints and reports
in one month) and ``risk`` (credit-risk class). Every kind but ``object`` names its object by
its unified social credit code.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ...identifiers import check_credit_code
from ..models import REGISTRATION_STATUSES
from ..normalize import Candidate, Issue, Lookup, normalize
from .models import LISTS

KINDS = {"object": "对象信息", "status": "登记状态", "list": "名录/名单", "complaints": "投诉举报", "risk": "风险分类"}
# The directory's columns an object record may carry; list flags and complaint counts have their own kinds.
OBJECT_FIELDS = ("name", "credit_code", "object_type", "legal_rep_name", "legal_rep_id_number", "phone",
                 "registered_address", "business_address", "region_code", "industry", "registration_status",
                 "online", "shop_url", "risk_class")
_LIST_WORDS = {**{k: k for k in LISTS}, **{v: k for k, v in LISTS.items()}, "经营异常名录": "abnormal",
               "严重违法失信企业名单": "serious_violation"}
_ACTIONS = {"enter": "enter", "remove": "remove", "列入": "enter", "移出": "remove"}
_OBJECT_KEYS = frozenset((*OBJECT_FIELDS, "kind"))
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_EMPTY_LOOKUP = Lookup.of([])


@dataclass
class Op:
    line: int
    kind: str
    key: str  # the object's merge key (its credit code, for every kind but object)
    cand: Candidate | None = None
    status: str | None = None
    list: str | None = None
    action: str | None = None
    on: dt.date | None = None
    reason: str | None = None
    period: str | None = None
    count: int | None = None
    risk: str | None = None
    # An object record's result on an object not yet in the directory (values, credit, extra,
    # content hash), worked out ahead by the reader process (`reader`), or None.
    fresh: tuple | None = None


@dataclass(frozen=True)
class Rejected:
    """A record refused before the merge: unreadable, or failing its own checks."""

    line: int
    kind: str | None
    credit_code: str | None
    field: str | None
    code: str
    message: str


class Written:
    """An object record that, on an object not yet in the directory, the reader process worked out
    and wrote out as COPY text (PostgreSQL): its object row (`bulkwrite.COPY_OBJECT` columns), its
    credit row (`COPY_CREDIT`) and content hash, with the checked record (`cand`: its values,
    ID number and default region). The merge writes the rows as they are, unless the object is in
    the directory already or named again in the chunk: then the record is applied the usual way
    (`op()`)."""

    __slots__ = ("line", "key", "hash", "row", "credit", "cand")
    kind = "object"

    def __init__(self, line: int, key: str, hash: str, row: bytes, credit: bytes, cand: tuple) -> None:
        self.line, self.key, self.hash, self.row, self.credit, self.cand = line, key, hash, row, credit, cand

    def op(self) -> Op:
        values, legal_rep_id, region = self.cand
        return Op(self.line, "object", self.key, Candidate(values, legal_rep_id, match_key=self.key, default_region=region))


class Refused(Exception):
    def __init__(self, issue: Issue, kind: str | None = None, code_value: str | None = None) -> None:
        super().__init__(issue.message)
        self.issue, self.kind, self.credit_code = issue, kind, code_value


def _bad(field: str, code: str, message: str) -> Issue:
    return Issue(field, code, message)


def check(line: int, raw: dict[str, Any]) -> Op:
    """The record as an `Op`; raises `Refused` with the first problem found."""
    kind = raw.get("kind")
    code_value = str(raw.get("credit_code") or "")[:64] or None
    if kind not in KINDS:
        raise Refused(_bad("kind", "kind_unknown", f"记录类型 kind 应为：{'、'.join(KINDS)}。"), None, code_value)
    try:
        return _CHECKS[kind](line, raw)
    except _Problem as p:
        raise Refused(p.issue, kind, code_value) from None


class _Problem(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _object(line: int, raw: dict) -> Op:
    if not _OBJECT_KEYS.issuperset(raw):
        extra = sorted(k for k in raw if k not in _OBJECT_KEYS)
        raise _Problem(_bad(extra[0], "field_not_allowed",
                            f"对象信息记录不能包含字段“{extra[0]}”（名录、名单与投诉举报用各自的记录类型）。"))
    cand = normalize(raw, _EMPTY_LOOKUP)  # it reads only the directory's fields, which are all raw holds
    if cand.issues:
        raise _Problem(cand.issues[0])
    return Op(line, "object", cand.match_key, cand=cand)


def _code(raw: dict) -> str:
    value = raw.get("credit_code")
    if not isinstance(value, str) or not value.strip():
        raise _Problem(_bad("credit_code", "credit_code_required", "须填写统一社会信用代码。"))
    result = check_credit_code(value.strip())
    if not result.ok:
        raise _Problem(_bad("credit_code", f"credit_code_{result.code}", f"统一社会信用代码有误：{result.message}"))
    return result.normalized


def _date(raw: dict, required: bool) -> dt.date | None:
    value = raw.get("date")
    if value is None or value == "":
        if required:
            raise _Problem(_bad("date", "date_required", "须填写日期（YYYY-MM-DD）。"))
        return None
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        raise _Problem(_bad("date", "date_invalid", f"日期“{str(value)[:20]}”应为 YYYY-MM-DD。")) from None
    if not 1949 <= day.year <= 2100:
        raise _Problem(_bad("date", "date_invalid", f"日期“{value}”超出合理范围。"))
    return day


def _reason(raw: dict) -> str | None:
    value = raw.get("reason")
    if value is None or value == "":
        return None
    text = str(value).strip()
    if len(text) > 500:
        raise _Problem(_bad("reason", "reason_too_long", "原因不能超过 500 个字符。"))
    return text or None


def _status(line: int, raw: dict) -> Op:
    key = _code(raw)
    value = str(raw.get("status") or "").strip()
    status = value if value in REGISTRATION_STATUSES else {v: k for k, v in REGISTRATION_STATUSES.items()}.get(value)
    if status is None:
        raise _Problem(_bad("status", "status_unknown", f"登记状态“{value[:20]}”应为：{'、'.join(REGISTRATION_STATUSES)}。"))
    return Op(line, "status", key, status=status, on=_date(raw, False), reason=_reason(raw))


def _list(line: int, raw: dict) -> Op:
    key = _code(raw)
    which = _LIST_WORDS.get(str(raw.get("list") or "").strip())
    if which is None:
        raise _Problem(_bad("list", "list_unknown", "list 应为 abnormal（经营异常名录）或 serious_violation（严重违法失信名单）。"))
    action = _ACTIONS.get(str(raw.get("action") or "").strip())
    if action is None:
        raise _Problem(_bad("action", "action_unknown", "action 应为 enter（列入）或 remove（移出）。"))
    return Op(line, "list", key, list=which, action=action, on=_date(raw, True), reason=_reason(raw))


def _complaints(line: int, raw: dict) -> Op:
    key = _code(raw)
    period = str(raw.get("period") or "").strip()
    if not _PERIOD.match(period):
        raise _Problem(_bad("period", "period_invalid", f"期间“{period[:20]}”应为 YYYY-MM。"))
    value = raw.get("count")
    try:
        count = int(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    except ValueError:
        count = None
    if count is None or not 0 <= count <= 1_000_000:
        raise _Problem(_bad("count", "count_invalid", "投诉举报次数 count 应为 0 到 1000000 之间的整数。"))
    return Op(line, "complaints", key, period=period, count=count)


def _risk(line: int, raw: dict) -> Op:
    key = _code(raw)
    cand = normalize({"risk_class": raw.get("risk_class")}, _EMPTY_LOOKUP, partial=True)
    if cand.issues:
        raise _Problem(cand.issues[0])
    if "risk_class" not in cand.values and str(raw.get("risk_class") or "").strip() == "":
        raise _Problem(_bad("risk_class", "risk_class_required", "须填写信用风险分类（A、B、C、D 或“未分类”）。"))
    return Op(line, "risk", key, risk=cand.values.get("risk_class"))


_CHECKS = {"object": _object, "status": _status, "list": _list, "complaints": _complaints, "risk": _risk}
