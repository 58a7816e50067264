"""Chinese labels of the codes a visit record carries (record form, PDF, publication).

Result categories follow the provincial code table in domain.md ("Result categories"); the
follow-up options and on-site measures follow rules Art. 20(2) and Art. 22.
"""
from __future__ import annotations

from ..catalog.models import METHOD_LABELS

RESULT_CODES: dict[str, str] = {
    "1": "未发现问题",
    "A": "发现问题待后续处理",
    "B": "未按规定公示应当公示的信息",
    "C": "公示信息隐瞒真实情况、弄虚作假",
    "6": "通过登记的住所（经营场所）无法联系",
    "D": "违反其他市场监管规定",
    "5": "违反其他部门相关规定",
    "E": "发现问题经责令已改正",
    "F": "未发现开展本次抽查涉及的经营活动",
    "7": "已关闭停业或正在组织清算",
    "8": "不配合检查情节严重",
    "9": "已注销",
    "10": "被吊销",
    "11": "被撤销",
    "12": "已迁出",
}

FOLLOWUPS: dict[str, str] = {
    "none": "无需后续处置",
    "routine": "转入日常监管",
    "order_rectify": "责令限期改正（日常监管跟进）",
    "case_transfer": "固定证据并移送办案机构",
    "dept_transfer": "移送有管辖权的部门处理",
    "judicial": "移送司法机关",
    "discipline": "移送纪检监察机关",
    "other": "其他",
}

MEASURES: dict[str, str] = {
    "onsite_record": "制作现场笔录",
    "preserve_evidence": "初步提取证据",
    "order_stop": "责令停止违法活动",
    "urge_rectify": "督促整改",
    "order_rectify": "责令限期改正",
}

ANSWERS: dict[str, str] = {"pass": "合格", "fail": "不合格", "na": "不涉及"}

SIGNER_ROLES: dict[str, str] = {
    "legal_rep": "法定代表人",
    "person_in_charge": "负责人",
    "witness": "见证人",
    "inspector": "执法检查人员",
}

TEAM_ROLES: dict[str, str] = {"leader": "组长", "member": "组员", "expert": "专家"}

CHECK_TYPES: dict[str, str] = {"directed": "定向抽查", "undirected": "不定向抽查"}

OBJECT_TYPES: dict[str, str] = {
    "enterprise": "企业",
    "farmer_coop": "农民专业合作社",
    "individual": "个体工商户",
    "other_org": "其他组织",
    "product": "产品",
    "project": "项目",
    "behaviour": "行为",
}

MEDIA_KINDS: dict[str, str] = {"photo": "照片", "video": "视频", "audio": "录音"}

METHODS: dict[str, str] = METHOD_LABELS


def label(table: dict[str, str], code: str | None) -> str:
    """The label of ``code``, or the code itself when the table does not know it."""
    if code is None:
        return ""
    return table.get(str(code), str(code))
