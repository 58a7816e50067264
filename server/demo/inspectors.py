"""Demo inspector directory: the six inspectors of each city department, four external
experts, some unavailable periods, one conflict declaration and one borrowing agreement.

Dates are relative to today (Asia/Shanghai) so the demo stays current; everything else is fixed.
"""
from __future__ import annotations

import calendar
import datetime as dt

from ..accounts.auth import Principal
from ..identifiers import make_credit_code
from ..inspectors import borrowing, declarations, directory
from ..types import local_today
from .accounts import CITY_DEPARTMENTS, INSPECTORS_PER_DEPARTMENT

# Per department, inspector 1..6: qualification tags (every tag has at least two holders).
QUALIFICATIONS = {
    "scjg": [["食品安全执法", "特种设备安全监察"], ["价格监督检查", "广告监管"], ["网络交易监管", "食品安全执法"],
             ["特种设备安全监察", "价格监督检查", "食品安全执法"], ["广告监管", "网络交易监管", "食品安全执法"], ["食品安全执法", "价格监督检查"]],
    "sthj": [["生态环境执法", "排污许可"], ["生态环境执法"], ["排污许可", "生态环境执法"], ["生态环境执法"],
             ["排污许可"], ["生态环境执法", "排污许可"]],
    "wsjk": [["卫生监督", "公共场所卫生"], ["卫生监督"], ["公共场所卫生", "卫生监督"], ["卫生监督"],
             ["公共场所卫生"], ["卫生监督", "公共场所卫生"]],
    "yjgl": [["安全生产执法", "危险化学品"], ["安全生产执法"], ["安全生产执法", "危险化学品"], ["安全生产执法"],
             ["危险化学品", "安全生产执法"], ["安全生产执法"]],
    "sw": [["商务执法", "成品油流通"], ["商务执法"], ["成品油流通"], ["商务执法", "成品油流通"], ["商务执法"],
           ["商务执法"]],
    "wl": [["文化市场执法", "旅游市场"], ["文化市场执法"], ["旅游市场"], ["文化市场执法"],
           ["文化市场执法", "旅游市场"], ["旅游市场"]],
}
EXPERTISE = {
    "scjg": ["餐饮服务", "电梯", "网络直播营销", "压力容器", "广告审查", "食品抽样检验"],
    "sthj": ["大气污染防治", "水污染防治", "固体废物", "排污口监测", "环评文件审查", "在线监控"],
    "wsjk": ["公共场所卫生", "生活饮用水", "职业卫生", "医疗废物", "消毒产品", "学校卫生"],
    "yjgl": ["非煤矿山", "工贸企业", "危化品储存", "烟花爆竹", "粉尘防爆", "有限空间作业"],
    "sw": ["加油站", "单用途预付卡", "成品油仓储", "报废机动车回收", "二手车交易", "拍卖"],
    "wl": ["网吧", "歌舞娱乐场所", "旅行社", "A级景区", "演出市场", "出版物市场"],
}
POSTS = {
    "scjg": ["食品经营安全监督管理科科员", "价格监督检查和反不正当竞争科副科长", "网络交易监督管理科科员",
             "特种设备安全监察科科员", "广告监督管理科科长", "综合行政执法队队员"],
    "sthj": ["生态环境保护综合行政执法队队员", "环境影响评价与排放管理科科员", "执法队副队长",
             "执法队队员", "排污许可科科员", "执法队队员"],
    "wsjk": ["卫生健康综合监督执法队队员", "公共卫生监督科科员", "执法队副队长", "职业健康科科员",
             "执法队队员", "执法队队员"],
    "yjgl": ["应急管理综合行政执法队队员", "危险化学品安全监督管理科科员", "执法队副队长",
             "安全生产基础科科员", "危险化学品科科长", "执法队队员"],
    "sw": ["商务综合行政执法队队员", "市场运行和消费促进科科员", "执法队副队长", "流通业发展科科员",
           "执法队队员", "执法队队员"],
    "wl": ["文化市场综合行政执法队队员", "执法队副队长", "旅游市场管理科科员", "执法队队员",
           "执法队队员", "资源开发科科员"],
}
SPECIALISTS = {1, 4}  # inspectors 1 and 4 of each department are specialists, the rest general

EXPERTS = [
    ("scjg", "山西省食品药品检验所", "lab", "主任药师", ["食品理化检验", "微生物检验"]),
    ("scjg", "忻州市特种设备监督检验所", "lab", "高级工程师", ["电梯检验", "锅炉压力容器检验"]),
    ("sthj", "忻州师范学院", "university", "副教授", ["环境监测", "水质分析"]),
    ("wsjk", "忻州市疾病预防控制中心", "lab", "副主任医师", ["公共场所卫生检测", "生活饮用水检测"]),
]

