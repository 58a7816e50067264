"""The sections of the record PDF, in the order of an official 随机抽查情况记录表.

Each function draws one section on a ``RecordPDF`` (server/review/pdf.py) from the record dict
described there.
"""
from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

import segno
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image, UnidentifiedImageError

from ..identifiers import mask_id_number
from . import labels as L
from .pdf_layout import (FONT, GREY, HASH, NUMERALS, RED, WIDTH, Cell, as_dict, clean, coded, dict_list, fmt_date,
                         fmt_time, grid, kv, none)

MAX_SIGNATURE_PIXELS = 16_000_000


def _number(value: Any) -> float | None:
    """A finite number from a number or numeric text; None otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# --- sections ----------------------------------------------------------------------------------

def title(pdf, record: dict) -> None:
    pdf.ln(2)
    pdf.bold_text(18, "随机抽查情况记录表", h=9)
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 6, "（现场检查笔录）", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, size=9.5)
    arrival = as_dict(record, "arrival")
    pdf.cell(WIDTH / 2, 5, f"检查日期：{fmt_date(arrival.get('at')) or '—'}")
    pdf.cell(WIDTH / 2, 5, f"记录编号：{clean(record['record_no'])}", align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def task(pdf, record: dict, n: str) -> None:
    pdf.section(f"{n}、抽查任务")
    plan, task_ = as_dict(record, "plan"), as_dict(record, "task")
    kv(pdf, [
        [("计划名称", plan.get("name")), ("计划编号", plan.get("code"))],
        [("任务名称", task_.get("name")), ("任务编号", task_.get("code"))],
        [("抽查类型", L.label(L.CHECK_TYPES, task_.get("check_type"))),
         ("检查方式", L.label(L.METHODS, record.get("method")))],
        [("检查机关", record.get("authority"))],
        *[[(label, value)] for label, value in _method_rows(record)],
    ])


METHOD_DETAIL_LABELS = {"documents_received": "收到的书面材料", "urls": "检查的网址", "body": "专业机构",
                        "report_no": "报告编号", "authority": "作出结论的部门", "document": "结论文书",
                        "document_date": "文书日期", "reviewed_by": "审查人员"}


def _method_rows(record: dict) -> list[tuple[str, str]]:
    """The method's own evidence (Art. 19) and the end of the check, where recorded."""
    details = record.get("method_details") if isinstance(record.get("method_details"), dict) else {}
    rows = []
    for key, label in METHOD_DETAIL_LABELS.items():
        value = details.get(key)
        text = "\n".join(clean(v) for v in _as_list(value)) if key == "urls" else clean(value)
        if text:
            rows.append((label, text))
    if clean(record.get("check_ended_at")):
        rows.append(("检查结束时间", fmt_time(record.get("check_ended_at")) or clean(record.get("check_ended_at"))))
    return rows


def business(pdf, record: dict, n: str) -> None:
    pdf.section(f"{n}、检查对象")
    b = as_dict(record, "business")
    id_number = clean(b.get("legal_rep_id_number"))
    kv(pdf, [
        [("名称", b.get("name"))],
        [("统一社会信用代码", b.get("credit_code")), ("主体类型", L.label(L.OBJECT_TYPES, b.get("object_type")))],
        [("法定代表人（负责人）", b.get("legal_rep_name")),
         ("身份证件号码", mask_id_number(id_number) if id_number else "")],
        [("经营场所", b.get("address"))],
        [("登记住所", b.get("registered_address") or b.get("address"))],
    ])


