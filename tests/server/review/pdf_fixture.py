"""A realistic record for the PDF tests (fictional demo data, like the demo loader's)."""
from __future__ import annotations

import hashlib
import io
import math

from PIL import Image, ImageDraw

CONTENT_SHA256 = hashlib.sha256(b"demo record 5b0e7c1a").hexdigest()
VERIFY_URL = "https://dsr.xinzhou.example/verify/records/5b0e7c1a-2d4f-4c8e-9a51-0f3f1b2c9d77"
ID_NUMBER = "140902198807150034"
CERT_NOS = ("14090020231234", "14090020225678", "14092120190031")


def signature_png(seed: int = 1, size=(600, 200)) -> bytes:
    """A handwriting-like stroke on a transparent background, as the phone's signature pad makes."""
    im = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(im)
    w, h = size
    points = []
    for i in range(240):
        t = i / 239
        x = 30 + t * (w - 60)
        y = h / 2 + math.sin(t * math.pi * (5 + seed)) * h * 0.28 * (1 - 0.4 * t) + math.cos(t * 17 + seed) * 8
        points.append((x, y))
    draw.line(points, fill=(20, 30, 90, 255), width=5, joint="curve")
    draw.line([(60, h * 0.8), (w * 0.55, h * 0.72)], fill=(20, 30, 90, 255), width=4)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _checkpoints(prefix: str, n: int, department: str, who: str) -> list[dict]:
    prompts = [
        "是否取得有效的食品经营许可证，许可证载明的经营场所、主体业态、经营项目与实际一致",
        "从业人员是否持有有效健康证明，并在上岗前接受食品安全培训",
        "是否建立并执行进货查验和记录制度，留存供货者的许可证和产品合格证明文件",
        "冷藏设施温度（℃）",
        "食品贮存场所是否存放有毒、有害物品及个人生活物品",
        "餐饮具清洗消毒设施是否正常运转，消毒后的餐具是否存放在专用保洁设施内",
        "是否在经营场所醒目位置公示食品经营许可证、量化分级信息和投诉举报电话",
    ]
    out = []
    for i in range(n):
        prompt = prompts[i % len(prompts)]
        cp = {"key": f"{prefix}{i + 1}", "prompt": prompt, "answer_type": "pass_fail_na", "value": "pass",
              "note": "", "answered_by": who, "department": department}
        if "温度" in prompt:
            cp.update(answer_type="number", value="4.5", unit="℃", note="冷藏柜实测")
        out.append(cp)
    return out


