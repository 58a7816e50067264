"""Amendments in words a reviewer reads: "检查要点「…」的说明改为：…" instead of
"replace /answers/0/note = …".

A patch addresses the record by position (``/answers/0/note``); positions are resolved against
the record as it stood just before that amendment (the sealed content with the earlier
amendments applied), so each line names the checkpoint or problem it changed. Paths this module
does not know are shown as they are.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from ..visits.jsonpatch import PatchError, apply_patch, path_tokens
from .labels import ANSWERS, FOLLOWUPS, MEASURES, METHODS, RESULT_CODES

MAX_SHOWN = 80

_FIELDS = {
    "answers": {"value": "结果", "note": "说明"},
    "findings": {"description": "描述", "legal_basis": "依据", "measures": "处置措施",
                 "rectify_deadline": "整改期限", "media_ids": "照片"},
    "outcome": {"codes": "检查结果", "followup": "后续处置", "followup_note": "后续处置说明",
                "evidence": "情况说明"},
}
_TOP = {"arrival": "到达情况", "credentials_shown_at": "出示执法证件时间", "rights_informed_at": "告知权利义务时间",
        "method": "检查方式", "present": "到场检查人员"}
_VERBS = {"replace": "改为", "add": "补充"}


def _labelled(value, table: Mapping[str, str]) -> str:
    if isinstance(value, list):
        return "；".join(_labelled(v, table) for v in value) or "（空）"
    return table.get(str(value), str(value)) if value is not None else "（空）"


def _codes(value) -> str:
    if not isinstance(value, list):
        return _shown(value)
    return "；".join(f"{c} {RESULT_CODES.get(str(c), '')}".strip() for c in value) or "（空）"


def _shown(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def _at(view: Mapping, section: str, index: str):
    rows = view.get(section) if isinstance(view, Mapping) else None
    try:
        row = rows[int(index)] if isinstance(rows, list) else None
    except (ValueError, IndexError):
        return None
    return row if isinstance(row, Mapping) else None


def _subject_and_value(tokens: list[str], value, view: Mapping, checkpoints: Mapping) -> tuple[str, str] | None:
    """What the path names in words, and the value as the reviewer reads it; None if unknown."""
    if len(tokens) == 3 and tokens[0] == "answers":
        row, name = _at(view, "answers", tokens[1]), _FIELDS["answers"].get(tokens[2])
        if row is None or name is None:
            return None
        prompt = checkpoints.get((row.get("item_id"), row.get("checkpoint_key"))) or row.get("checkpoint_key")
        return f"检查要点「{prompt}」的{name}", _labelled(value, ANSWERS) if tokens[2] == "value" else _shown(value)
    if len(tokens) == 3 and tokens[0] == "findings":
        row, name = _at(view, "findings", tokens[1]), _FIELDS["findings"].get(tokens[2])
        if row is None or name is None:
            return None
        about = _shown(str(row.get("description") or ""))[:20]
        shown = _labelled(value, MEASURES) if tokens[2] == "measures" else _shown(value)
        return f"发现的问题「{about}」的{name}", shown
    if len(tokens) == 2 and tokens[0] == "outcome" and tokens[1] in _FIELDS["outcome"]:
        shown = {"codes": _codes, "followup": lambda v: _labelled(v, FOLLOWUPS)}.get(tokens[1], _shown)(value)
        return _FIELDS["outcome"][tokens[1]], shown
    if tokens and tokens[0] in _TOP:
        shown = _labelled(value, METHODS) if tokens[0] == "method" else _shown(value)
        return _TOP[tokens[0]], shown
    return None


def describe_op(op: Mapping, view: Mapping, checkpoints: Mapping) -> str:
    kind, path, value = op.get("op"), str(op.get("path", "")), op.get("value")
    try:
        known = _subject_and_value(path_tokens(path), value, view, checkpoints) if kind in ("replace", "add", "remove") else None
    except PatchError:
        known = None
    if known is None:
        return f"{kind} {path}" + (f" = {_shown(value)}" if "value" in op else "")
    subject, shown = known
    return f"删除{subject}" if kind == "remove" else f"{subject}{_VERBS[kind]}：{shown}"


def describe_amendments(sealed_content: str, patches: Iterable[list], checkpoints: Mapping) -> list[str]:
    """One line per amendment (its operations joined with "；"), each read against the record as
    it stood before it. ``checkpoints``: ``{(item_id, checkpoint_key): "item code + prompt"}``."""
    view = json.loads(sealed_content) if sealed_content else {}
    lines = []
    for patch in patches:
        ops = patch if isinstance(patch, list) else []
        lines.append("；".join(describe_op(op, view, checkpoints) for op in ops if isinstance(op, Mapping)))
        try:
            view = apply_patch(view, ops)
        except (PatchError, ValueError, TypeError):
            pass  # a stored amendment was valid when appended; keep describing against what we have
    return lines