def team(pdf, record: dict, n: str) -> None:
    pdf.section(f"{n}、执法检查人员及检查过程")
    members = dict_list(record, "team")
    if members:
        with grid(pdf, (11, 25, 60, 46, 20, 18)) as g:
            g.row(["序号", "姓名", "所属部门", "执法证件号", "职责", "到场"])
            for i, m in enumerate(members, 1):
                g.row([str(i), clean(m.get("name")), clean(m.get("department")), clean(m.get("cert_no")),
                       L.label(L.TEAM_ROLES, m.get("role")), "是" if m.get("present", True) else "否"])
    else:
        none(pdf)
    pdf.ln(2)
    arrival = as_dict(record, "arrival")
    gps = arrival.get("gps") if isinstance(arrival.get("gps"), dict) else {}
    lat, lon, accuracy = (_number(gps.get(k)) for k in ("lat", "lon", "accuracy"))
    where = "未取得定位"
    if lat is not None and lon is not None:
        where = f"北纬 {lat:.5f}°，东经 {lon:.5f}°" + (f"（精度约 {accuracy:.0f} 米）" if accuracy is not None else "")
    kv(pdf, [
        [("到达时间", fmt_time(arrival.get("at"))), ("出示证件", fmt_time(record.get("credentials_shown_at")))],
        [("告知权利义务", fmt_time(record.get("rights_informed_at"))), ("封存时间", fmt_time(record.get("sealed_at")))],
        [("到达位置", where)],
    ])


def _answer(cp: dict) -> tuple[str, FontFace | None]:
    value, kind = cp.get("value"), cp.get("answer_type") or "pass_fail_na"
    if value is None or value == "":
        return "未填写", GREY
    if kind == "pass_fail_na" or value in L.ANSWERS:
        return L.label(L.ANSWERS, value), RED if value == "fail" else None
    if kind == "number":
        return f"{clean(value)} {clean(cp.get('unit'))}".strip(), None
    return clean(value), None


