"""Tests for server.identifiers (credit codes, resident IDs, masking, division codes)."""

import sys
from pathlib import Path

# pytest runs with --import-mode=importlib and no rootdir on sys.path; make `server` importable.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.identifiers import (
    CREDIT_ALPHABET,
    XINZHOU_DIVISIONS,
    check_credit_code,
    check_id_number,
    credit_category,
    credit_category_label,
    credit_check_char,
    credit_division,
    division_name,
    id_check_char,
    make_credit_code,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_code,
)

VALID_CREDIT = ["91110000600037341L", "91110108551385082Q", "91350100M000100Y43"]
VALID_IDS = ["11010519491231002X", "360426199101010071"]


# --- credit codes ---------------------------------------------------------------------

@pytest.mark.parametrize("code", VALID_CREDIT)
def test_valid_credit_codes_pass(code):
    result = check_credit_code(code)
    assert result.ok
    assert result.code is None and result.message is None
    assert result.normalized == code
    assert credit_check_char(code[:17]) == code[17]


def test_checksum_failure_names_position_and_expected_char():
    # A genuine early code that fails the checksum (domain.md): rejected by default.
    result = check_credit_code("91350100M0001TGQXM")
    assert not result.ok
    assert result.code == "checksum"
    assert result.position == 18
    assert result.overridable
    assert "第18位校验码应为“1”，实际为“M”" in result.message


def test_checksum_arithmetic_by_hand():
    # 91110000600037341L: sum of value*weight = 538, 538 mod 31 = 11, 31-11 = 20 -> "L".
    body = "91110000600037341"
    values = [CREDIT_ALPHABET.index(c) for c in body]
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(v * w for v, w in zip(values, weights))
    assert total == 538
    assert CREDIT_ALPHABET[(31 - total % 31) % 31] == "L" == credit_check_char(body)


@pytest.mark.parametrize("raw", [
    " 9111 0108 5513 8508 2q ",
    "９１１１０１０８５５１３８５０８２Ｑ",   # full-width digits and letter
    "91110108551385082q\t",
    "\u300091110108551385082Q",            # ideographic space
])
def test_normalisation(raw):
    result = check_credit_code(raw)
    assert result.ok, result.message
    assert result.normalized == "91110108551385082Q"


@pytest.mark.parametrize("letter,hint", [("I", "1"), ("O", "0"), ("S", "5"), ("Z", "2"), ("V", None)])
def test_excluded_letters_named_with_position(letter, hint):
    code = "9111" + letter + "000600037341L"  # position 5
    result = check_credit_code(code)
    assert result.code == "bad_character"
    assert result.position == 5
    assert f"第5位字符“{letter}”不是有效字符（不使用I、O、S、V、Z）" in result.message
    if hint:
        assert f"是否应为“{hint}”" in result.message
    assert not result.overridable


def test_other_bad_character():
    result = check_credit_code("91110000600037341#")
    assert result.code == "bad_character" and result.position == 18
    assert "第18位字符“#”不是有效字符" in result.message


@pytest.mark.parametrize("value,n", [("91110000600037341", 17), ("91110000600037341LL", 19)])
def test_length(value, n):
    result = check_credit_code(value)
    assert result.code == "length"
    assert result.message == f"统一社会信用代码应为18位，实际为{n}位"


@pytest.mark.parametrize("value", ["", None, "   "])
def test_empty(value):
    result = check_credit_code(value)
    assert not result.ok and result.code == "empty"
    assert result.message == "请输入统一社会信用代码"


def test_division_must_be_digits():
    code = make_credit_code("9114A900MA0K12345")
    result = check_credit_code(code)
    assert result.code == "division" and result.position == 5
    assert "第5位为“A”" in result.message


def test_category_and_division_helpers():
    assert credit_category("91110000600037341L") == "enterprise"
    assert credit_category("92140981MA0K00001X") == "individual_business"
    assert credit_category(" 93140921MA0K00001X") == "farmer_cooperative"
    assert credit_category("12140900000000000X") == "other"
    assert credit_category_label("92140981MA0K00001X") == "个体工商户"
    assert credit_category_label("52140900000000000X") == "其他组织"
    assert credit_division("91140981MA0K00001X") == "140981"
    assert credit_division("91") is None
    assert division_name(credit_division("91140981MA0K00001X")) == "原平市"
    assert division_name("110108") is None
    assert division_name(None) is None


def test_xinzhou_table():
    assert XINZHOU_DIVISIONS["140900"] == "忻州市"
    assert XINZHOU_DIVISIONS["140902"] == "忻府区"
    assert XINZHOU_DIVISIONS["140929"] == "岢岚县"
    assert len(XINZHOU_DIVISIONS) == 15
    assert all(code.startswith("1409") and len(code) == 6 for code in XINZHOU_DIVISIONS)


