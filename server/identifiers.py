"""Validation and masking of Chinese identifiers.

* Unified social credit code (统一社会信用代码, GB 32100-2015).
* Resident identity card number (公民身份号码, GB 11643-1999).
* Masking helpers for views (ID numbers, names of individual-business operators, phones).
* Xinzhou's administrative division codes (GB/T 2260).

Pure module: standard library only. User-facing messages are Simplified Chinese; the
``code`` of a failed check is a stable English token for programs and translations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from operator import mul

__all__ = [
    "CodeCheck", "CREDIT_ALPHABET", "CREDIT_WEIGHTS", "CREDIT_CATEGORIES",
    "ID_WEIGHTS", "XINZHOU_DIVISIONS",
    "normalize_code", "check_credit_code", "credit_check_char", "make_credit_code",
    "credit_category", "credit_category_label", "credit_division", "division_name",
    "check_id_number", "id_check_char",
    "mask_id_number", "mask_name", "mask_phone",
]

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters allowed in a credit code (no I, O, S, V, Z); value = index."""

CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""Weights of positions 1–17 of a credit code (3^(i-1) mod 31)."""

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
"""Weights of positions 1–17 of a resident ID number (2^(17-i) mod 11)."""

_ID_CHECK_CHARS = "10X98765432"
_CREDIT_VALUES = {ch: i for i, ch in enumerate(CREDIT_ALPHABET)}
_CREDIT_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}\Z")
_EXCLUDED_LETTERS = "IOSVZ"
# What an excluded letter was most likely meant to be, for a friendlier hint.
_LOOKALIKES = {"I": "1", "O": "0", "S": "5", "Z": "2"}

CREDIT_CATEGORIES = {
    "91": "enterprise",
    "92": "individual_business",
    "93": "farmer_cooperative",
}
"""Positions 1–2 of a market entity's credit code → category key; anything else is ``other``."""

_CATEGORY_LABELS = {
    "enterprise": "企业",
    "individual_business": "个体工商户",
    "farmer_cooperative": "农民专业合作社",
    "other": "其他组织",
}

XINZHOU_DIVISIONS = {
    "140900": "忻州市",
    "140902": "忻府区",
    "140921": "定襄县",
    "140922": "五台县",
    "140923": "代县",
    "140924": "繁峙县",
    "140925": "宁武县",
    "140926": "静乐县",
    "140927": "神池县",
    "140928": "五寨县",
    "140929": "岢岚县",
    "140930": "河曲县",
    "140931": "保德县",
    "140932": "偏关县",
    "140981": "原平市",
}
"""Xinzhou city and its counties/districts: division code (GB/T 2260) → name."""

# Full-width ASCII (U+FF01–U+FF5E) → half-width; ideographic space → space.
_HALF_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALF_WIDTH[0x3000] = 0x20
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CodeCheck:
    """Outcome of an identifier check.

    ``ok`` tells whether the value is valid; ``normalized`` is the cleaned-up input (store
    this one). When invalid, ``code`` is a stable token (``empty``, ``length``,
    ``bad_character``, ``division``, ``address``, ``birth_date``, ``checksum``),
    ``message`` a Chinese explanation and ``position`` the 1-based position at fault, if any.
    """

    ok: bool
    normalized: str
    code: str | None = None
    message: str | None = None
    position: int | None = None

    @property
    def overridable(self) -> bool:
        """True when only the checksum is wrong (an administrator may accept such a code)."""
        return self.code == "checksum"


def normalize_code(value: str | None) -> str:
    """Full-width → half-width ASCII, drop all whitespace, upper-case."""
    if not value:
        return ""
    if value.isascii() and (value.isalnum() or (value.isprintable() and " " not in value)):
        return value.upper()  # the usual case (a code, a phone number): nothing to translate or drop
    return _WHITESPACE.sub("", value.translate(_HALF_WIDTH)).upper()


def _fail(normalized: str, code: str, message: str, position: int | None = None) -> CodeCheck:
    return CodeCheck(False, normalized, code, message, position)


