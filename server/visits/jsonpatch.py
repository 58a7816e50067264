"""A small RFC 6902 JSON Patch (add, remove, replace, test) for amendments."""
from __future__ import annotations

import copy


class PatchError(ValueError):
    pass


def path_tokens(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"路径“{path}”须以 / 开头")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _parent(doc, tokens):
    node = doc
    for t in tokens[:-1]:
        if isinstance(node, list):
            try:
                node = node[int(t)]
            except (ValueError, IndexError):
                raise PatchError(f"路径中的“{t}”不存在")
        elif isinstance(node, dict):
            if t not in node:
                raise PatchError(f"路径中的“{t}”不存在")
            node = node[t]
        else:
            raise PatchError(f"路径中的“{t}”不存在")
    return node


def apply_patch(doc, ops: list[dict]):
    """Return a patched deep copy; raise PatchError (Chinese message) on any failure."""
    doc = copy.deepcopy(doc)
    for op in ops:
        kind, tokens = op.get("op"), path_tokens(op.get("path", ""))
        if not tokens:
            raise PatchError("不能替换整条记录")
        parent, last = _parent(doc, tokens), tokens[-1]
        if kind in ("add", "replace"):
            if "value" not in op:
                raise PatchError("缺少 value")
            if isinstance(parent, list):
                idx = len(parent) if last == "-" else int(last) if last.isdigit() else None
                if idx is None or idx > len(parent) or (kind == "replace" and idx >= len(parent)):
                    raise PatchError(f"下标“{last}”无效")
                if kind == "add":
                    parent.insert(idx, op["value"])
                else:
                    parent[idx] = op["value"]
            elif isinstance(parent, dict):
                if kind == "replace" and last not in parent:
                    raise PatchError(f"“{last}”不存在，不能替换")
                parent[last] = op["value"]
            else:
                raise PatchError("路径无效")
        elif kind == "remove":
            try:
                del parent[int(last) if isinstance(parent, list) else last]
            except (KeyError, IndexError, ValueError):
                raise PatchError(f"“{last}”不存在，不能删除")
        elif kind == "test":
            cur = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if cur != op.get("value"):
                raise PatchError(f"“{op.get('path')}”的当前值与预期不符")
        else:
            raise PatchError(f"不支持的操作“{kind}”")
    return doc