def test_make_credit_code_for_demo_data():
    code = make_credit_code("91140902MA0K1234A")
    assert len(code) == 18 and check_credit_code(code).ok
    assert division_name(credit_division(code)) == "忻府区"
    with pytest.raises(ValueError):
        credit_check_char("9114090")
    with pytest.raises(ValueError, match="第5位字符“O”"):
        make_credit_code("9114O902MA0K1234A")


_credit_char = st.sampled_from(CREDIT_ALPHABET)
_body17 = st.tuples(
    st.text(_credit_char, min_size=2, max_size=2),
    st.sampled_from(sorted(XINZHOU_DIVISIONS)),
    st.text(_credit_char, min_size=9, max_size=9),
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_body17)
def test_generated_codes_validate(body):
    assert check_credit_code(make_credit_code(body)).ok


@settings(max_examples=300, deadline=None)
@given(_body17, st.integers(0, 17), _credit_char)
def test_any_single_substitution_is_detected(body, pos, ch):
    code = make_credit_code(body)
    if code[pos] == ch:
        return
    mutated = code[:pos] + ch + code[pos + 1:]
    assert not check_credit_code(mutated).ok


# --- resident ID numbers --------------------------------------------------------------

@pytest.mark.parametrize("value", VALID_IDS + ["11010519491231002x", " 3604 2619 9101 0100 71 "])
def test_valid_ids(value):
    result = check_id_number(value)
    assert result.ok, result.message
    assert result.normalized in VALID_IDS


def test_id_checksum_failure():
    result = check_id_number("360426199101010072")
    assert result.code == "checksum" and result.position == 18
    assert "第18位校验码应为“1”，实际为“2”" in result.message


def test_id_check_char_by_hand():
    # 11010519491231002X: weighted sum 167, 167 mod 11 = 2 -> "10X98765432"[2] = "X".
    body = "11010519491231002"
    total = sum(int(c) * w for c, w in zip(body, [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]))
    assert total == 167
    assert id_check_char(body) == "X"


@pytest.mark.parametrize("value,code,fragment", [
    ("", "empty", "请输入身份证号码"),
    ("3604261991010100", "length", "应为18位，实际为16位"),
    ("360426910101007", "length", "15位旧号码"),
    ("3604261991X1010071", "bad_character", "第11位字符“X”无效（X只能出现在末位）"),
    ("36042619910101007A", "bad_character", "第18位字符“A”无效"),
    ("3604A6199101010071", "bad_character", "第5位字符“A”无效（前17位应为数字）"),
    ("060426199101010071", "address", "地址码“060426”无效"),
    ("360426199102300071", "birth_date", "出生日期“19910230”不是有效日期"),
    ("360426189912310071", "birth_date", "早于1900年"),
    ("360426203001010071", "birth_date", "晚于今天"),
])
def test_id_errors(value, code, fragment):
    result = check_id_number(value, today=date(2025, 6, 1))
    assert not result.ok
    assert result.code == code
    assert fragment in result.message


def test_id_birth_date_today_boundary():
    body = "36042620250601007"
    value = body + id_check_char(body)
    assert check_id_number(value, today=date(2025, 6, 1)).ok
    assert check_id_number(value, today=date(2025, 5, 31)).code == "birth_date"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 16), st.sampled_from("0123456789"), st.sampled_from(VALID_IDS))
def test_id_single_digit_change_detected(pos, digit, valid):
    if valid[pos] == digit:
        return
    assert not check_id_number(valid[:pos] + digit + valid[pos + 1:]).ok


# --- masking --------------------------------------------------------------------------

def test_mask_id_number():
    assert mask_id_number("360426199101010071") == "3604**********0071"
    assert mask_id_number("11010519491231002x") == "1101**********002X"
    assert mask_id_number("") == ""
    assert mask_id_number(None) == ""
    assert mask_id_number("12345") == "***45"


@pytest.mark.parametrize("name,masked", [
    ("王五", "王*"), ("王小明", "王**"), ("欧阳小明", "欧**"), ("李", "*"),
    (" 张 三 ", "张*"), ("", ""), (None, ""),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("phone,masked", [
    ("13812345678", "138****5678"),
    ("+86 138 1234 5678", "138****5678"),
    ("１３８１２３４５６７８", "138****5678"),
    ("0350-3021234", "0350-***1234"),
    ("3021234", "***1234"),
    ("1234", "****"),
    ("", ""),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_normalize_code():
    assert normalize_code("ａｂｃ　１２３") == "ABC123"
    assert normalize_code(None) == ""


def test_normalize_code_fast_path_gives_what_the_full_cleaning_gives():
    """ASCII text that is printable and has no space (a code, a phone number) is only upper-cased;
    anything else is translated from full width and stripped of whitespace, as before."""
    import random

    from server.identifiers import _HALF_WIDTH, _WHITESPACE

    rng = random.Random(105)
    alphabet = [chr(i) for i in range(128)] + ["\u3000", "Ａ", "１", "－", "中", "\u00a0", "\u2028"]
    for _ in range(20000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        assert normalize_code(value) == _WHITESPACE.sub("", value.translate(_HALF_WIDTH)).upper()
