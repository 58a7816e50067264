"""Amendments read in words: positions resolved against the record as it stood before each one."""
from __future__ import annotations

import json

from server.review.amendment_text import describe_amendments

SEALED = json.dumps({
    "answers": [{"item_id": 1, "checkpoint_key": "cp1", "value": "pass", "note": None},
                {"item_id": 1, "checkpoint_key": "cp2", "value": "pass", "note": None}],
    "findings": [{"id": "f1", "description": "从业人员未持健康证明", "measures": ["urge_rectify"]}],
    "outcome": {"codes": ["1"], "followup": "none", "followup_note": None},
    "method": "onsite",
}, ensure_ascii=False)
CHECKPOINTS = {(1, "cp1"): "WSJK-GC-001 是否取得公共场所卫生许可证", (1, "cp2"): "WSJK-GC-001 从业人员是否取得健康合格证明"}


def describe(*patches):
    return describe_amendments(SEALED, list(patches), CHECKPOINTS)


def test_answers_findings_and_outcome_in_words():
    (line,) = describe([
        {"op": "replace", "path": "/answers/1/value", "value": "fail"},
        {"op": "replace", "path": "/answers/0/note", "value": "逐项核对许可证原件"},
        {"op": "add", "path": "/findings/0/legal_basis", "value": "《公共场所卫生管理条例》第七条"},
        {"op": "replace", "path": "/findings/0/measures", "value": ["onsite_record", "urge_rectify"]},
        {"op": "replace", "path": "/outcome/codes", "value": ["B", "E"]},
        {"op": "replace", "path": "/outcome/followup", "value": "rectify"},
    ])
    assert line.split("；", 2)[:2] == ["检查要点「WSJK-GC-001 从业人员是否取得健康合格证明」的结果改为：不合格",
                                      "检查要点「WSJK-GC-001 是否取得公共场所卫生许可证」的说明改为：逐项核对许可证原件"]
    assert "发现的问题「从业人员未持健康证明」的依据补充：《公共场所卫生管理条例》第七条" in line
    assert "发现的问题「从业人员未持健康证明」的处置措施改为：制作现场笔录；督促整改" in line
    assert "检查结果改为：B 未按规定公示应当公示的信息；E 发现问题经责令已改正" in line
    assert line.endswith("后续处置改为：责令整改（日常监管跟进）")


def test_positions_follow_the_earlier_amendments():
    first, second = describe([{"op": "remove", "path": "/answers/0"}],
                             [{"op": "replace", "path": "/answers/0/note", "value": "补充"}])
    assert first == "remove /answers/0"  # a whole row removed: shown as it is
    # After the removal, /answers/0 is the second checkpoint.
    assert second == "检查要点「WSJK-GC-001 从业人员是否取得健康合格证明」的说明改为：补充"


def test_unknown_paths_and_bad_positions_are_shown_as_they_are():
    (line,) = describe([{"op": "replace", "path": "/answers/9/note", "value": "x"},
                        {"op": "replace", "path": "/answers/x/note", "value": "y"},
                        {"op": "test", "path": "/method", "value": "onsite"},
                        {"op": "replace", "path": "/something/else", "value": {"a": 1}},
                        {"op": "replace", "path": "/method", "value": "onsite"}])
    assert line.split("；")[:4] == ["replace /answers/9/note = x", "replace /answers/x/note = y", "test /method = onsite",
                                   'replace /something/else = {"a": 1}']
    assert line.split("；")[4].startswith("检查方式改为：")


def test_long_values_are_cut_and_a_failing_stored_patch_does_not_stop_the_rest():
    long = "很长的说明" * 40
    first, second = describe([{"op": "replace", "path": "/answers/0/note", "value": long},
                              {"op": "replace", "path": "/nowhere/0", "value": 1}],
                             [{"op": "remove", "path": "/findings/0/legal_basis"}])
    assert first.startswith("检查要点「WSJK-GC-001 是否取得公共场所卫生许可证」的说明改为：很长的说明")
    assert "…" in first and len(first) < 200
    # The first amendment could not be applied here, so the second is read against the sealed record.
    assert second == "删除发现的问题「从业人员未持健康证明」的依据"
