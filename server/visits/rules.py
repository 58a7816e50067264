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
                    "requires": ["site_photos", "address_checked", "phone_attempt", "description"]},
    "refused": {"label": "不予配合检查情节严重", "result_code": "8",
                "requires": ["refused_what", "refused_how"]},
    "deregistered": {"label": "已注销", "result_code": "9", "requires": ["description", "documents"]},
    "liquidating": {"label": "已关闭停业或正在组织清算", "result_code": "7", "requires": ["description", "documents"]},
    "revoked": {"label": "营业执照被吊销", "result_code": "10", "requires": ["description", "documents"]},
    "cancelled": {"label": "登记被撤销", "result_code": "11", "requires": ["description", "documents"]},
    "moved_out": {"label": "已迁出", "result_code": "12", "requires": ["description", "documents"]},
    "no_activity": {"label": "未发现开展本次抽查涉及的经营活动", "result_code": "F",
                    "requires": ["description", "site_photos"]},
    "unlicensed": {"label": "发现无证无照经营", "result_code": "D", "requires": ["description", "site_photos"]},
}
# Art. 21 cases only a visit to the premises can establish (their evidence is photos of the site):
# a check by documents, online, by a professional body or adopting another authority's conclusion
# cannot record them (the documentary ones, deregistered and the like, fit every method).
ONSITE_CASES = frozenset(c for c, o in OUTCOMES.items() if "site_photos" in o["requires"])
# Result codes of the Art. 21 cases found on site: not a result of a check by documents (desk_check).
CASE_CODES = {o["result_code"] for o in OUTCOMES.values()} - {"D", "F"}
EVIDENCE_LABELS = {
    "site_photos": "现场照片", "description": "情况说明", "phone_attempt": "电话联系记录",
    "refused_what": "拒绝配合的事项", "refused_how": "拒绝的方式", "witness": "见证人",
    "documents": "证明材料（照片或截图）", "address_checked": "核查的地址", "neighbours_asked": "走访询问情况",
}
# The evidence fields an outcome keeps (each null when not stated), in the content a signature binds.
OUTCOME_EVIDENCE_KEYS = ("description", "phone_attempt", "refused_what", "refused_how", "witness", "address_checked",
                         "neighbours_asked")
# What each case's summary states (the facts the party or the witness signs), in this order.
FACT_FIELDS = ("address_checked", "phone_attempt", "neighbours_asked", "refused_what", "refused_how", "witness", "description")
# Cases in which somebody of the business was met: credentials must have been shown (Art. 20(2)).
MET_CASES = {"refused", "no_activity", "unlicensed"}

# Art. 19 / 20(1): the methods of a check, each with its own evidence (``method_details`` and
# media attached to target "method"). Only an on-site check walks through arrival, credentials
# and rights; a check away from the premises is signed by the inspectors who did it.
METHODS = {
    "onsite": {"label": "实地核查", "requires": []},
    "documentary": {"label": "书面检查", "requires": ["documents_received", "method_media"]},
    "online": {"label": "网络检查（网络监测）", "requires": ["urls", "method_media"]},
    "delegated_body": {"label": "委托专业机构检查", "requires": ["body", "method_media"]},
    "other_authority": {"label": "采信其他部门检查结论", "requires": ["authority", "document", "document_date", "method_media"]},
}
METHOD_EVIDENCE_LABELS = {
    "documents_received": "收到的书面材料", "urls": "检查的网址", "body": "专业机构名称", "authority": "作出结论的部门",
    "document": "结论文书名称及文号", "document_date": "结论文书日期",
}
METHOD_MEDIA_LABELS = {"documentary": "书面材料的照片或扫描件", "online": "带时间和指纹的网页截图",
                       "delegated_body": "专业机构出具的报告", "other_authority": "结论文书的照片或扫描件"}
# Result codes that say a problem was found: they need a failed checkpoint or a recorded finding.
PROBLEM_CODES = {"A", "B", "C", "D", "5", "E"}
SIGNER_ROLES = {"legal_rep": "法定代表人", "person_in_charge": "负责人", "witness": "见证人", "inspector": "执法检查人员",
                "desk_reviewer": "后台书面审查人员"}
# Roles a phone may capture; the desk reviewer's confirmation is made by the server (desk_check).
PHONE_SIGNER_ROLES = [r for r in SIGNER_ROLES if r != "desk_reviewer"]


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


def missing_method_evidence(method: str, details: dict | None, media_count: int) -> list[str]:
    """Labels of what a method's own evidence still lacks (empty for on-site checks)."""
    details = details or {}
    missing = []
    for need in METHODS.get(method, METHODS["onsite"])["requires"]:
        if need == "method_media":
            if media_count < 1:
                missing.append(METHOD_MEDIA_LABELS[method])
        elif need == "urls":
            if not [u for u in details.get("urls") or [] if str(u).strip()]:
                missing.append(METHOD_EVIDENCE_LABELS[need])
        elif not str(details.get(need) or "").strip():
            missing.append(METHOD_EVIDENCE_LABELS[need])
    return missing


def consistency_problems(codes: list[str], failed_checkpoints: int, findings: int) -> list[str]:
    """Chinese messages naming each conflict between the result codes, the checkpoint answers
    and the recorded findings (domain.md: "未发现问题" never goes with a failure or a finding)."""
    out = []
    if "1" in codes:
        if failed_checkpoints:
            out.append(f"检查结果为“未发现问题”，但有 {failed_checkpoints} 个检查要点为“不合格”")
        if findings:
            out.append(f"检查结果为“未发现问题”，但记录了 {findings} 个发现的问题")
    problem = [c for c in codes if c in PROBLEM_CODES]
    if problem and not failed_checkpoints and not findings:
        out.append(f"检查结果为“{RESULT_CODES[problem[0]]}”，但没有不合格的检查要点，也没有记录发现的问题")
    return out


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