# --- unified social credit code -------------------------------------------------------

def _bad_credit_char(position: int, ch: str) -> str:
    if ch in _EXCLUDED_LETTERS:
        hint = f"，是否应为“{_LOOKALIKES[ch]}”？" if ch in _LOOKALIKES else ""
        return f"第{position}位字符“{ch}”不是有效字符（不使用I、O、S、V、Z）{hint}"
    return f"第{position}位字符“{ch}”不是有效字符（只能是数字或大写字母，不使用I、O、S、V、Z）"


def _credit_sum_char(first17: str) -> str:
    total = sum(map(mul, map(_CREDIT_VALUES.__getitem__, first17[:17]), CREDIT_WEIGHTS))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_check_char(first17: str) -> str:
    """Return the check character (position 18) for the first 17 characters of a credit code.

    Input is normalised first. Raises ``ValueError`` if it is not 17 valid characters.
    """
    body = normalize_code(first17)
    if len(body) != 17:
        raise ValueError(f"统一社会信用代码前17位应为17个字符，实际为{len(body)}个")
    for i, ch in enumerate(body, start=1):
        if ch not in _CREDIT_VALUES:
            raise ValueError(_bad_credit_char(i, ch))
    return _credit_sum_char(body)


def make_credit_code(first17: str) -> str:
    """Append the check character to 17 characters, giving a valid 18-character credit code."""
    body = normalize_code(first17)
    return body + credit_check_char(body)


def check_credit_code(code: str | None) -> CodeCheck:
    """Validate a unified social credit code (GB 32100-2015).

    Checks, in order: not empty, 18 characters, every character in the 31-character
    alphabet, positions 3–8 (division code) are digits, then the check character.
    The first problem found is reported, naming the character and its position.
    """
    norm = normalize_code(code)
    if not norm:
        return _fail(norm, "empty", "请输入统一社会信用代码")
    if len(norm) != 18:
        return _fail(norm, "length", f"统一社会信用代码应为18位，实际为{len(norm)}位")
    if _CREDIT_SHAPE.match(norm):  # the usual case, checked at once (a feed checks millions)
        return CodeCheck(True, norm) if norm[17] == _credit_sum_char(norm) else _fail(
            norm, "checksum", f"第18位校验码应为“{_credit_sum_char(norm)}”，实际为“{norm[17]}”"
            "（请核对前17位是否录入有误）", 18)
    for i, ch in enumerate(norm, start=1):
        if ch not in _CREDIT_VALUES:
            return _fail(norm, "bad_character", _bad_credit_char(i, ch), i)
    for i in range(3, 9):
        ch = norm[i - 1]
        if not ch.isdigit():
            return _fail(norm, "division",
                         f"第3–8位应为6位数字的行政区划码，第{i}位为“{ch}”", i)
    expected = _credit_sum_char(norm[:17])
    if norm[17] != expected:
        return _fail(norm, "checksum",
                     f"第18位校验码应为“{expected}”，实际为“{norm[17]}”"
                     "（请核对前17位是否录入有误）", 18)
    return CodeCheck(True, norm)


def credit_category(code: str) -> str:
    """Category key from positions 1–2: ``enterprise`` (91), ``individual_business`` (92),
    ``farmer_cooperative`` (93) or ``other``."""
    return CREDIT_CATEGORIES.get(normalize_code(code)[:2], "other")


def credit_category_label(code: str) -> str:
    """Chinese label of the category of a credit code (企业, 个体工商户, ...)."""
    return _CATEGORY_LABELS[credit_category(code)]


def credit_division(code: str) -> str | None:
    """The 6-digit administrative division code (positions 3–8), or None if unreadable."""
    part = normalize_code(code)[2:8]
    return part if len(part) == 6 and part.isdigit() else None


def division_name(division: str | None) -> str | None:
    """Name of a Xinzhou division code (e.g. ``140981`` → 原平市), None if not Xinzhou's."""
    return XINZHOU_DIVISIONS.get(division or "")


