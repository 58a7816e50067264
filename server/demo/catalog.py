"""Demo check items with working guides, for several departments."""
from __future__ import annotations

from ..accounts.auth import Principal
from ..catalog import service

SP = "《中华人民共和国食品安全法》第三十五条、第五十三条；《食品经营许可和备案管理办法》"


def cp(key, prompt, answer_type="pass_fail_na", photo=False, unit=None, choices=None, basis=None, hint=None):
    return {"key": key, "prompt": prompt, "answer_type": answer_type, "photo_required": photo, "unit": unit,
            "choices": choices or [], "legal_basis": basis, "hint": hint}


ITEMS = {
    "scjg": [
        dict(code="SCJG-SP-001", name="食品经营许可及经营过程检查", level="key", max_ratio=None, joint=True,
             legal_basis=SP, object_types=["enterprise", "individual"], methods=["onsite", "documentary"],
             sub_items=["许可证照", "从业人员健康管理", "进货查验", "贮存条件"],
             required_qualifications=["食品安全执法"],
             documents_to_request=["食品经营许可证", "营业执照", "从业人员健康证明", "进货查验记录和票据"],
             checkpoints=[
                 cp("cp1", "是否取得有效的《食品经营许可证》并在经营场所显著位置悬挂或摆放", photo=True,
                    basis="《食品经营许可和备案管理办法》第二十九条"),
                 cp("cp2", "实际经营项目是否与许可的经营项目一致"),
                 cp("cp3", "从事接触直接入口食品工作的从业人员是否持有有效健康证明", photo=True,
                    basis="《食品安全法》第四十五条"),
                 cp("cp4", "冷藏设施温度", "number", unit="℃", hint="冷藏应在 0–8℃ 之间"),
                 cp("cp5", "是否建立并落实进货查验记录制度", basis="《食品安全法》第五十三条"),
                 cp("cp6", "是否存在超过保质期的食品", "choice", choices=["未发现", "少量（已当场下架）", "较多"]),
             ]),
        dict(code="SCJG-TZ-001", name="特种设备使用登记及定期检验情况检查", level="key", max_ratio=None,
             legal_basis="《中华人民共和国特种设备安全法》第三十三条、第四十条", object_types=["enterprise"],
             methods=["onsite", "documentary"], required_qualifications=["特种设备安全监察"],
             documents_to_request=["特种设备使用登记证", "定期检验报告", "作业人员资格证书", "维护保养记录"],
             checkpoints=[
                 cp("cp1", "在用特种设备是否全部办理使用登记", photo=True),
                 cp("cp2", "是否在检验有效期内使用", photo=True, basis="《特种设备安全法》第四十条"),
                 cp("cp3", "特种设备作业人员是否持证上岗"),
                 cp("cp4", "是否建立安全技术档案并按规定维护保养"),
             ]),
        dict(code="SCJG-JG-001", name="明码标价和价格公示情况检查", level="general", max_ratio="0.05",
             legal_basis="《中华人民共和国价格法》第十三条；《明码标价和禁止价格欺诈规定》",
             object_types=["enterprise", "individual"], methods=["onsite", "online"],
             required_qualifications=["价格监督检查"], documents_to_request=["价目表"],
             checkpoints=[
                 cp("cp1", "商品和服务是否按规定明码标价", photo=True),
                 cp("cp2", "价签内容是否包含品名、计价单位、价格等要素"),
                 cp("cp3", "是否存在价格欺诈行为"),
             ]),
        dict(code="SCJG-GG-001", name="广告发布行为检查", level="general", max_ratio="0.03",
             legal_basis="《中华人民共和国广告法》第九条、第四十六条", object_types=["enterprise", "individual"],
             methods=["onsite", "online"], required_qualifications=["广告监管"], documents_to_request=["广告审查批准文件"],
             checkpoints=[
                 cp("cp1", "广告中是否使用“国家级”“最高级”“最佳”等绝对化用语", photo=True),
                 cp("cp2", "医疗、药品、保健食品等广告是否经审查并标明批准文号"),
             ]),
    ],
    "yjgl": [
        dict(code="YJGL-AQ-001", name="安全生产主体责任落实情况检查", level="key", max_ratio=None, joint=True,
             legal_basis="《中华人民共和国安全生产法》第四条、第二十一条、第四十一条",
             object_types=["enterprise", "individual"], methods=["onsite", "documentary"],
             required_qualifications=["安全生产执法"],
             documents_to_request=["安全生产责任制文件", "安全培训记录", "应急预案及演练记录", "隐患排查治理台账"],
             checkpoints=[
                 cp("cp1", "是否建立全员安全生产责任制"),
                 cp("cp2", "从业人员是否经安全生产教育和培训", basis="《安全生产法》第二十八条"),
                 cp("cp3", "是否制定生产安全事故应急救援预案并定期演练"),
                 cp("cp4", "是否建立隐患排查治理台账并及时整改", photo=True),
                 cp("cp5", "灭火器等消防器材数量", "number", unit="具"),
             ]),
    ],
    "sthj": [
        dict(code="STHJ-PW-001", name="排污许可证执行情况检查", level="key", max_ratio=None, joint=True,
             legal_basis="《排污许可管理条例》第十九条至第二十二条", object_types=["enterprise"],
             methods=["onsite", "documentary", "lab_testing"], required_qualifications=["生态环境执法"],
             documents_to_request=["排污许可证", "自行监测记录", "环境管理台账", "执行报告"],
             checkpoints=[
                 cp("cp1", "是否依法持有排污许可证", photo=True),
                 cp("cp2", "排放口设置是否规范、标志牌是否齐全", photo=True),
                 cp("cp3", "是否按规定开展自行监测"),
                 cp("cp4", "颗粒物排放浓度（现场监测）", "number", unit="mg/m³"),
             ]),
    ],
    "wsjk": [
        dict(code="WSJK-GC-001", name="公共场所卫生管理情况检查", level="general", max_ratio="0.3",
             legal_basis="《公共场所卫生管理条例》第六条、第七条", object_types=["enterprise", "individual"],
             methods=["onsite"], required_qualifications=["卫生监督"],
             documents_to_request=["卫生许可证", "从业人员健康合格证明", "卫生管理制度"],
             checkpoints=[
                 cp("cp1", "是否取得公共场所卫生许可证", photo=True),
                 cp("cp2", "从业人员是否取得健康合格证明"),
                 cp("cp3", "公共用品用具是否清洗消毒"),
             ]),
    ],
    "sw": [
        dict(code="SW-YFK-001", name="单用途商业预付卡备案及资金存管情况检查", level="general", max_ratio="0.05",
             legal_basis="《单用途商业预付卡管理办法（试行）》第七条、第二十一条", object_types=["enterprise"],
             methods=["documentary", "onsite"], required_qualifications=["商务执法"],
             documents_to_request=["备案材料", "预收资金存管协议"],
             checkpoints=[cp("cp1", "发行单用途预付卡是否按规定备案"), cp("cp2", "预收资金是否按规定存管")]),
    ],
    "wl": [
        dict(code="WL-WH-001", name="娱乐场所经营行为检查", level="general", max_ratio="0.1",
             legal_basis="《娱乐场所管理条例》第十三条、第二十条", object_types=["enterprise", "individual"],
             methods=["onsite"], required_qualifications=["文化市场执法"], documents_to_request=["娱乐经营许可证"],
             checkpoints=[cp("cp1", "是否取得娱乐经营许可证", photo=True), cp("cp2", "是否按规定安装闭路电视监控")]),
    ],
}


def principal_for(user) -> Principal:
    """The demo acts through the services as the department's admin would."""
    return Principal(user_id=user.id, username=user.username, display_name=user.display_name,
                     department_id=user.department_id, department_code=user.department.code,
                     is_office=user.department.is_office, roles=frozenset(user.roles), device_id=0, session_id="demo")


def load(ctx: dict) -> None:
    items = {}
    for dept_code, defs in ITEMS.items():
        admin = principal_for(ctx["users"][f"{dept_code}-admin"])
        for d in defs:
            data = dict(d)
            joint = data.pop("joint", False)
            data.setdefault("sub_items", [])
            item = service.create_item(admin, data)
            item.is_joint = joint
            items[item.code] = item
    ctx["items"] = items
