"""Helpers for the object directory tests: sub-libraries, objects and uploads through the API."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from server.identifiers import make_credit_code
from tests.support.matrix import uniq

P = "/api/v1/registry"


def code(division: str = "140902", prefix: str = "91") -> str:
    """A fresh valid credit code for a Xinzhou division."""
    return make_credit_code(f"{prefix}{division}MA{uniq():07d}")


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class Registry:
    client: object
    login: object

    def lib(self, code_: str, name: str, user: str = "scjg-admin", **extra) -> dict:
        r = self.client.post(f"{P}/sub-libraries", headers=self.login(user), json={"code": code_, "name": name, **extra})
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def obj(self, user: str = "scjg-admin", expect: int | None = 201, **fields) -> dict:
        fields.setdefault("name", f"测试商贸有限公司{uniq()}")
        if "credit_code" not in fields and fields.get("object_type") not in ("product", "project", "behaviour"):
            fields["credit_code"] = code()
        r = self.client.post(f"{P}/objects", headers=self.login(user), json=fields)
        if expect is not None:
            assert r.status_code == expect, r.get_json()
        return r.get_json()

    def upload(self, data: bytes, filename: str, mode: str = "dry_run", user: str = "scjg-admin"):
        return self.client.post(f"{P}/imports", headers=self.login(user), content_type="multipart/form-data",
                                data={"file": (io.BytesIO(data), filename), "mode": mode})

    def job(self, job_id: str, user: str = "scjg-admin") -> dict:
        return self.client.get(f"{P}/imports/{job_id}", headers=self.login(user)).get_json()

    def errors(self, job_id: str, user: str = "scjg-admin") -> list[dict]:
        out, cursor = [], None
        while True:
            q = f"?limit=500&cursor={cursor}" if cursor else "?limit=500"
            page = self.client.get(f"{P}/imports/{job_id}/errors{q}", headers=self.login(user)).get_json()
            out += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return out


_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
       'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
       'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override '
       'PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
       'sharedStrings+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/'
         'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/'
       'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
       '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')


def excel_like_xlsx(rows: list[list], dest) -> None:
    """Write rows as Excel does: a <dimension> and text in a shared-string table (openpyxl writes
    inline strings instead). `dest` is a path or a binary file object. Used by the tests and by
    bench/registry_import.py.
    """
    import zipfile
    from xml.sax.saxutils import escape

    def column(i: int) -> str:
        name = ""
        i += 1
        while i:
            i, rest = divmod(i - 1, 26)
            name = chr(65 + rest) + name
        return name

    index: dict[str, int] = {}
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w") as sheet:
            width = max((len(r) for r in rows), default=1)
            sheet.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.'
                        f'openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:{column(width - 1)}{len(rows)}"/>'
                        f'<sheetData>'.encode())
            for r, row in enumerate(rows, start=1):
                cells = []
                for c, value in enumerate(row):
                    ref = f"{column(c)}{r}"
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                    elif value not in (None, ""):
                        n = index.setdefault(str(value), len(index))
                        cells.append(f'<c r="{ref}" t="s"><v>{n}</v></c>')
                sheet.write(f'<row r="{r}">{"".join(cells)}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
        with zf.open("xl/sharedStrings.xml", "w") as sst:
            sst.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats'
                      f'.org/spreadsheetml/2006/main" count="{len(index)}" uniqueCount="{len(index)}">'.encode())
            for text in index:
                sst.write(f"<si><t>{escape(text)}</t></si>".encode())
            sst.write(b"</sst>")
        for name, body in (("[Content_Types].xml", _CT), ("_rels/.rels", _RELS), ("xl/workbook.xml", _WB),
                           ("xl/_rels/workbook.xml.rels", _WB_RELS)):
            zf.writestr(name, body)
