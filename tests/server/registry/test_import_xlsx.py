"""The acceptance import: 20 mixed rows in an XLSX file, dry run, report, commit, re-import."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.identifiers import make_credit_code
from server.registry.models import InspectionObject, ObjectCredit, ObjectSubLibrary
from tests.server.registry.helpers import P, code, excel_like_xlsx, xlsx_bytes

HEADER = ["企业名称", "统一社会信用代码", "对象类型", "法定代表人", "法定代表人身份证号", "联系电话", "注册地址", "经营地址",
          "行政区划代码", "行业", "登记状态", "是否网络经营", "网店网址", "所属分库", "信用风险分类", "列入经营异常名录",
          "列入严重违法失信名单", "投诉举报次数"]
BAD_ID = "360426199101010072"


def _row(name, credit="", **kw):
    values = dict(zip(HEADER, [name, credit] + [""] * (len(HEADER) - 2)))
    for key, value in kw.items():
        values[key] = value
    return [values[h] for h in HEADER]


def twenty_rows():
    """12 good rows and 8 bad ones; returns (rows, {spreadsheet row: expected error code})."""
    coop = code("140921", "93")
    good = [
        _row("忻州市恒泰餐饮管理有限公司", code(), 法定代表人="王建国", 法定代表人身份证号="11010519491231002X",
             联系电话="0350-3031111", 注册地址="忻州市忻府区和平街1号", 行业="餐饮业", 登记状态="存续", 所属分库="food_business",
             信用风险分类="B", 投诉举报次数=2),
        _row("忻府区李记面馆", code(prefix="92"), 对象类型="个体工商户", 法定代表人="李秀英", 所属分库="食品经营"),
        _row("定襄县杏园村小米种植专业合作社", coop, 对象类型="农民专业合作社"),
        _row("原平市鑫达机械制造有限公司", code("140981"), 行政区划代码="原平市", 行业="通用设备制造业"),
        _row("雁门牌瓶装白酒", 对象类型="产品", 行政区划代码="140923", 所属分库="food_business"),
        _row("忻州市兴旺商贸有限公司", code(), 登记状态="存续（在营、开业、在册）"),
        _row("忻州市润华电子商务有限公司", code(), 是否网络经营="是", 网店网址="https://shop1.example.com/"),
        _row("五台县宏达煤业有限公司", code("140922"), 信用风险分类="D", 列入经营异常名录="是", 列入严重违法失信名单="否",
             投诉举报次数=3),
        _row("五台县清凉景区提升改造项目", 对象类型="项目", 行政区划代码="140922"),
        _row("忻州市同心商贸有限公司", code()),
        _row("忻州市博远文化传媒有限公司", code().lower().replace("9", "９", 1)),  # lower case, a full-width digit
        _row("忻府区福源超市", code(prefix="92"), 所属分库="食品经营、价格", 法定代表人身份证号="360426199101010071"),
    ]
    bad = [
        (_row("早期代码有限公司", "91350100M0001TGQXM"), "credit_code_checksum"),
        (_row("错字有限公司", "91140902MAI000001X"), "credit_code_bad_character"),
        (_row("忻府区张记小吃店", code(prefix="92"), 法定代表人身份证号=BAD_ID), "legal_rep_id_checksum"),
        (_row("", code()), "name_required"),
        (_row("外地商贸有限公司", code(), 行政区划代码="110105"), "region_unknown"),
        (_row("歇业商贸有限公司", code(), 登记状态="歇业"), "registration_status_unknown"),
        (_row("无分库商贸有限公司", code(), 所属分库="不存在的分库"), "sub_library_unknown"),
        (_row("重复的合作社", coop, 对象类型="农民专业合作社"), "duplicate_in_file"),
    ]
    rows, expected = [], {}
    for i in range(20):  # interleave: good, bad, good, … then the rest
        source = bad if i % 2 and bad else good
        entry = source.pop(0)
        if source is bad:
            rows.append(entry[0])
            expected[len(rows) + 1] = entry[1]  # +1: the header is spreadsheet row 1
        else:
            rows.append(entry)
    return [HEADER] + rows, expected


def _excel_bytes(rows) -> bytes:
    buf = io.BytesIO()
    excel_like_xlsx(rows, buf)
    return buf.getvalue()


@pytest.mark.parametrize("writer", [xlsx_bytes, _excel_bytes], ids=["openpyxl-inline-strings", "excel-shared-strings"])
def test_xlsx_dry_run_report_commit_and_idempotent_reimport(reg, food, client, login, dbs, writer):
    rows, expected = twenty_rows()
    data = writer(rows)

    r = reg.upload(data, "名录.xlsx", "dry_run")
    assert r.status_code == 201, r.get_json()
    job = r.get_json()
    assert r.headers["Location"].endswith(f"/imports/{job['id']}")
    assert (job["status"], job["format"], job["mode"]) == ("done", "xlsx", "dry_run")
    assert (job["rows_processed"], job["created"], job["updated"], job["unchanged"], job["rejected"]) == (20, 12, 0, 0, 8)
    assert job["progress"] == 1.0 and job["ignored_columns"] == []
    errors = reg.errors(job["id"])
    assert {e["row_number"] for e in errors} == set(expected)
    by_row = {}
    for e in errors:
        by_row.setdefault(e["row_number"], []).append(e)
    for row_number, code_ in expected.items():
        assert code_ in [e["code"] for e in by_row[row_number]], (row_number, by_row[row_number])
    messages = {e["code"]: e for e in errors}
    assert "第18位校验码应为" in messages["credit_code_checksum"]["message"]
    assert messages["credit_code_checksum"]["column"] == "统一社会信用代码"
    assert "“I”" in messages["credit_code_bad_character"]["message"]
    assert messages["legal_rep_id_checksum"]["value"] == "3604**********0072"
    assert messages["name_required"]["column"] == "企业名称"  # the file's own header
    assert "不是忻州市" in messages["region_unknown"]["message"]
    assert "与第" in messages["duplicate_in_file"]["message"] and "行的统一社会信用代码重复" in messages["duplicate_in_file"]["message"]
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(InspectionObject)) == 0  # a dry run writes no object

    # The report: every bad row, original values, ID numbers masked.
    r = client.get(f"{P}/imports/{job['id']}/errors.xlsx", headers=login("scjg-admin"))
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data), read_only=True)
    sheet = list(wb["错误明细"].iter_rows(values_only=True))
    assert list(sheet[0][:4]) == ["原行号", "列", "值", "错误说明"] and sheet[0][4] == "原文件：企业名称"
    assert {line[0] for line in sheet[1:]} == set(expected)
    cells = [str(v) for line in sheet for v in line if v is not None]
    assert BAD_ID not in cells and "3604**********0072" in cells
    assert any("早期代码有限公司" == c for c in cells)
    summary = dict(list(wb["导入概况"].iter_rows(values_only=True)))
    assert summary["拒绝"] == 8 and summary["方式"] == "试导入（仅校验）"

    r = reg.upload(data, "名录.xlsx", "commit")
    job = r.get_json()
    assert (job["status"], job["created"], job["updated"], job["unchanged"], job["rejected"]) == ("done", 12, 0, 0, 8)
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(InspectionObject)) == 12
        assert s.scalar(select(func.count()).select_from(ObjectCredit)) == 12
        assert s.scalar(select(func.count()).select_from(ObjectSubLibrary)) == 5
        odd = s.execute(select(InspectionObject).where(InspectionObject.name == "忻州市博远文化传媒有限公司")).scalar_one()
        assert odd.credit_code.isupper() and "９" not in odd.credit_code
        product = s.execute(select(InspectionObject).where(InspectionObject.object_type == "product")).scalar_one()
        assert product.credit_code is None and product.region_code == "140923"
        coal = s.execute(select(InspectionObject).where(InspectionObject.name == "五台县宏达煤业有限公司")).scalar_one()
        assert s.get(ObjectCredit, coal.id).risk_class == "D" and s.get(ObjectCredit, coal.id).abnormal_list is True
        hashes = dict(s.execute(select(InspectionObject.id, InspectionObject.content_hash)).all())

    again = reg.upload(data, "名录（再次）.xlsx", "commit").get_json()
    assert (again["created"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, 12, 8)
    with dbs() as s:
        assert dict(s.execute(select(InspectionObject.id, InspectionObject.content_hash)).all()) == hashes
        assert set(s.execute(select(InspectionObject.version)).scalars()) == {1}

    # Audit: the jobs and one entry per committed chunk that changed something.
    entries = client.get("/api/v1/audit/entries?target_type=import_job&limit=100", headers=login("office")).get_json()
    actions = [e["action"] for e in entries["items"]]
    assert actions.count("registry.import.create") == 3 and actions.count("registry.import.finish") == 3
    chunks = [e for e in entries["items"] if e["action"] == "registry.import.chunk"]
    assert len(chunks) == 1 and len(chunks[0]["payload"]["data"]["created"]) == 12


def test_a_later_import_updates_changed_rows_only(reg, food, dbs):
    c1, c2 = code(), code()
    first = [["名称", "统一社会信用代码", "联系电话"], ["甲商贸有限公司", c1, "0350-1111111"], ["乙商贸有限公司", c2, "0350-2222222"]]
    assert reg.upload(xlsx_bytes(first), "a.xlsx", "commit").get_json()["created"] == 2
    second = [["名称", "统一社会信用代码", "联系电话", "备注"], ["甲商贸有限公司", c1, "0350-1111111", "无"],
              ["乙商贸有限公司", c2, "0350-2222299", ""], ["丙商贸有限公司", make_credit_code("91140902MA0000C0D"), "", ""]]
    job = reg.upload(xlsx_bytes(second), "b.xlsx", "commit").get_json()
    assert (job["created"], job["updated"], job["unchanged"], job["rejected"]) == (1, 1, 1, 0)
    assert job["ignored_columns"] == ["备注"]
    with dbs() as s:
        versions = dict(s.execute(select(InspectionObject.credit_code, InspectionObject.version)).all())
    assert versions[c1] == 1 and versions[c2] == 2