CONFLICT_CODE = make_credit_code("91140902MA0K3Q7R2")  # a 忻府区 enterprise (demo)


def principal_for(user) -> Principal:
    """The demo acts through the services as the named demo user would."""
    return Principal(user_id=user.id, username=user.username, display_name=user.display_name,
                     department_id=user.department_id, department_code=user.department.code,
                     is_office=user.department.is_office, roles=frozenset(user.roles), device_id=0,
                     session_id="demo")


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _certificate(dept_index: int, i: int, today: dt.date) -> dict:
    issued = dt.date(today.year - 1 - (dept_index + i) % 5, 1 + (3 * i + dept_index) % 12, 1 + (7 * i + dept_index) % 28)
    return {"cert_no": f"140900{issued.year}{1000 + 10 * dept_index + i:04d}", "cert_valid_from": issued,
            "cert_valid_until": dt.date(issued.year + 6, 12, 31)}


def load(ctx: dict) -> None:
    today = local_today()
    users, depts, names = ctx["users"], ctx["departments"], ctx["names"]
    office = principal_for(users["office"])
    inspectors = {}
    for dept_index, (code, _, _) in enumerate(CITY_DEPARTMENTS):
        admin = principal_for(users[f"{code}-admin"])
        for i in range(1, INSPECTORS_PER_DEPARTMENT + 1):
            user = users[f"{code}-insp{i}"]
            data = {"name": user.display_name, "phone": user.phone, "department_id": depts[code].id,
                    "user_id": user.id, "post": POSTS[code][i - 1],
                    "kind": "specialist" if i in SPECIALISTS else "general",
                    "qualification_tags": QUALIFICATIONS[code][i - 1],
                    "expertise_tags": [EXPERTISE[code][i - 1]], **_certificate(dept_index, i, today)}
            inspectors[user.username] = directory.create_inspector(admin, data)
    # Whom to renew: one certificate runs out in three weeks, one ran out last month.
    directory.update_inspector(office, inspectors["sthj-insp5"].id,
                               {"cert_valid_until": today + dt.timedelta(days=20)})
    directory.update_inspector(office, inspectors["wl-insp6"].id,
                               {"cert_valid_until": today.replace(day=1) - dt.timedelta(days=1)})
    for code, org, org_type, title, expertise in EXPERTS:
        inspectors[org] = directory.create_inspector(office, {
            "name": names(), "phone": names.phone(), "department_id": depts[code].id, "post": title,
            "kind": "specialist", "is_expert": True, "expert_org": org, "expert_org_type": org_type,
            "expertise_tags": expertise})

    month_start = today.replace(day=1)
    next_month = _month_end(today) + dt.timedelta(days=1)
    last_month_end = month_start - dt.timedelta(days=1)
    periods = [
        ("scjg-insp6", month_start, _month_end(today), "leave", "年休假"),
        ("yjgl-insp2", dt.date(today.year + 1, 3, 9), dt.date(today.year + 1, 3, 20), "training", "全省安全生产执法骨干培训班"),
        ("wsjk-insp3", last_month_end - dt.timedelta(days=4), last_month_end, "sick", None),
        ("sthj-insp4", next_month, _month_end(next_month + dt.timedelta(days=62)), "secondment", "借调至省生态环境督察组"),
    ]
    for username, start, end, reason, note in periods:
        declarations.add_unavailability(principal_for(users[username]), inspectors[username].id,
                                        {"start_date": start, "end_date": end, "reason": reason, "note": note})

    declarations.declare_conflict(principal_for(users["scjg-insp2"]), inspectors["scjg-insp2"].id, {
        "credit_code": CONFLICT_CODE, "reason": "配偶在该企业担任财务负责人", "valid_from": dt.date(today.year, 1, 1)})
    # Same field (单用途预付卡), consented by the lender: a draw of 文化和旅游局 may use it (Art. 17).
    loan = borrowing.create_agreement(principal_for(users["wl-admin"]), {
        "lender_department_id": depts["sw"].id, "reason": "同行业执法力量不足",
        "valid_from": dt.date(today.year, 1, 1), "valid_until": dt.date(today.year + 1, 12, 31)})
    borrowing.consent_agreement(principal_for(users["sw-admin"]), loan.id, "同意在有效期内借调")
    ctx["inspectors"] = inspectors
