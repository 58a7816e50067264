"""Turn one object's raw input (a spreadsheet row or a JSON item) into clean values.

One function serves the batch import, the bulk feed and single entry, so the
three accept the same spellings and refuse with the same Chinese reasons.
Values that are empty or absent are *not provided*: an upsert keeps what the
object already has (only PATCH clears fields). Nothing here touches the
database; sub-libraries are resolved against a `Lookup` loaded once per batch.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..identifiers import (
    XINZHOU_DIVISIONS, check_credit_code, check_id_number, credit_category, credit_division, mask_id_number,
    normalize_code,
)
from .models import ENTITY_TYPES, OBJECT_TYPES, REGISTRATION_STATUSES, RISK_CLASSES

LABELS = {
    "name": "名称", "credit_code": "统一社会信用代码", "object_type": "对象类型", "legal_rep_name": "法定代表人",
    "legal_rep_id_number": "法定代表人身份证号", "phone": "联系电话", "registered_address": "注册地址",
    "business_address": "经营地址", "region_code": "行政区划代码", "industry": "行业",
    "registration_status": "登记状态", "online": "是否网络经营", "shop_url": "网店网址", "sub_libraries": "所属分库",
    "risk_class": "信用风险分类", "abnormal_list": "列入经营异常名录", "serious_violation_list": "列入严重违法失信名单",
    "complaint_count": "投诉举报次数", "credit_code_override_reason": "信用代码例外说明",
}
CREDIT_FIELDS = ("risk_class", "abnormal_list", "serious_violation_list", "complaint_count")
TEXT_LIMITS = {"name": 200, "legal_rep_name": 64, "registered_address": 300, "business_address": 300,
               "industry": 100}

_TYPE_WORDS = {label: code for code, label in OBJECT_TYPES.items()}
_TYPE_WORDS.update({"合作社": "farmer_coop", "农民合作社": "farmer_coop", "个体户": "individual", "个体": "individual",
                    "公司": "enterprise", "其他": "other_org", "组织": "other_org"})
_STATUS_WORDS = {label: code for code, label in REGISTRATION_STATUSES.items()}
_STATUS_WORDS.update({"开业": "active", "在营": "active", "在册": "active", "正常": "active"})
# What the prefix rule of `_status` gives for each word itself, looked up at once.
_STATUS_EXACT = {w: next(code for word, code in _STATUS_WORDS.items() if w.startswith(word)) for w in _STATUS_WORDS}
_CATEGORY_TYPE = {"enterprise": "enterprise", "individual_business": "individual", "farmer_cooperative": "farmer_coop"}
_TRUE = {"是", "有", "y", "yes", "true", "t", "1", "√", "✓", "列入", "已列入"}
_FALSE = {"否", "无", "n", "no", "false", "f", "0", "×", "✗", "未列入", "不是"}
_RISK_WORDS = {"A": "A", "B": "B", "C": "C", "D": "D"}
_RISK_WORDS.update({label: k for k, label in RISK_CLASSES.items()})
_RISK_NONE = {"未分类", "无分类", "暂无", "U"}
_REGION_NAMES = {name: code for code, name in XINZHOU_DIVISIONS.items()}
_SPLIT = re.compile(r"[、,，;；/|\n]+")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_PHONE = re.compile(r"^[0-9+\-()（）/、,;]{5,32}$")
_URL = re.compile(r"^https?://[^\s]{3,490}$", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+\d+$", re.IGNORECASE)


class NumericCell(str):
    """A spreadsheet value that was a number: long codes typed as numbers lose digits."""


@dataclass(frozen=True)
class Issue:
    field: str
    code: str
    message: str
    value: str | None = None


@dataclass(frozen=True)
class LibRef:
    id: int
    code: str
    name: str
    department_id: int


@dataclass
class Lookup:
    """Sub-libraries by id, code and name (loaded once per batch or import)."""

    by_id: dict[int, LibRef]
    by_word: dict[str, LibRef] = field(default_factory=dict)

    def resolve(self, word: str) -> LibRef | None:
        return self.by_word.get(word)

    @classmethod
    def of(cls, refs: Iterable[LibRef]) -> "Lookup":
        refs = list(refs)
        words = {r.name: r for r in refs}
        words.update({r.code: r for r in refs})  # a code wins over another library's identical name
        return cls({r.id: r for r in refs}, words)


@dataclass
class Candidate:
    """Clean values of one input; `values` holds only what was provided."""

    values: dict[str, Any] = field(default_factory=dict)
    legal_rep_id: str | None = None
    sub_library_ids: set[int] = field(default_factory=set)
    override_reason: str | None = None
    match_key: str | None = None
    default_region: str | None = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _text(value: Any) -> str:
    if type(value) is str:  # the usual case: printable text has no control character to drop
        return value.strip() if value.isprintable() else _CONTROL.sub("", value).strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return _CONTROL.sub("", str(value)).strip()


def _plain(field_name: str, s: str) -> str:
    if not s.isprintable() or "  " in s:  # printable text has no whitespace but single spaces
        s = _SPACES.sub(" ", s)
    limit = TEXT_LIMITS[field_name]
    if len(s) > limit:
        raise _Bad(f"{field_name}_too_long", f"{LABELS[field_name]}不能超过 {limit} 个字符（现为 {len(s)} 个）。")
    return s


def _object_type(s: str) -> str:
    key = s.lower() if s.isascii() else s
    if key in OBJECT_TYPES:
        return key
    if s in _TYPE_WORDS:
        return _TYPE_WORDS[s]
    raise _Bad("object_type_unknown", f"对象类型“{s}”无法识别，应为：{'、'.join(OBJECT_TYPES.values())}。")


def _status(s: str) -> str:
    key = s.lower() if s.isascii() else s
    if key in REGISTRATION_STATUSES:
        return key
    if s in _STATUS_EXACT:
        return _STATUS_EXACT[s]
    for word, code in _STATUS_WORDS.items():
        if s.startswith(word):  # e.g. 存续（在营、开业、在册）
            return code
    raise _Bad("registration_status_unknown",
               f"登记状态“{s}”无法识别，应为：{'、'.join(REGISTRATION_STATUSES.values())}。")


def _bool(field_name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    s = _text(value).lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise _Bad(f"{field_name}_invalid", f"{LABELS[field_name]}“{_text(value)}”无法识别，应填“是”或“否”。")


def _count(value: Any) -> int:
    s = _text(value)
    try:
        n = float(s) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        raise _Bad("complaint_count_invalid", f"投诉举报次数“{s}”不是整数。")
    if n != n or n < 0 or n > 1_000_000 or n != int(n):
        raise _Bad("complaint_count_invalid", f"投诉举报次数“{s}”应为 0 到 1000000 之间的整数。")
    return int(n)


def _risk(s: str) -> str | None:
    up = s.upper().removesuffix("类")
    if up in _RISK_WORDS:
        return _RISK_WORDS[up]
    if s in _RISK_WORDS:
        return _RISK_WORDS[s]
    if s in _RISK_NONE or up in _RISK_NONE:
        return None
    raise _Bad("risk_class_unknown", f"信用风险分类“{s}”无法识别，应为 A、B、C、D 或“未分类”。")


def _region(s: str) -> str:
    if s in XINZHOU_DIVISIONS:
        return s
    code = _REGION_NAMES.get(s, normalize_code(s))
    if not re.fullmatch(r"\d{6}", code):
        raise _Bad("region_invalid", f"行政区划代码“{s}”应为 6 位数字（GB/T 2260）。")
    if code not in XINZHOU_DIVISIONS:
        raise _Bad("region_unknown", f"行政区划代码“{code}”不是忻州市及所辖县（市、区）的代码。")
    return code


def _phone(s: str) -> str:
    p = normalize_code(s)
    if not _PHONE.match(p):
        raise _Bad("phone_invalid", f"联系电话“{s}”格式不正确。")
    return p


def _url(s: str) -> str:
    if not _URL.match(s):
        raise _Bad("shop_url_invalid", f"网店网址“{s[:60]}”须以 http:// 或 https:// 开头。")
    return s


def _number_hint(raw: Any, s: str) -> str:
    if isinstance(raw, NumericCell) or isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return "（该单元格是数字格式，Excel 只保留 15 位有效数字，请将此列设为文本后重新录入）"
    if _SCIENTIFIC.match(s):
        return "（疑似被 Excel 转成了科学计数法，请将此列设为文本后重新录入）"
    return ""


def _libraries(value: Any, lookup: Lookup) -> set[int]:
    parts = value if isinstance(value, (list, tuple)) else _SPLIT.split(_text(value))
    words = list(dict.fromkeys(w for w in (_text(p) for p in parts) if w))
    found, unknown = set(), []
    for w in words:
        lib = lookup.resolve(w)
        if lib is None:
            unknown.append(w)
        else:
            found.add(lib.id)
    if unknown:
        raise _Bad("sub_library_unknown", f"所属分库“{'、'.join(unknown)}”不存在（可填分库代码或名称，以“、”分隔）。")
    return found


def item_key(object_type: str, name: str, region: str | None) -> str:
    """Merge key of an object without a credit code (product, project, behaviour)."""
    norm = _SPACES.sub("", name).replace("(", "（").replace(")", "）")
    digest = hashlib.sha256(f"{object_type}|{norm}|{region or ''}".encode()).hexdigest()[:40]
    return f"k:{digest}"


def _given(value: Any) -> str:
    """The text of a value as it counts for "provided": empty means not given."""
    if type(value) is str:
        return value.strip() if value.isprintable() else _text(value)
    if isinstance(value, (list, tuple)):
        return "、".join(map(_text, value)) if value else ""
    return _text(value)


def _scalar(name: str, value: Any) -> None:
    """A list or object where one value belongs (a JSON feed record) is refused, not read as text."""
    if isinstance(value, (list, tuple, dict)):
        raise _Bad("value_not_text", f"{LABELS[name]}应为单个值，不能是列表或对象。")


# The simple fields in reporting order: field → check(text, raw value).
_CHECKS = (
    *((n, lambda s, v, n=n: _plain(n, s)) for n in ("legal_rep_name", "registered_address", "business_address",
                                                     "industry")),
    ("object_type", lambda s, v: _object_type(s)),
    ("registration_status", lambda s, v: _status(s)),
    ("region_code", lambda s, v: _region(s)),
    ("phone", lambda s, v: _phone(s)),
    ("shop_url", lambda s, v: _url(s)),
    ("risk_class", lambda s, v: _risk(s)),
    ("complaint_count", lambda s, v: _count(v)),
    *((n, lambda s, v, n=n: _bool(n, v)) for n in ("online", "abnormal_list", "serious_violation_list")),
)


def normalize(raw: dict[str, Any], lookup: Lookup, *, partial: bool = False) -> Candidate:
    """Validate one input and collect every problem (not just the first).

    `partial` (PATCH) validates only the given fields: no required name and no
    identity checks, which the caller runs on the merged values (`identity`).
    A value counts as given when its text is not empty (a list: when it has items).
    """
    c = Candidate()
    values, issues, get = c.values, c.issues, raw.get
    v = get("name")
    s = "" if v is None else _given(v)
    if s:
        try:
            _scalar("name", v)
            values["name"] = _plain("name", s)
        except _Bad as bad:
            issues.append(Issue("name", bad.code, bad.message, s[:500]))
    elif not partial:
        issues.append(Issue("name", "name_required", "名称不能为空。"))
    for name, check in _CHECKS:  # each value's text computed once (a feed runs this millions of times)
        v = get(name)
        if v is None:
            continue
        if type(v) is str:  # the usual case, inline: printable text only needs stripping, and is a scalar
            s = v.strip() if v.isprintable() else _text(v)
        else:
            s = _given(v)
        if s:
            try:
                if type(v) is not str:
                    _scalar(name, v)
                values[name] = check(s, v)
            except _Bad as bad:
                issues.append(Issue(name, bad.code, bad.message, s[:500]))
    v = get("sub_libraries")
    if v is not None and _given(v):
        try:
            c.sub_library_ids = _libraries(v, lookup)
        except _Bad as bad:
            issues.append(Issue("sub_libraries", bad.code, bad.message, _given(v)[:500]))
    v = get("legal_rep_id_number")
    s = "" if v is None else _given(v)
    if s and isinstance(v, (list, tuple, dict)):
        issues.append(Issue("legal_rep_id_number", "value_not_text", "法定代表人身份证号应为单个值，不能是列表或对象。"))
    elif s:
        check = check_id_number(s)
        if check.ok:
            c.legal_rep_id = check.normalized
        else:
            issues.append(Issue("legal_rep_id_number", f"legal_rep_id_{check.code}",
                                f"法定代表人身份证号有误：{check.message}{_number_hint(v, s)}", mask_id_number(s)))
    v = get("credit_code")
    code_text = "" if v is None else _given(v)
    _credit_code(v, code_text, _text(get("credit_code_override_reason")) or None, c)
    code_refused = bool(code_text) and "credit_code" not in values
    type_refused = any(i.field == "object_type" for i in issues)
    if not partial and not code_refused and not type_refused:
        found, c.match_key, c.default_region = identity(values)
        issues.extend(found)
    return c


def _credit_code(raw_value: Any, s: str, reason: str | None, c: Candidate) -> None:
    if s and isinstance(raw_value, (list, tuple, dict)):
        c.issues.append(Issue("credit_code", "value_not_text", "统一社会信用代码应为单个值，不能是列表或对象。"))
        return
    if not s:
        if reason:
            c.issues.append(Issue("credit_code_override_reason", "credit_code_override_not_needed",
                                  "未填写统一社会信用代码，不需要例外说明。"))
        return
    check = check_credit_code(s)
    if check.ok:
        c.values["credit_code"] = check.normalized
        if reason:
            c.issues.append(Issue("credit_code_override_reason", "credit_code_override_not_needed",
                                  "统一社会信用代码校验通过，不需要例外说明。"))
        return
    if check.overridable and reason:
        if not 2 <= len(reason) <= 500:
            c.issues.append(Issue("credit_code_override_reason", "credit_code_override_reason_invalid",
                                  "例外说明须为 2–500 个字符。"))
            return
        c.values["credit_code"] = check.normalized
        c.override_reason = reason
        return
    extra = "" if check.overridable else ("（只有校验码错误的代码可由管理员说明理由后例外接受）" if reason else "")
    c.issues.append(Issue("credit_code", f"credit_code_{check.code}",
                          f"统一社会信用代码有误：{check.message}{_number_hint(raw_value, s)}{extra}", s[:500]))


def identity(values: dict[str, Any]) -> tuple[list[Issue], str | None, str | None]:
    """Type ↔ credit code consistency; returns (issues, merge key, default region).

    Fills in `object_type` from the credit code's category when it is missing.
    """
    code = values.get("credit_code")
    otype = values.get("object_type")
    if code:
        category = credit_category(code)
        derived = _CATEGORY_TYPE.get(category, "other_org")
        if otype is None:
            values["object_type"] = otype = derived
        elif otype not in ENTITY_TYPES:
            return [Issue("credit_code", "credit_code_not_applicable",
                          f"{OBJECT_TYPES[otype]}类对象不填写统一社会信用代码（请在所属主体的记录中填写）。", code)], None, None
        elif category in _CATEGORY_TYPE and otype != derived:
            return [Issue("object_type", "object_type_mismatch",
                          f"对象类型“{OBJECT_TYPES[otype]}”与统一社会信用代码第1–2位“{code[:2]}”"
                          f"（{OBJECT_TYPES[derived]}）不符。", OBJECT_TYPES[otype])], None, None
        division = credit_division(code)
        return [], code, division if division in XINZHOU_DIVISIONS else None
    if otype is None:
        return [Issue("object_type", "object_type_required",
                      "未填写统一社会信用代码时须填写对象类型（产品、项目或行为）。")], None, None
    if otype in ENTITY_TYPES:
        return [Issue("credit_code", "credit_code_required", f"{OBJECT_TYPES[otype]}须填写统一社会信用代码。")], None, None
    if values.get("name"):
        return [], item_key(otype, values["name"], values.get("region_code")), None
    return [], None, None
