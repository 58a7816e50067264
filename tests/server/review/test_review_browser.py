"""The reviewer's desktop screen (/review) in Debian's Chromium at 1366×900: login, queue,
record detail (answers by department, photos with EXIF beside the app's claims and a map
link, signatures with the "binding verified" mark, amendments, audit trail), return with a
per-item comment, approve, and the statistics dashboard. Screenshots go to
test-artifacts/review/.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import os
import threading
import uuid
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.support import field
from tests.support.desk import launch_args, stray_text

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "review"

if not Path(CHROMIUM).exists() and os.environ.get("REQUIRE_BROWSER"):
    raise RuntimeError(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (install Debian's chromium)"),
]


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return launch_args()


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai", "accept_downloads": True, "service_workers": "block",
            "bypass_csp": True}  # Playwright's predicate polling needs eval; tests/pwa/test_csp_browser.py runs under the CSP


@pytest.fixture
def backend():
    """The screen on SQLite; the API under it is tested on both databases."""
    return "sqlite"


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def live(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def _rational(x: float):
    from PIL.TiffImagePlugin import IFDRational

    d = int(x)
    m = int((x - d) * 60)
    s = round(((x - d) * 60 - m) * 60 * 100)
    return (IFDRational(d, 1), IFDRational(m, 1), IFDRational(s, 100))


def photo_jpeg(seed: str, taken: dt.datetime) -> bytes:
    """A 1200×900 'shop counter' JPEG with EXIF time (`taken`, UTC+8), GPS and camera, different per seed."""
    from PIL import Image, ImageDraw

    n = int(hashlib.sha256(seed.encode()).hexdigest()[:6], 16)
    im = Image.new("RGB", (1200, 900), (200 + n % 40, 190 + (n >> 8) % 40, 170 + (n >> 16) % 50))
    d = ImageDraw.Draw(im)
    d.rectangle([0, 560, 1200, 900], fill=(120, 96, 70))
    d.rectangle([140, 180, 560, 540], fill=(245, 245, 240), outline=(60, 60, 60), width=8)
    for i in range(6):
        d.line([(180, 230 + i * 45), (520, 230 + i * 45)], fill=(90, 90, 90), width=6)
    d.rectangle([700, 260, 1060, 700], fill=(70 + n % 60, 110, 150), outline=(30, 30, 30), width=6)
    d.ellipse([820, 120, 940, 240], fill=(250, 220, 120))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "HUAWEI", "P60 Pro"
    ex = exif.get_ifd(0x8769)
    ex[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    ex[0x9011] = "+08:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", _rational(38.41678)
    gps[3], gps[4] = "E", _rational(112.73351)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=80, exif=exif)
    return buf.getvalue()


def _attach(phone, visit_id, target, kind="photo", send_bytes=True, *, captured: dt.datetime):
    """tests.support.field.attach_photo with real-looking bytes (JPEG with EXIF; PNG signatures).

    The app claims the photo was taken at `captured`; the camera's EXIF says half a minute earlier.
    """
    from tests.server.review.pdf_fixture import signature_png

    mid = str(uuid.uuid4())
    data = signature_png(int(mid[:2], 16) % 5) if kind == "signature" else photo_jpeg(mid, captured - dt.timedelta(seconds=30))
    phone.ok("media.attach", visit_id=visit_id, media_id=mid, sha256=hashlib.sha256(data).hexdigest(), kind=kind,
             target=target, claim={"captured_at": captured.isoformat(),
                                   "gps": {"lat": 38.4169, "lon": 112.7336, "accuracy": 8}})
    if send_bytes:
        from tests.media.tus_support import Tus

        ctype = "image/png" if kind == "signature" else "image/jpeg"
        r = Tus(phone.client, phone.headers).create(data, media_id=mid, content_type=ctype, filename="p", body=data)
        assert r.status_code in (201, 204)
    return mid


@pytest.fixture
def shot():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str):
        page.wait_for_timeout(200)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        assert stray_text(page) == [], f"{name}: {stray_text(page)}"

    return take


def test_reviewer_screen(app, client, login, live, page, shot, monkeypatch):
    from playwright.sync_api import expect

    # Photos taken a quarter of an hour ago (after the arrival), to the minute so the screen's HH:MM is exact.
    captured = (dt.datetime.now(field.PHONE_TZ) - dt.timedelta(minutes=15)).replace(second=0, microsecond=0)
    monkeypatch.setattr(field, "attach_photo", functools.partial(_attach, captured=captured))
    office = login("office")
    scout = field.Phone(client, "scjg-insp1")
    scout.pull()
    first_id, second_id = [v["id"] for v in scout.visits()[:2]]
    first = field.complete_inspection(client, office, first_id)
    field.complete_inspection(client, office, second_id)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live}/review")
    page.fill("#username", "scjg-reviewer")
    page.fill("#password", "wrong-password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).not_to_be_empty()
    errors.clear()  # the 401 of the wrong password is expected in the console
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#queue-table tbody tr")).to_have_count(2)
    expect(page.locator("#who-name")).to_contain_text("忻州市市场监督管理局")
    shot(page, "01-queue")
    page.select_option("#f-deadline", "overdue")
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)
    expect(page.locator("#queue-table tbody")).to_contain_text("队列为空")
    page.select_option("#f-deadline", "")
    expect(page.locator("#queue-table tbody tr")).to_have_count(2)

    page.click(f'#queue-table tr[data-visit="{first_id}"]')
    expect(page.locator("#d-binding")).to_have_text("✔ 签名绑定已核验")
    expect(page.locator("#d-signatures .verified")).to_have_count(len(first["signatures"]))
    task = first["task"]
    for item in task["items"]:
        expect(page.locator("#d-main")).to_contain_text(item["name"])
    expect(page.locator("#d-main .item .dept").first).to_contain_text("忻州市")
    expect(page.locator("#d-trail")).to_contain_text("封存记录")
    expect(page.locator("#d-outcome")).to_contain_text("未发现问题")
    thumbs = page.locator("#d-main img.thumb")
    expect(thumbs).to_have_count(len([m for m in first["media"]]) - len(first["signatures"]))
    page.wait_for_function("[...document.querySelectorAll('#d-main img.thumb')].every(i => i.naturalWidth > 0)")
    page.wait_for_function("[...document.querySelectorAll('#d-signatures img')].every(i => i.naturalWidth > 0)")
    shot(page, "02-detail")
    page.screenshot(path=str(ARTIFACTS / "02-detail-full.png"), full_page=True)

    thumbs.first.click()
    expect(page.locator("#viewer")).to_be_visible()
    expect(page.locator("#exif-time")).to_have_text((captured - dt.timedelta(seconds=30)).strftime("%Y/%m/%d %H:%M"))
    expect(page.locator("#claim-time")).to_have_text(captured.strftime("%Y/%m/%d %H:%M"))
    expect(page.locator("#exif-gps")).to_have_text("38.41678, 112.73351")
    expect(page.locator("#map-link")).to_have_attribute("href", "https://www.openstreetmap.org/?mlat=38.416781&mlon=112.733511#map=17/38.416781/112.733511")
    page.wait_for_function("document.querySelector('#viewer-img').naturalWidth >= 1200")
    shot(page, "03-photo")
    page.click("#viewer-close")

    # Return with a comment on one checkpoint and a general one.
    page.locator("#d-main .comment-btn").first.click()
    page.fill("#confirm-reason", "请说明许可证核对的方法")
    shot(page, "04a-comment-dialog")
    page.click("#confirm-ok")
    expect(page.locator("#d-comments li")).to_have_count(1)
    page.fill("#d-general", "请补充店内全景照片")
    shot(page, "04-commenting")
    page.click("#act-return")
    expect(page.locator("#confirm-dialog")).to_contain_text("共 2 条意见")
    page.click("#confirm-ok")
    expect(page.locator("#act-ok")).to_contain_text("已退回检查组")
    expect(page.locator("#d-status")).to_have_text("已退回检查组")
    expect(page.locator("#d-history li")).to_have_count(2)
    shot(page, "05-returned")
    comments = client.get(f"/api/v1/reviews/{first_id}", headers=login("scjg-reviewer")).get_json()["comments"]
    first_item = task["items"][0]
    assert [c["target"] for c in comments] == [f"answer:{first_item['item_id']}:{first_item['checkpoints'][0]['key']}", "general"]
    assert comments[0]["text"] == "请说明许可证核对的方法"

    # The team answers with an amendment; the reviewer sees it and approves.
    # The amendment also corrects the result codes: the sheet shows the codes as they now stand,
    # with the signed ones beside them.
    first["lead"].ok("amendment.add", visit_id=first_id, amendment_id=str(uuid.uuid4()), reason="按审核意见补充说明",
                     patch=[{"op": "replace", "path": "/answers/0/note", "value": "逐项核对许可证原件"},
                            {"op": "replace", "path": "/outcome/codes", "value": ["B"]}])
    page.reload()
    expect(page.locator("#d-amendments")).to_contain_text("按审核意见补充说明")
    expect(page.locator("#d-outcome .pill")).to_have_text(["B 未按规定公示应当公示的信息"])
    expect(page.locator("#d-outcome-sealed")).to_contain_text("签字确认时为：1 未发现问题")
    amended_row = page.locator("tr.amended")
    expect(amended_row).to_have_count(1)
    expect(amended_row).to_contain_text("逐项核对许可证原件")
    expect(amended_row.locator(".was")).to_have_text("已补正，签字确认时为：（空）")
    page.locator("#d-outcome").scroll_into_view_if_needed()
    shot(page, "05b-amended-outcome")
    amended_row.scroll_into_view_if_needed()
    shot(page, "05c-amended-answer")
    expect(page.locator("#d-trail")).to_contain_text("补正")
    page.click("#act-approve")
    # scjg enters the result of its own items (谁检查、谁录入): none of them failed and no finding is
    # on them, so "未发现问题", and the dialog says so before anything is entered.
    expect(page.locator("#confirm-dialog")).to_contain_text("忻州市市场监督管理局负责事项")
    expect(page.locator("#confirm-dialog")).to_contain_text("1 未发现问题")
    shot(page, "06a-approve-confirm")
    page.click("#confirm-ok")
    expect(page.locator("#act-ok")).to_contain_text("已审核通过")
    expect(page.locator("#d-entries tr.mine")).to_contain_text("1 未发现问题")  # as confirmed
    expect(page.locator("#d-status")).to_have_text("已录入结果")
    expect(page.locator("#act-approve")).to_be_disabled()
    shot(page, "06-approved")

    page.click("#back")
    expect(page.locator(f'#queue-table tr[data-visit="{first_id}"]')).to_contain_text("已录入结果")
    page.click('#nav a[data-view="dashboard"]')
    expect(page.locator("#dash-table tbody tr")).to_have_count(1)
    expect(page.locator("#dash-table tbody")).to_contain_text("忻州市市场监督管理局")
    expect(page.locator("#charts svg")).to_have_count(4)
    expect(page.locator("#by-region tbody tr").first).to_contain_text("忻府区")  # counties by name, not by code
    expect(page.locator("#by-region tbody")).not_to_contain_text("1409")
    expect(page.locator("#by-task tbody tr")).to_have_count(1)
    expect(page.locator("#by-inspector tbody")).to_contain_text(first["visit"]["team"][0]["name"])
    shot(page, "07-dashboard")
    page.screenshot(path=str(ARTIFACTS / "07-dashboard-full.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("#xlsx")
    assert dl.value.suggested_filename.endswith(".xlsx")

    # The office sees every department at /office/dashboard (and, from November on, a warning
    # when next year's working-day calendar is missing).
    page.click("#logout")
    expect(page.locator("#login-view")).to_be_visible()
    page.goto(f"{live}/office/dashboard")
    page.fill("#username", "office")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#dashboard-view")).to_be_visible()
    expect(page.locator("#charts svg")).to_have_count(4)
    shot(page, "08-office-dashboard")
    assert errors == [], errors


SESSION_JS = "() => JSON.parse(sessionStorage.getItem('review.session'))"
SPOIL_JS = """(tokens) => {
  const s = JSON.parse(sessionStorage.getItem('review.session'));
  sessionStorage.setItem('review.session', JSON.stringify({ ...s, ...tokens }));
}"""


def test_desk_renews_a_rejected_token_and_logs_out_when_it_cannot(live, page):
    """The desk keeps its tokens with the phone's code (/shared/http.js): an access token the server
    rejects is renewed once with the refresh token and the call repeated, unseen by the reviewer; a
    refresh token that no longer works sends the reviewer back to the login form, tokens gone."""
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live}/review")
    page.fill("#username", "scjg-reviewer")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#queue-view")).to_be_visible()
    before = page.evaluate(SESSION_JS)
    assert before["device_uid"].startswith("desk-") and before["refresh_token"]

    page.evaluate(SPOIL_JS, {"access_token": "not-a-token"})
    page.click('#nav a[data-view="dashboard"]')
    expect(page.locator("#charts svg")).to_have_count(4)
    after = page.evaluate(SESSION_JS)
    assert after["access_token"] not in ("not-a-token", before["access_token"])
    assert after["refresh_token"] != before["refresh_token"], "the refresh token rotates"
    assert after["device_uid"] == before["device_uid"]
    assert errors == [], errors

    page.evaluate(SPOIL_JS, {"access_token": "not-a-token", "refresh_token": "not-a-refresh-token"})
    page.click('#nav a[data-view="queue"]')
    expect(page.locator("#login-view")).to_be_visible()
    assert page.evaluate(SESSION_JS) is None


def test_participating_department_enters_its_own_items_on_the_desk(client, login, live, page, shot):
    """yjgl's reviewer finds the joint record in yjgl's queue, sees every department's entry
    (its own marked), and enters yjgl's result; the other entries stay with their departments."""
    from playwright.sync_api import expect

    ctx = field.complete_inspection(client, login("office"), codes=("A",), followup="rectify", findings=[
        {"department": "yjgl", "description": "隐患排查治理台账未及时更新"}])
    vid = ctx["visit_id"]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live}/review")
    page.fill("#username", "yjgl-reviewer")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)
    expect(page.locator(f'#queue-table tr[data-visit="{vid}"] .dept[data-dept]')).to_contain_text("应急管理局录入")
    page.click(f'#queue-table tr[data-visit="{vid}"]')
    rows = page.locator("#d-entries tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#d-entries tr.mine")).to_have_attribute("data-dept", "yjgl")
    expect(page.locator("#d-summary")).to_contain_text("尚待")
    expect(page.locator("#act-summary")).to_have_count(0)
    page.click("#act-approve")
    # The confirmation names what yjgl enters for its own items (not the team's whole-record codes).
    expect(page.locator("#confirm-dialog")).to_contain_text("忻州市应急管理局负责事项")
    expect(page.locator("#confirm-dialog")).to_contain_text("A 发现问题待后续处理")
    page.click("#confirm-ok")
    expect(page.locator("#act-ok")).to_contain_text("已审核通过")
    expect(page.locator('#d-entries tr[data-dept="yjgl"]')).to_contain_text("A 发现问题待后续处理")
    expect(page.locator('#d-entries tr[data-dept="scjg"]')).to_contain_text("待审核")
    expect(page.locator("#act-approve")).to_be_disabled()
    page.locator("#d-entries").scroll_into_view_if_needed()
    shot(page, "10-joint-entries")
    # The other departments enter theirs; the initiating department's reviewer then publishes its
    # own row from the publication card and the joint summary from the entries card, each confirmed.
    for code in [r.get_attribute("data-dept") for r in rows.all()]:
        if code not in ("yjgl", "scjg"):
            assert client.post(f"/api/v1/reviews/{vid}/approve", headers=login(f"{code}-reviewer")).status_code == 200
    page.click("#logout")
    page.fill("#username", "scjg-reviewer")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.goto(f"{live}/review#record/{vid}")
    expect(page.locator("#d-entries tr.mine")).to_have_attribute("data-dept", "scjg")
    expect(page.locator("#act-summary")).to_have_count(0)  # scjg's own entry is still open
    page.click("#act-approve")
    page.click("#confirm-ok")
    expect(page.locator("#act-ok")).to_contain_text("已审核通过")
    page.click("#act-publish")
    expect(page.locator("#confirm-dialog")).to_contain_text("忻州市市场监督管理局的检查结果")
    page.click("#confirm-ok")
    expect(page.locator('#d-entries tr[data-dept="scjg"]')).to_contain_text("已公示")
    page.click("#act-summary")
    expect(page.locator("#confirm-dialog")).to_contain_text("联合检查汇总结果将在公示系统向社会公开")
    page.click("#confirm-ok")
    expect(page.locator("#act-ok")).to_contain_text("已公示联合检查汇总结果")
    expect(page.locator("#d-summary")).to_contain_text("联合检查汇总已公示：发现问题待后续处理")
    page.locator("#d-entries").scroll_into_view_if_needed()
    shot(page, "11-joint-summary-published")
    assert errors == [], errors
