"""The spellings the shared input rules accept or refuse (spreadsheet cells and JSON alike)."""
from __future__ import annotations

import pytest

from server.registry.normalize import LibRef, Lookup, normalize


LOOKUP = Lookup.of([LibRef(1, "food_business", "食品经营", 2), LibRef(2, "price", "价格", 2)])


@pytest.mark.parametrize("raw, expected", [
    ({"registration_status": "存续（在营、开业、在册）"}, {"registration_status": "active"}),
    ({"registration_status": "吊销，未注销"}, {"registration_status": "revoked"}),
    ({"object_type": "个体户", "credit_code": "92140902MA00000019"}, {"object_type": "individual"}),
    ({"online": "√", "abnormal_list": "否", "serious_violation_list": "FALSE"},
     {"online": True, "abnormal_list": False, "serious_violation_list": False}),
    ({"risk_class": "b类"}, {"risk_class": "B"}), ({"risk_class": "高风险"}, {"risk_class": "D"}),
    ({"risk_class": "未分类"}, {"risk_class": None}),
    ({"complaint_count": "3.0"}, {"complaint_count": 3}), ({"region_code": "五寨县"}, {"region_code": "140928"}),
    ({"phone": "０３５０－３０３１２３４"}, {"phone": "0350-3031234"}),
    ({"name": "  忻州市   晋源食品有限公司 "}, {"name": "忻州市 晋源食品有限公司"}),
])
def test_accepted_spellings(raw, expected):
    c = normalize({"name": "某有限公司", "credit_code": "91140902MA0000001C", **raw}, LOOKUP)
    assert not c.issues, c.issues
    for key, value in expected.items():
        assert c.values[key] == value


@pytest.mark.parametrize("raw, code", [
    ({"complaint_count": "-1"}, "complaint_count_invalid"), ({"complaint_count": "两次"}, "complaint_count_invalid"),
    ({"online": "也许"}, "online_invalid"), ({"shop_url": "taobao.com/shop1"}, "shop_url_invalid"),
    ({"region_code": "14090"}, "region_invalid"), ({"phone": "电话号码"}, "phone_invalid"),
    ({"name": "名" * 201}, "name_too_long"), ({"object_type": "产品"}, "credit_code_not_applicable"),
    ({"object_type": "农民专业合作社"}, "object_type_mismatch"),
    ({"credit_code": None, "object_type": "企业"}, "credit_code_required"),
    ({"credit_code": None}, "object_type_required"),
    ({"credit_code": "1.23457E+17"}, "credit_code_length"),
    ({"legal_rep_id_number": "36042619910101007"}, "legal_rep_id_length"),
    ({"legal_rep_id_number": "360426199113010071"}, "legal_rep_id_birth_date"),
    ({"credit_code_override_reason": "不需要"}, "credit_code_override_not_needed"),
    ({"sub_libraries": "食品经营、不存在"}, "sub_library_unknown"),
])
def test_refused_spellings(raw, code):
    c = normalize({"name": "某有限公司", "credit_code": "91140902MA0000001C", **raw}, LOOKUP)
    assert code in [i.code for i in c.issues], c.issues
    assert all(not i.message.isascii() for i in c.issues)


def test_excel_number_hints():
    from server.registry.normalize import NumericCell

    c = normalize({"name": "某", "credit_code": "1.23457E+17"}, LOOKUP)
    assert "科学计数法" in c.issues[0].message
    c = normalize({"name": "某", "credit_code": "91140902MA0000001C",
                   "legal_rep_id_number": NumericCell("360426199101010000")}, LOOKUP)
    assert "数字格式" in c.issues[0].message
    assert c.issues[0].value == "3604**********0000"
