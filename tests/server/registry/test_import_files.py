"""CSV encodings, bad and oversized uploads, the command line, and imports in the background."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.registry.importer.jobs import wait_for
from server.registry.models import InspectionObject
from tests.server.registry.helpers import P, code, csv_bytes, xlsx_bytes
from tests.support.http import assert_problem

NAMES = ["忻州市晋源食品有限公司", "繁峙县滹沱河畔农家乐餐饮店", "岢岚县芦芽山杂粮种植专业合作社"]


def _rows():
    return [["名称", "统一社会信用代码", "所属分库", "登记状态"],
            [NAMES[0], code(), "食品经营", "在业"],
            [NAMES[1], code("140924", "92"), "food_business", ""],
            [NAMES[2], code("140929", "93"), "", "存续"]]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_gb18030(reg, food, dbs, encoding):
    rows = [["忻州市食品经营检查对象名录（2026年）"], []] + _rows()  # a title above the header is skipped
    job = reg.upload(csv_bytes(rows, encoding), "名录.csv", "commit").get_json()
    assert (job["format"], job["status"], job["created"], job["rejected"]) == ("csv", "done", 3, 0), job
    with dbs() as s:
        stored = dict(s.execute(select(InspectionObject.name, InspectionObject.registration_status)).all())
    assert stored == {NAMES[0]: "operating", NAMES[1]: "active", NAMES[2]: "active"}


def test_csv_row_numbers_match_the_spreadsheet(reg, food):
    rows = _rows()
    last = rows[2][1][-1]
    rows[2][1] = rows[2][1][:-1] + ("0" if last != "0" else "1")  # a bad checksum on spreadsheet row 3
    job = reg.upload(csv_bytes(rows), "x.csv").get_json()
    errors = reg.errors(job["id"])
    assert [(e["row_number"], e["code"]) for e in errors] == [(3, "credit_code_checksum")]


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("data, filename, problem", [
    (b"", "empty.csv", "import_file_empty"),
    (b"PK\x03\x04" + b"\x00garbage" * 50, "broken.xlsx", "import_file_corrupt"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "photo.csv", "import_not_text"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "import_xls_unsupported"),
    ("名称,统一社会信用代码\n测试".encode("utf-8") + b"\xff\xfe\xfa\xfb", "mixed.csv", "import_encoding"),
    ("单位,地址\n某单位,某地\n".encode("utf-8"), "noheader.csv", "import_header_missing"),
    ("名称,企业名称\n甲,乙\n".encode("utf-8"), "twice.csv", "import_duplicate_column"),
    ("a,b\n1,2\n".encode("utf-8"), "table.xlsx", "import_file_corrupt"),
    (None, "docx.xlsx", "import_file_corrupt"),
    (None, "truncated.xlsx", "import_file_corrupt"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_unreadable_uploads_are_422_problems(app, reg, food, dbs, data, filename, problem):
    if filename == "docx.xlsx":
        data = _zip({"word/document.xml": b"<w:document/>", "[Content_Types].xml": b"<Types/>"})
    if filename == "truncated.xlsx":
        whole = xlsx_bytes(_rows())
        data = whole[: len(whole) // 2]
    r = reg.upload(data, filename, "commit")
    body = assert_problem(r, 422, problem)
    assert body["detail"] and not body["detail"].isascii()  # a Chinese explanation
    with dbs() as s:
        assert s.execute(select(InspectionObject.id)).first() is None
    assert not list(Path(app.instance_path, "imports").glob("upload-*"))  # no clear-text upload left behind


def test_upload_form_problems(reg, client, login):
    h = login("scjg-admin")
    assert_problem(client.post(f"{P}/imports", headers=h, data={"mode": "commit"}, content_type="multipart/form-data"),
                   422, "validation_failed")
    assert_problem(client.post(f"{P}/imports", headers=h, json={"file": "名称\n甲"}), 422, "validation_failed")
    r = reg.upload(csv_bytes(_rows()), "x.csv", "sometimes")
    assert_problem(r, 422, "validation_failed")


@pytest.mark.parametrize("app_config", [{"REGISTRY_IMPORT_MAX_BYTES": 20_000}])
def test_oversized_upload_is_413_naming_the_limit_and_only_imports_get_the_larger_limit(reg, client, login):
    big = csv_bytes(_rows()) + b"x" * 30_000
    body = assert_problem(reg.upload(big, "big.csv"), 413, "payload_too_large")
    assert body["limit_bytes"] == 20_000 and "20000" in body["detail"]
    assert reg.upload(csv_bytes(_rows()), "small.csv").status_code == 201
    # The ordinary 1 MB limit still holds elsewhere.
    huge = {"objects": [{"name": "甲" * 300, "industry": "乙" * 150}] * 1000}
    body = assert_problem(client.post(f"{P}/objects/bulk", headers=login("scjg-admin"), json=huge), 413)
    assert body["limit_bytes"] == 1024 * 1024


def test_department_admin_imports_only_into_own_sub_libraries(reg, food):
    rows = [["名称", "统一社会信用代码", "所属分库"], ["甲化工有限公司", code(), "排污许可"], ["乙化工有限公司", code(), "食品经营"]]
    job = reg.upload(csv_bytes(rows), "x.csv", "commit", user="sthj-admin").get_json()
    assert (job["created"], job["rejected"]) == (1, 1)
    [error] = reg.errors(job["id"], user="sthj-admin")
    assert error["code"] == "sub_library_not_allowed" and error["row_number"] == 3 and error["column"] == "所属分库"
    # scjg cannot see sthj's job at all.
    assert reg.client.get(f"{P}/imports/{job['id']}", headers=reg.login("scjg-admin")).status_code == 404


def test_shared_string_table_on_disk_keeps_rich_text_and_escapes():
    from server.registry.importer.xlsx import DiskStrings

    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xml = (f'<sst xmlns="{ns}"><si><t>忻州市晋源食品有限公司</t></si><si><r><t>原平</t></r><r><rPr><b/></rPr>'
           f'<t>市</t></r><rPh sb="0" eb="2"><t>yuanping</t></rPh></si><si><t>A &amp; B &lt;C&gt;</t></si><si><t/></si>'
           f'<si><t xml:space="preserve"> 空格 </t></si></sst>').encode()
    strings = DiskStrings(io.BytesIO(xml))
    try:
        assert len(strings) == 5
        assert [strings[i] for i in range(5)] == ["忻州市晋源食品有限公司", "原平市", "A & B <C>", "", " 空格 "]
    finally:
        strings.close()


def test_template_download(client, login):
    r = client.get(f"{P}/imports/template.xlsx", headers=login("scjg-admin"))
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data), read_only=True)
    header = next(wb["检查对象"].iter_rows(values_only=True))
    assert header[:3] == ("名称", "统一社会信用代码", "对象类型") and len(header) == 18
    assert len(list(wb["检查对象"].iter_rows())) == 1  # importing an untouched template creates nothing


def test_formula_like_values_stay_text_in_the_report(reg, food, client, login):
    rows = [["名称", "统一社会信用代码"], ["=HYPERLINK(\"http://evil.example\",\"点我\")", "bad"]]
    job = reg.upload(csv_bytes(rows), "x.csv").get_json()
    r = client.get(f"{P}/imports/{job['id']}/errors.xlsx", headers=login("scjg-admin"))
    with zipfile.ZipFile(io.BytesIO(r.data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


# --- command line ----------------------------------------------------------------------

def test_cli_import_progress_summary_report_and_exit_codes(app, food, runner, tmp_path, dbs):
    base = _rows()
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(base, "gb18030"))
    r = runner.invoke(args=["objects", "import", str(good), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "校验中" in r.output and "读取行数 rows read: 3" in r.output and "新增 created: 3" in r.output
    assert "nothing was written" in r.output
    with dbs() as s:
        assert s.execute(select(InspectionObject.id)).first() is None

    mixed = tmp_path / "mixed.xlsx"
    rows = base + [["坏代码有限公司", "91350100M0001TGQXM", "", ""], ["", code(), "", ""]]
    mixed.write_bytes(xlsx_bytes(rows))
    report = tmp_path / "report.xlsx"
    r = runner.invoke(args=["objects", "import", str(mixed), "--report", str(report)])
    assert r.exit_code == 1, r.output
    for line in ("导入中", "读取行数 rows read: 5", "新增 created: 3", "更新 updated: 0", "未变化 unchanged: 0",
                 "拒绝 rejected: 2"):
        assert line in r.output, r.output
    wb = load_workbook(report, read_only=True)
    assert sorted(line[0] for line in list(wb["错误明细"].iter_rows(values_only=True))[1:]) == [5, 6]

    r = runner.invoke(args=["objects", "import", str(good)])
    assert r.exit_code == 0 and "未变化 unchanged: 3" in r.output, r.output

    scoped = tmp_path / "scoped.csv"
    scoped.write_bytes(csv_bytes([["名称", "统一社会信用代码", "所属分库"], ["丙食品有限公司", code(), "食品经营"]]))
    r = runner.invoke(args=["objects", "import", str(scoped), "--department", "sthj"])
    assert r.exit_code == 1 and "拒绝 rejected: 1" in r.output, r.output

    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really")
    r = runner.invoke(args=["objects", "import", str(junk)])
    assert r.exit_code == 2 and "损坏" in r.output
    r = runner.invoke(args=["objects", "import", str(good), "--department", "nope"])
    assert r.exit_code == 2 and "部门“nope”不存在" in r.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


# --- background processing -------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"REGISTRY_IMPORT_BACKGROUND": True, "REGISTRY_IMPORT_CHUNK": 7}])
def test_background_import_reports_progress_until_done(app, reg, food, client, login, dbs, app_config):
    rows = [["名称", "统一社会信用代码", "法定代表人身份证号"]]
    rows += [[f"忻州市后台导入{i}号商贸有限公司", code(), "360426199101010071" if i % 5 else ""] for i in range(40)]
    r = reg.upload(xlsx_bytes(rows), "bg.xlsx", "commit")
    assert r.status_code == 201
    job = r.get_json()
    assert job["status"] in ("pending", "running", "done") and job["rows_total"] == 40
    wait_for(app, job["id"], timeout=120)
    done = reg.job(job["id"])
    assert (done["status"], done["rows_processed"], done["created"], done["progress"]) == ("done", 40, 40, 1.0)
    assert done["stalled"] is False
    entries = client.get(f"/api/v1/audit/entries?target_type=import_job&target_id={job['id']}&limit=50",
                         headers=login("office")).get_json()["items"]
    chunks = [e for e in entries if e["action"] == "registry.import.chunk"]
    assert len(chunks) == 6  # 40 rows in chunks of 7
    assert {e["actor_user_id"] for e in entries} == {done["created_by"]}  # the thread acts as the uploader
    listed = client.get(f"{P}/imports", headers=login("scjg-admin")).get_json()["items"]
    assert listed[0]["id"] == job["id"]
