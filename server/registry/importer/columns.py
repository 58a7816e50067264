"""Chinese column headers of the import file and the spellings offices actually use."""
from __future__ import annotations

import re

from ...errors import Invalid

# field → (standard header, accepted variants); the order is the template's.
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("名称", ("企业名称", "对象名称", "主体名称", "单位名称", "市场主体名称", "经营者名称", "字号名称",
                    "产品名称", "项目名称")),
    "credit_code": ("统一社会信用代码", ("信用代码", "社会信用代码", "统一代码", "统一社会信用代码/注册号")),
    "object_type": ("对象类型", ("主体类型", "类型", "市场主体类型", "对象类别")),
    "legal_rep_name": ("法定代表人", ("法定代表人姓名", "法人", "法人代表", "负责人", "经营者",
                                  "法定代表人(负责人)", "法定代表人/负责人")),
    "legal_rep_id_number": ("法定代表人身份证号", ("法定代表人身份证号码", "法人身份证号", "身份证号", "身份证号码",
                                          "证件号码", "负责人身份证号")),
    "phone": ("联系电话", ("电话", "联系方式", "手机", "手机号码", "联系人电话")),
    "registered_address": ("注册地址", ("住所", "登记地址", "住所(经营场所)", "注册住所")),
    "business_address": ("经营地址", ("经营场所", "实际经营地址", "生产经营地址")),
    "region_code": ("行政区划代码", ("区划代码", "行政区划", "所属区划", "所在县区", "所属县区")),
    "industry": ("行业", ("所属行业", "行业类别", "国民经济行业", "行业门类")),
    "registration_status": ("登记状态", ("状态", "经营状态", "企业状态", "主体状态")),
    "online": ("是否网络经营", ("网络经营", "是否网店", "是否网络交易")),
    "shop_url": ("网店网址", ("网址", "网店地址", "店铺网址", "网店链接")),
    "sub_libraries": ("所属分库", ("分库", "所属分库代码")),
    "risk_class": ("信用风险分类", ("风险分类", "信用风险等级", "风险等级", "信用风险类别", "信用风险分类结果")),
    "abnormal_list": ("列入经营异常名录", ("经营异常名录", "是否列入经营异常名录", "经营异常")),
    "serious_violation_list": ("列入严重违法失信名单", ("严重违法失信名单", "是否列入严重违法失信名单", "严重违法失信")),
    "complaint_count": ("投诉举报次数", ("投诉举报", "投诉次数", "投诉举报数", "投诉举报件数")),
}
HEADERS = [h for h, _ in COLUMNS.values()]

_MARKS = re.compile(r"[*＊\s]|[(（]必填[)）]|[(（]选填[)）]")


def _clean(header: object) -> str:
    s = "" if header is None else str(header)
    return _MARKS.sub("", s).replace("（", "(").replace("）", ")")


_INDEX = {_clean(h): f for f, (std, variants) in COLUMNS.items() for h in (std, *variants)}


def field_for(header: object) -> str | None:
    """The field a header names, or None."""
    return _INDEX.get(_clean(header))


def map_headers(headers: list) -> tuple[dict[int, str], list[str]]:
    """{column index: field} and the ignored headers. Refuses a file without 名称 or with a field twice."""
    fields: dict[int, str] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for i, header in enumerate(headers):
        text = "" if header is None else str(header).strip()
        field = field_for(header)
        if field is None:
            if text:
                ignored.append(text)
            continue
        if field in seen:
            raise Invalid(f"列“{seen[field]}”与列“{text}”表示同一项（{COLUMNS[field][0]}），请只保留一列。",
                          code="import_duplicate_column")
        seen[field] = text
        fields[i] = field
    if "name" not in seen:
        raise Invalid("文件中没有“名称”列（也可写作“企业名称”等）。请使用导入模板的表头。", code="import_header_missing")
    return fields, ignored
