"""Chinese labels of the codes a visit record carries (record form, PDF, publication).

Result categories follow the provincial code table in domain.md ("Result categories"); the
follow-up options and on-site measures follow rules Art. 20(2) and Art. 22. Those tables live in
``visits/rules.py``, where the phone's choices are validated.
"""
from __future__ import annotations

from ..catalog.models import METHOD_LABELS
# The codes a record carries, with the labels the phone showed when they were chosen: one table
# each, so a printed record can never show a code the form does not know.
from ..visits.rules import FOLLOWUPS, MEASURES, RESULT_CODES, SIGNER_ROLES  # noqa: F401

ANSWERS: dict[str, str] = {"pass": "合格", "fail": "不合格", "na": "不涉及"}

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