def items(pdf, record: dict, n: str) -> None:
    pdf.section(f"{n}、检查事项及检查情况")
    entries = dict_list(record, "items")
    if not entries:
        none(pdf)
    for i, item in enumerate(entries, 1):
        if pdf.get_y() > pdf.page_break_trigger - 25:
            pdf.add_page()
        head = f"（{NUMERALS[i - 1] if i <= 10 else i}）{clean(item.get('code'))} {clean(item.get('name'))}"
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(0, 5.5, head, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=8.5)
        pdf.set_text_color(80)
        pdf.cell(0, 4.5, f"检查部门：{clean(item.get('department')) or '—'}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        with grid(pdf, (11, 73, 22, 44, 30)) as g:
            g.row(["序号", "检查要点", "检查结果", "说明", "检查人（部门）"])
            for j, cp in enumerate(dict_list(item, "checkpoints"), 1):
                text, style = _answer(cp)
                who = clean(cp.get("answered_by"))
                if cp.get("department"):
                    who = f"{who}（{clean(cp['department'])}）" if who else clean(cp["department"])
                g.row([str(j), clean(cp.get("prompt")), Cell(text, style, align="C"), clean(cp.get("note")), who])
        pdf.ln(2)


def findings(pdf, record: dict, n: str) -> None:
    pdf.section(f"{n}、发现的问题及处理措施")
    entries = dict_list(record, "findings")
    if not entries:
        none(pdf)
        return
    with grid(pdf, (11, 68, 40, 36, 25)) as g:
        g.row(["序号", "问题描述（所涉事项及要点）", "法律依据", "处理措施", "整改期限"])
        for i, f in enumerate(entries, 1):
            where = " ".join(x for x in (clean(f.get("item")), clean(f.get("checkpoint"))) if x)
            text = clean(f.get("description")) + (f"\n（{where}）" if where else "")
            measures = "、".join(coded(m, L.MEASURES)[1] for m in _as_list(f.get("measures")))
            g.row([str(i), text, clean(f.get("legal_basis")), measures or "—",
                   fmt_date(f.get("rectify_deadline")) or "—"])


EVIDENCE_LABELS = {"description": "情况说明", "phone_attempt": "电话联系情况", "refused_what": "拒绝配合的事项",
                   "refused_how": "拒绝方式", "witness": "见证人", "address_checked": "核查的地址",
                   "neighbours_asked": "走访询问情况"}


def outcome(pdf, record: dict, n: str) -> None:
    pdf.section(f"{n}、检查结果及后续处置")
    out = as_dict(record, "outcome")
    codes = [coded(c, L.RESULT_CODES) for c in _as_list(out.get("codes"))]
    result = "\n".join(f"{code}　{label}" for code, label in codes) or "未填写"
    follow_code, follow_label = coded(out.get("followup"), L.FOLLOWUPS)
    follow = follow_label or "未填写"
    if clean(out.get("followup_note")):
        follow += f"：{clean(out['followup_note'])}"
    rows = [[("检查结果", result)], [("后续处置", follow)]]
    evidence = out.get("evidence") if isinstance(out.get("evidence"), dict) else {}
    for key, value in evidence.items():
        if clean(value) and key != "media_ids":
            rows.append([(EVIDENCE_LABELS.get(key, clean(key)), clean(value))])
    kv(pdf, rows)


def _signature_image(data: Any) -> Image.Image | None:
    """The signature PNG flattened on white and scaled down; None when unreadable."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_SIGNATURE_PIXELS:
                return None
            im.load()
            rgba = im.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    flat.thumbnail((900, 300))
    return flat


def _signature_lines(s: dict, notes: list[str]) -> list[tuple[str, bool]]:
    """(text, is_warning) lines of one signature block; a very long reason goes to the notes."""
    role = L.label(L.SIGNER_ROLES, s.get("role"))
    lines = [(f"{role}：{clean(s.get('signer_name'))[:200] or '—'}", False),
             (f"时间：{fmt_time(s.get('signed_at')) or '—'}", False)]
    if s.get("refused"):
        reason = clean(s.get("refusal_reason")) or "未注明"
        if len(reason) > 300:
            notes.append(reason)
            reason = f"见本节附注 {len(notes)}"
        lines.append((f"拒绝签名，原因：{reason}", True))
        if clean(s.get("no_witness_reason")):
            lines.append((f"未请见证人，原因：{clean(s.get('no_witness_reason'))[:300]}", False))
    else:
        if s.get("kind") == "stamp":
            lines.append(("以加盖公章确认", False))
        if s.get("id_type"):
            lines.append((f"证件：{clean(s['id_type'])}", False))  # its label (record.py), so the font subset has it
            lines.append((f"号码：{clean(s.get('id_number_masked'))}", False))
    if not s.get("refused") and s.get("server_verified"):
        lines.append(("签名与记录内容摘要的绑定已由服务器核验", False))
    return lines


def signatures(pdf, record: dict, n: str) -> None:
    pdf.section(f"{n}、签名确认")
    entries = dict_list(record, "signatures")
    if not entries:
        none(pdf)
        return
    img_w, text_w, notes = 66.0, WIDTH - 66.0 - 4, []
    pdf.set_font(FONT, size=9.5)
    for s in entries:
        lines = _signature_lines(s, notes)
        text_h = sum(pdf.multi_cell(text_w, 5.2, t, dry_run=True, output="HEIGHT") for t, _ in lines)
        box_h = max(26.0, text_h + 4)
        if pdf.get_y() + box_h > pdf.page_break_trigger:
            pdf.add_page()
        x, y = pdf.l_margin, pdf.get_y()
        pdf.set_draw_color(150)
        pdf.rect(x, y, WIDTH, box_h)
        pdf.line(x + WIDTH - img_w, y, x + WIDTH - img_w, y + box_h)
        pdf.set_xy(x + 2, y + 2)
        for text, warning in lines:
            pdf.set_text_color(176, 0, 0) if warning else pdf.set_text_color(0)
            pdf.set_x(x + 2)
            pdf.multi_cell(text_w, 5.2, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        image = None if s.get("refused") else _signature_image(s.get("image_png"))
        ix, iy = x + WIDTH - img_w + 2, y + 2
        if image is not None:
            scale = min((img_w - 4) / image.width, 22 / image.height)
            w, h = image.width * scale, image.height * scale
            pdf.image(image, x=ix + (img_w - 4 - w) / 2, y=iy + (box_h - 4 - h) / 2, w=w, h=h)
        else:
            pdf.set_xy(ix, y + box_h / 2 - 3)
            pdf.set_text_color(120)
            text = "（拒绝签名）" if s.get("refused") else "（无签名图像或图像无法读取）"
            pdf.cell(img_w - 4, 6, text, align="C")
            pdf.set_text_color(0)
        pdf.set_xy(x, y + box_h + 2)
    for i, text in enumerate(notes, 1):
        pdf.paragraph(f"附注 {i}：{text}", size=8.5)


def photos(pdf, record: dict, n: str) -> None:
    pdf.section(f"{n}、照片及视听资料清单")
    entries = dict_list(record, "photos")
    if not entries:
        none(pdf)
        return
    with grid(pdf, (11, 42, 31, 96)) as g:
        g.row(["序号", "类型及说明", "拍摄时间", "SHA-256"])
        for i, p in enumerate(entries, 1):
            kind = L.label(L.MEDIA_KINDS, p.get("kind") or "photo")
            caption = clean(p.get("caption"))
            g.row([str(i), f"{kind}：{caption}" if caption else kind, fmt_time(p.get("captured_at")) or "—",
                   Cell(clean(p.get("sha256")), HASH)])


def amendments(pdf, record: dict, n: str) -> None:
    pdf.section(f"{n}、更正记录")
    entries = dict_list(record, "amendments")
    if not entries:
        pdf.paragraph("无（记录封存后未作更正）", color=90)
        return
    with grid(pdf, (11, 31, 22, 48, 68)) as g:
        g.row(["序号", "时间", "更正人", "原因", "更正内容"])
        for i, a in enumerate(entries, 1):
            g.row([str(i), fmt_time(a.get("at")), clean(a.get("by")), clean(a.get("reason")), clean(a.get("summary"))])


def _qr(pdf, url: str, x: float, y: float, size: float) -> None:
    """The QR code as vector rectangles (one per run of dark modules), quiet zone included."""
    qr = segno.make(url, error="m", micro=False)
    matrix = qr.matrix
    modules = len(matrix) + 8
    m = size / modules
    pdf.set_fill_color(0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + (start + 4) * m, y + (r + 4) * m, (c - start) * m, m, style="F")
            else:
                c += 1


def verification(pdf, record: dict, n: str) -> None:
    if pdf.get_y() + 52 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.section(f"{n}、记录核验")
    qr_size = 36.0
    x, y = pdf.l_margin, pdf.get_y()
    _qr(pdf, clean(record["verify_url"]), x + WIDTH - qr_size, y, qr_size)
    text_w = WIDTH - qr_size - 4
    pdf.set_xy(x, y + 1)
    pdf.set_font(FONT, size=9.5)
    pdf.multi_cell(text_w, 5, "记录内容摘要（SHA-256）：", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(text_w, 5, clean(record["content_sha256"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9.5)
    pdf.multi_cell(text_w, 5, f"核验网址：{clean(record['verify_url'])}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(80)
    pdf.multi_cell(text_w, 4.5,
                   "签名与上述摘要绑定：记录封存后任何内容改动都会使摘要不符而被发现，更正只能以更正记录追加。"
                   "扫描右侧二维码或访问核验网址，可核对本记录表与系统中封存的电子记录是否一致。",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    generated = record.get("generated_at") or dt.datetime.now(dt.timezone.utc)
    pdf.multi_cell(text_w, 4.5, f"本记录表由系统根据封存的电子记录生成，生成时间：{fmt_time(generated)}。",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_y(max(pdf.get_y(), y + qr_size) + 2)


SECTIONS = (task, business, team, items, findings, outcome, signatures, photos, amendments, verification)


def render(pdf, record: dict) -> None:
    """Draw the whole record: the title, then the numbered sections."""
    title(pdf, record)
    for i, section in enumerate(SECTIONS):
        section(pdf, record, NUMERALS[i])