def record(refused: bool = False, checkpoints: int = 7) -> dict:
    scjg, yjgl = "忻州市市场监督管理局", "忻州市应急管理局"
    food = _checkpoints("cp", checkpoints, scjg, "王建国")
    food[2].update(value="fail", note="未能提供近三个月的进货票据，仅有部分供货者资质复印件")
    safety = [
        {"key": "aq1", "prompt": "是否配备灭火器等消防器材并在有效期内", "answer_type": "pass_fail_na",
         "value": "pass", "note": "", "answered_by": "赵志刚", "department": yjgl},
        {"key": "aq2", "prompt": "燃气管道、阀门是否存在老化、泄漏", "answer_type": "choice",
         "value": "无明显老化", "note": "已用检漏液检查", "answered_by": "赵志刚", "department": yjgl},
        {"key": "aq3", "prompt": "是否安装可燃气体报警装置", "answer_type": "pass_fail_na", "value": "na",
         "note": "使用电磁灶，无燃气", "answered_by": "赵志刚", "department": yjgl},
    ]
    signatures = [
        {"role": "inspector", "signer_name": "王建国", "signed_at": "2026-12-03T10:58:00+08:00",
         "image_png": signature_png(1), "refused": False, "server_verified": True},
        {"role": "inspector", "signer_name": "赵志刚", "signed_at": "2026-12-03T10:59:00+08:00",
         "image_png": signature_png(2), "refused": False, "server_verified": True},
    ]
    if refused:
        signatures.append({"role": "legal_rep", "signer_name": "刘海燕", "signed_at": "2026-12-03T11:01:00+08:00",
                           "refused": True, "refusal_reason": "当事人对进货查验问题有异议，拒绝在记录上签字"})
        signatures.append({"role": "witness", "signer_name": "孙丽（同楼商户）", "signed_at": "2026-12-03T11:03:00+08:00",
                           "image_png": signature_png(3), "refused": False, "server_verified": True})
    else:
        signatures.append({"role": "legal_rep", "signer_name": "刘海燕", "signed_at": "2026-12-03T11:01:00+08:00",
                           "image_png": signature_png(4), "refused": False, "server_verified": True})
    return {
        "record_no": "2026-SCJG-01-T01-0007",
        "content_sha256": CONTENT_SHA256,
        "verify_url": VERIFY_URL,
        "sealed_at": "2026-12-03T03:05:00Z",
        "generated_at": "2026-12-05T09:30:00+08:00",
        "plan": {"code": "2026-SCJG-01", "name": "忻州市市场监督管理局2026年度部门联合抽查计划（演示）"},
        "task": {"code": "2026-SCJG-01-T01", "name": "餐饮服务单位食品安全与安全生产联合抽查", "check_type": "undirected"},
        "authority": f"{scjg}（发起部门）、{yjgl}（参与部门）",
        "business": {"name": "忻府区和顺餐饮店（演示）", "credit_code": "92140902MA0LBJ6C3Q",
                     "object_type": "individual", "address": "忻州市忻府区和平街与七一路交叉口东南角和顺大厦一层102号",
                     "registered_address": "忻州市忻府区和平街88号", "legal_rep_name": "刘海燕",
                     "legal_rep_id_number": ID_NUMBER},
        "team": [
            {"name": "王建国", "department": scjg, "cert_no": CERT_NOS[0], "role": "leader", "present": True},
            {"name": "李明", "department": scjg, "cert_no": CERT_NOS[1], "role": "member", "present": True},
            {"name": "赵志刚", "department": yjgl, "cert_no": CERT_NOS[2], "role": "member", "present": True},
        ],
        "arrival": {"at": "2026-12-03T09:12:00+08:00", "gps": {"lat": 38.416392, "lon": 112.734281, "accuracy": 12}},
        "method": "onsite",
        "credentials_shown_at": "2026-12-03T09:13:00+08:00",
        "rights_informed_at": "2026-12-03T09:14:00+08:00",
        "items": [
            {"code": "SCJG-SP-001", "name": "食品经营许可及经营过程检查", "department": scjg, "checkpoints": food},
            {"code": "YJGL-AQ-001", "name": "餐饮场所燃气及消防安全检查", "department": yjgl, "checkpoints": safety},
        ],
        "findings": [
            {"item": "SCJG-SP-001", "checkpoint": "进货查验和记录制度",
             "description": "未建立进货查验记录，无法提供近三个月食用油、肉类的进货票据及供货者许可证明。",
             "legal_basis": "《中华人民共和国食品安全法》第五十三条、第一百二十六条",
             "measures": ["onsite_record", "preliminary_evidence", "urge_rectify"], "rectify_deadline": "2026-12-20"},
        ],
        "outcome": {"codes": ["A", "E"], "followup": "rectify",
                    "followup_note": "已下达责令改正通知书，12月20日前复查", "evidence": {}},
        "signatures": signatures,
        "photos": [
            {"kind": "photo", "sha256": hashlib.sha256(b"photo-1").hexdigest(),
             "captured_at": "2026-12-03T09:20:31+08:00", "caption": "营业执照及食品经营许可证公示"},
            {"kind": "photo", "sha256": hashlib.sha256(b"photo-2").hexdigest(),
             "captured_at": "2026-12-03T09:41:07+08:00", "caption": "问题 1：库房内未见进货票据"},
        ],
        "amendments": [
            {"at": "2026-12-04T15:20:00+08:00", "by": "王建国", "reason": "整改期限笔误",
             "summary": "问题 1 的整改期限由 2026-12-02 更正为 2026-12-20"},
        ],
    }
