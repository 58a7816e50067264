"""Shared pieces of the back-office browser tests (the desk at /review, the public pages).

Chromium is Debian's; the machine may have no Chinese font, so the browser is pointed (through
fontconfig) at the Noto Sans SC the record PDF already ships with (pip package
pylopdf-fonts-zh-cn): screenshots show real characters, and text that would be cut off shows
as cut off.
"""
from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pylopdf_fonts_zh_cn
import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

if not Path(CHROMIUM).exists() and os.environ.get("REQUIRE_BROWSER"):
    raise RuntimeError(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing")

browser_marks = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (install Debian's chromium)"),
]


def fontconfig_env() -> dict:
    """Environment for Chromium: the system fonts plus the pip package's Noto Sans SC."""
    fonts = Path(pylopdf_fonts_zh_cn.__file__).parent
    conf = Path(tempfile.gettempdir()) / f"dsr-fonts-{os.getuid()}.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
                    f'  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n  <dir>{fonts}</dir>\n'
                    f'  <cachedir>{tempfile.gettempdir()}/dsr-fontcache-{os.getuid()}</cachedir>\n</fontconfig>\n')
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def launch_args() -> dict:
    return {"executable_path": CHROMIUM, "args": ARGS, "headless": True, "env": fontconfig_env()}


def serve(app):
    """(base_url, stop) of the app on a free 127.0.0.1 port in a background thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(5)

    return f"http://127.0.0.1:{server.server_port}", stop


# Visible text a screen must never show: a JavaScript value written out where a part was left
# out or missing (`append(null)` writes "null"; a missing field reads "undefined").
STRAY_TEXT_JS = """() => {
  const bad = /^(null|undefined|NaN)$|\\[object Object\\]|\\bundefined\\b/;
  const found = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const t = n.textContent.trim(), el = n.parentElement;
    if (!t || !el || !el.offsetParent || ["SCRIPT", "STYLE", "TEXTAREA", "PRE", "CODE"].includes(el.tagName)) continue;
    if (bad.test(t)) found.push(`${el.tagName}#${el.id || ""}: ${t.slice(0, 80)}`);
  }
  return found;
}"""


def stray_text(page) -> list[str]:
    """Visible text nodes reading "null", "undefined", "NaN" or "[object Object]"."""
    return page.evaluate(STRAY_TEXT_JS)


def shooter(folder: str):
    """take(page, name, full=False): a PNG of the page into test-artifacts/<folder>/; the screen must
    show no stray JavaScript value (`stray_text`)."""
    out = ROOT / "test-artifacts" / folder
    out.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full: bool = False):
        page.wait_for_timeout(150)
        page.screenshot(path=str(out / f"{name}.png"), full_page=full)
        assert stray_text(page) == [], f"{name}: {stray_text(page)}"

    return take


# Elements whose text is clipped: wider content than box with overflow hidden/ellipsis, or text
# running past the right edge of the viewport.
CLIPPED_JS = """() => [...document.querySelectorAll('body *')].filter((el) => {
  if (!el.offsetParent || !el.textContent.trim() || el.children.length) return false;
  const st = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  if (r.right > document.documentElement.clientWidth + 1) return true;
  return st.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1;
}).map((el) => `${el.tagName}.${el.className}: ${el.textContent.trim().slice(0, 40)}`)"""


def sign_in(page, base: str, username: str, password: str, path: str = "/review"):
    from playwright.sync_api import expect

    page.goto(f"{base}{path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-view")).to_be_hidden()


def logout(page):
    from playwright.sync_api import expect

    page.evaluate("sessionStorage.clear()")
    page.goto(page.url.split("#")[0])
    expect(page.locator("#login-view")).to_be_visible()


def seal_art21(client, office_headers, visit_id: str, case: str = "unreachable", scout: str = "scjg-insp1") -> dict:
    """Seal a demo visit as an Art. 21 case through sync, as its team would: "unreachable"
    (核查的地址, 情况说明, 电话联系记录, a site photo) or "refused" (拒绝配合的事项, 拒绝方式, 见证人), with the
    inspectors' signatures and no checklist answers. Returns the evidence entered."""
    import uuid

    from tests.support import field

    names = field.usernames(client, office_headers)
    phone = field.Phone(client, scout)
    phone.pull()
    visit = phone.visit(visit_id)
    lead = field.leader_phone(client, visit, names)
    lead.pull()
    lead.ok("visit.arrive", visit_id=visit_id, at=field.phone_time(minutes_ago=30),
            gps={"lat": 38.4167, "lon": 112.7333, "accuracy": 12.5}, method="onsite")
    lead.ok("visit.present", visit_id=visit_id, inspector_ids=sorted(m["inspector_id"] for m in visit["team"]))
    if case == "refused":  # somebody was met: the credentials shown are on the record
        lead.ok("visit.credentials_shown", visit_id=visit_id, at=field.phone_time(minutes_ago=29))
    photo = field.attach_photo(lead, visit_id, {"type": "outcome", "id": visit_id})
    if case == "unreachable":
        evidence = {"address_checked": "忻府区长征街 12 号（登记住所）",
                    "description": "登记住所大门紧锁，门口张贴转租告示，邻近商户称半年未见经营",
                    "phone_attempt": "09:10、09:40 两次拨打登记电话 0350-3021234，均无人接听"}
        codes = ["6"]
    else:
        evidence = {"refused_what": "拒绝出示进货台账和从业人员健康证明", "refused_how": "负责人口头拒绝并关闭后厨门",
                    "witness": "社区网格员 王丽（电话 13903501234）", "description": "经两次说明法律后果后仍拒绝"}
        codes = ["8"]
    lead.ok("outcome.set", visit_id=visit_id, codes=codes, followup="none", followup_note=None, case=case,
            evidence={**evidence, "media_ids": [photo]})
    lead.pull()
    current = field.content_sha256(lead.visit(visit_id))
    if case == "refused":  # the party refuses to sign too; a witness signs instead
        lead.ok("signature.capture", visit_id=visit_id, signature_id=str(uuid.uuid4()), role="person_in_charge",
                signer_name="负责人", content_sha256=current, refused=True, refusal_reason="拒绝配合检查，拒绝签字")
    signers = [("inspector", m["name"], {"inspector_id": m["inspector_id"]}) for m in visit["team"][:2]]
    if case == "refused":
        signers.append(("witness", "王丽", {}))
    for role, name, extra in signers:
        sid = str(uuid.uuid4())
        img = field.attach_photo(lead, visit_id, {"type": "signature", "id": sid}, kind="signature")
        img_sha = next(x["sha256"] for x in lead.pull() and lead.visit(visit_id)["record"]["media"] if x["media_id"] == img)
        lead.ok("signature.capture", visit_id=visit_id, signature_id=sid, role=role, signer_name=name,
                content_sha256=current, strokes=field.STROKES, image_media_id=img, image_sha256=img_sha, **extra)
    lead.ok("visit.seal", visit_id=visit_id, content_sha256=current)
    return evidence