# --- resident identity number ---------------------------------------------------------

def id_check_char(first17: str) -> str:
    """Check character for the first 17 digits of a resident ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("身份证号码前17位应为17位数字")
    return _ID_CHECK_CHARS[sum(map(mul, map(int, first17), ID_WEIGHTS)) % 11]


def check_id_number(value: str | None, today: date | None = None) -> CodeCheck:
    """Validate an 18-digit resident ID number (GB 11643-1999).

    Checks: 18 characters; digits, with X allowed only at the end; a 6-digit address code
    not starting with 0; a real birth date YYYYMMDD from 1900-01-01 up to ``today``
    (default: the current date); the check character.
    """
    norm = normalize_code(value)
    if not norm:
        return _fail(norm, "empty", "请输入身份证号码")
    if len(norm) != 18:
        hint = "（15位旧号码请换用18位新号码）" if len(norm) == 15 else ""
        return _fail(norm, "length", f"身份证号码应为18位，实际为{len(norm)}位{hint}")
    for i, ch in enumerate(norm[:17], start=1):
        if not ("0" <= ch <= "9"):
            why = "X只能出现在末位" if ch == "X" else "前17位应为数字"
            return _fail(norm, "bad_character", f"第{i}位字符“{ch}”无效（{why}）", i)
    last = norm[17]
    if not ("0" <= last <= "9" or last == "X"):
        return _fail(norm, "bad_character", f"第18位字符“{last}”无效（末位应为数字或X）", 18)
    if norm[0] == "0":
        return _fail(norm, "address", f"第1–6位地址码“{norm[:6]}”无效", 1)
    birth = norm[6:14]
    try:
        born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return _fail(norm, "birth_date", f"第7–14位出生日期“{birth}”不是有效日期", 7)
    if born.year < 1900:
        return _fail(norm, "birth_date", f"第7–14位出生日期“{birth}”早于1900年", 7)
    if born > (today or date.today()):
        return _fail(norm, "birth_date", f"第7–14位出生日期“{birth}”晚于今天", 7)
    expected = id_check_char(norm[:17])
    if last != expected:
        return _fail(norm, "checksum",
                     f"第18位校验码应为“{expected}”，实际为“{last}”"
                     "（请核对前17位是否录入有误）", 18)
    return CodeCheck(True, norm)


# --- identity documents of a signer ---------------------------------------------------

# The documents a party's representative may sign with (Art. 20(3); docs/design/domain.md).
ID_DOCUMENT_TYPES = {
    "resident_id": "居民身份证",
    "hmt_residence": "港澳台居民居住证",
    "hk_mo_permit": "港澳居民来往内地通行证",
    "tw_permit": "台湾居民来往大陆通行证",
    "passport": "护照",
}
# 港澳台居民居住证: GB 11643 layout and checksum, address code 810000 (香港), 820000 (澳门), 830000 (台湾).
_HMT_RESIDENCE_PREFIXES = {"810000": "香港", "820000": "澳门", "830000": "台湾"}
_HK_MO_PERMIT = re.compile(r"[HM]\d{8}(?:\d{2})?")
_TW_PERMIT = re.compile(r"\d{8}(?:\d{2})?")
_PASSPORT = re.compile(r"[A-Z0-9]{5,9}")


def check_identity_document(id_type: str | None, value: str | None, today: date | None = None) -> CodeCheck:
    """Validate a signer's identity document number by its type (``ID_DOCUMENT_TYPES``).

    居民身份证: GB 11643 (``check_id_number``). 港澳台居民居住证: the same 18-character layout and
    checksum with address code 810000/820000/830000. 港澳居民来往内地通行证: H (Hong Kong) or M
    (Macao) and 8 digits (10 on cards issued before 2013). 台湾居民来往大陆通行证: 8 digits (10 on
    booklets before 2015). 护照: 5–9 letters and digits (ICAO 9303 document number) with at least
    one digit. An unknown type is refused with code ``id_type``.
    """
    kind = id_type or "resident_id"
    label = ID_DOCUMENT_TYPES.get(kind)
    if label is None:
        return _fail(normalize_code(value), "id_type", f"证件类型“{id_type}”无效，须为：{'、'.join(ID_DOCUMENT_TYPES.values())}")
    if kind == "resident_id":
        return check_id_number(value, today)
    norm = normalize_code(value)
    if not norm:
        return _fail(norm, "empty", f"请输入{label}号码")
    if kind == "hmt_residence":
        if len(norm) == 18 and norm[:6] not in _HMT_RESIDENCE_PREFIXES:
            return _fail(norm, "address", f"{label}号码应以 810000（香港）、820000（澳门）或 830000（台湾）开头", 1)
        check = check_id_number(norm, today)
        return check if check.ok else _fail(norm, check.code, f"{label}号码无效：{check.message}", check.position)
    if kind == "hk_mo_permit":
        if _HK_MO_PERMIT.fullmatch(norm):
            return CodeCheck(True, norm)
        return _fail(norm, "format", f"{label}号码应为 H（香港）或 M（澳门）加 8 位数字（2013 年前签发的为 10 位数字）")
    if kind == "tw_permit":
        if _TW_PERMIT.fullmatch(norm):
            return CodeCheck(True, norm)
        return _fail(norm, "format", f"{label}号码应为 8 位数字（2015 年前签发的为 10 位数字）")
    if _PASSPORT.fullmatch(norm) and any(ch.isdigit() for ch in norm):
        return CodeCheck(True, norm)
    return _fail(norm, "format", f"{label}号码应为 5–9 位字母和数字（含数字）")


# --- masking --------------------------------------------------------------------------

def mask_id_number(value: str | None) -> str:
    """Mask an ID number for display, keeping the first 4 and last 4 characters.

    ``360426199101010071`` → ``3604**********0071``. Values of 8 characters or fewer keep
    only their last 2 (and are fully masked if shorter than 3).
    """
    s = normalize_code(value)
    if len(s) > 8:
        return s[:4] + "*" * (len(s) - 8) + s[-4:]
    if len(s) > 2:
        return "*" * (len(s) - 2) + s[-2:]
    return "*" * len(s)


def mask_document_number(id_type: str | None, value: str | None) -> str:
    """Mask an identity document's number: 18-character numbers as ``mask_id_number``; the
    short ones (permits, passports) keep their first character and last 2 (``H******78``)."""
    s = normalize_code(value)
    if id_type in (None, "resident_id", "hmt_residence") or len(s) > 12:
        return mask_id_number(s)
    if len(s) > 3:
        return s[0] + "*" * (len(s) - 3) + s[-2:]
    return "*" * len(s)


def mask_name(name: str | None) -> str:
    """Mask a person's name: first character kept, the rest replaced by asterisks.

    Two- and three-character names keep their length (王五 → 王*, 王小明 → 王**); longer names
    become the first character + ``**`` so the length is not revealed; one character → ``*``.
    """
    s = _WHITESPACE.sub("", name or "")
    if not s:
        return ""
    if len(s) == 1:
        return "*"
    if len(s) <= 3:
        return s[0] + "*" * (len(s) - 1)
    return s[0] + "**"


def mask_phone(phone: str | None) -> str:
    """Mask a phone number: mobiles keep first 3 and last 4 (``138****5678``); landlines keep
    the area code before a hyphen and the last 4 digits (``0350-***1234``)."""
    s = normalize_code(phone)
    if not s:
        return ""
    mobile = re.fullmatch(r"(?:\+?86-?)?(1\d{10})", s)
    if mobile:
        m = mobile.group(1)
        return m[:3] + "****" + m[-4:]
    prefix, sep, rest = s.partition("-")
    if not sep:
        prefix, rest = "", s
    if len(rest) <= 4:
        return prefix + sep + "*" * len(rest)
    return prefix + sep + re.sub(r"\d", "*", rest[:-4]) + rest[-4:]
