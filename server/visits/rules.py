"""Result codes, Art. 21 outcomes and what each needs before a record can be sealed."""
from __future__ import annotations
from decimal import Decimal, InvalidOperation

RESULT_CODES = {
    "1": "未发现问题", "A": "发现问题待后续处理", "B": "未按规定公示应当公示的信息",
    "C": "公示信息隐瞒真实情况、弄虚作假", "6": "通过登记的住所（经营场所）无法联系", "D": "违反其他市场监管规定",
    "5": "违反其他部门相关规定", "E": "发现问题经责令已改正", "F": "未发现开展本次抽查涉及的经营活动",
    "7": "已关闭停业或正在组织清算", "8": "不配合检查情节严重", "9": "已注销", "10": "被吊销", "11": "被撤销",
    "12": "已迁出",
}
FOLLOWUPS = {
    "none": "无需后续处置", "routine": "终止检查，转日常监管", "rectify": "责令整改（日常监管跟进）",
    "case": "发现案件线索，固定证据并移交办案机构", "transfer": "违反其他部门规定，通报/移送相关部门",
    "other": "其他",
}
MEASURES = {"onsite_record": "制作现场笔录", "preliminary_evidence": "初步提取证据",
            "order_stop": "责令停止违法活动", "urge_rectify": "督促整改"}

# Art. 21: cases that end a visit without a normal check, each with its evidence.
OUTCOMES = {
    "unreachable": {"label": "通过登记的住所（经营场所）无法联系", "result_code": "6",
                    "requires": ["site_photos", "description", "phone_attempt"]},
    "refused": {"label": "不予配合检查情节严重", "result_code": "8",
                "requires": ["refused_what", "refused_how", "witness"]},
    "deregistered": {"label": "已注销", "result_code": "9", "requires": ["description", "documents"]},
    "liquidating": {"label": "已关闭停业或正在组织清算", "result_code": "7", "requires": ["description", "documents"]},
    "revoked": {"label": "营业执照被吊销", "result_code": "10", "requires": ["description", "documents"]},
    "cancelled": {"label": "登记被撤销", "result_code": "11", "requires": ["description", "documents"]},
    "moved_out": {"label": "已迁出", "result_code": "12", "requires": ["description", "documents"]},
    "no_activity": {"label": "未发现开展本次抽查涉及的经营活动", "result_code": "F",
                    "requires": ["description", "site_photos"]},
    "unlicensed": {"label": "发现无证无照经营", "result_code": "D", "requires": ["description", "site_photos"]},
}
EVIDENCE_LABELS = {
    "site_photos": "现场照片", "description": "情况说明", "phone_attempt": "电话联系记录",
    "refused_what": "拒绝配合的事项", "refused_how": "拒绝的方式", "witness": "见证人",
    "documents": "证明材料（照片或截图）",
}
SIGNER_ROLES = {"legal_rep": "法定代表人", "person_in_charge": "负责人", "witness": "见证人", "inspector": "执法检查人员"}


def missing_evidence(case: str, evidence: dict, media_count: int) -> list[str]:
    """Labels of what an Art. 21 case still lacks."""
    missing = []
    for need in OUTCOMES[case]["requires"]:
        if need in ("site_photos", "documents"):
            if media_count < 1:
                missing.append(EVIDENCE_LABELS[need])
        elif not (evidence.get(need) or "").strip():
            missing.append(EVIDENCE_LABELS[need])
    return missing


def check_answer_value(answer_type: str, value, choices: list[str]) -> str | None:
    """A Chinese message when `value` does not fit the checkpoint's answer type."""
    if value is None:
        return None
    if answer_type == "pass_fail_na":
        return None if value in ("pass", "fail", "na") else "须为“合格”“不合格”或“不涉及”。"
    if answer_type == "number":
        try:
            d = Decimal(value)
            if not d.is_finite():
                raise InvalidOperation
        except Exception:
            return "须为数字。"
        return None
    if answer_type == "choice":
        return None if value in choices else f"须为以下选项之一：{'、'.join(choices)}。"
    return None
