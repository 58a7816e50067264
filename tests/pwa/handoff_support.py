"""Phones of one joint team for the handoff browser tests: the leader's phone is a persistent
Chromium profile relaunched with a fake camera that "films" a member's rendered handoff codes (a Y4M
written with Pillow from the member phone's screenshots); the members' phones are contexts."""
from __future__ import annotations

import base64
import random
from pathlib import Path

from PIL import Image

from tests.pwa.conftest import ARGS, ARTIFACTS, CHROMIUM
from tests.pwa.helpers import login, wait_controlled, wait_synced

W, H = 640, 480


def write_y4m(path: Path, pngs: list[Path], frames_each: int = 8) -> Path:
    """A 4:2:0 Y4M at 10 fps showing each image for `frames_each` frames (scaled down to fit when too big,
    never up: a QR code's modules stay whole pixels)."""
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{W} H{H} F10:1 Ip A1:1 C420jpeg\n".encode())
        for png in pngs or [None]:
            canvas = Image.new("RGB", (W, H), "white")
            if png is not None:
                img = Image.open(png).convert("RGB")
                scale = min((H - 16) / img.height, (W - 16) / img.width)
                if scale < 1:
                    img = img.resize((int(img.width * scale), int(img.height * scale)), Image.NEAREST)
                canvas.paste(img, ((W - img.width) // 2, (H - img.height) // 2))
            y, cb, cr = canvas.convert("YCbCr").split()
            data = y.tobytes() + cb.resize((W // 2, H // 2)).tobytes() + cr.resize((W // 2, H // 2)).tobytes()
            for _ in range(frames_each):
                f.write(b"FRAME\n" + data)
    return path


class LeaderPhone:
    """The leader's phone: one profile (IndexedDB, service worker) across camera files."""

    def __init__(self, browser_type, launch_args: dict, context_args: dict, profile: Path, base: str):
        self.browser_type, self.launch_args, self.context_args = browser_type, launch_args, context_args
        self.profile, self.base = profile, base
        self.context = None
        self.page = None

    def launch(self, video: Path, offline: bool = True):
        self.close()
        args = [*ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}"]
        ctx_args = {**self.context_args, "permissions": [*self.context_args.get("permissions", []), "camera"]}
        self.context = self.browser_type.launch_persistent_context(
            str(self.profile), executable_path=CHROMIUM, args=args, headless=True, env=self.launch_args.get("env"), **ctx_args)
        self.context.set_offline(offline)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        return self.page

    def close(self):
        if self.context is not None:
            self.context.close()
            self.context = None


def member_codes(page, visit_id: str, name: str, shot=None) -> list[Path]:
    """Open the member's handover screen and screenshot each of its codes (PNG files)."""
    page.goto(page.url.split("#")[0] + f"#/visit/{visit_id}/handover")
    page.wait_for_selector("figure.qr-frame canvas.qr")
    if shot:
        shot(page, name)
    n = page.locator("figure.qr-frame").count()
    if n > 1:
        page.get_by_role("button", name="上一张").click()  # stops the codes advancing by themselves
    out = []
    for i in range(n):
        page.evaluate(f"document.querySelectorAll('figure.qr-frame').forEach((f, k) => {{ f.hidden = k !== {i}; }})")
        path = ARTIFACTS / f"{name}-code{i + 1}.png"
        # The pixels the phone rendered (an element screenshot could catch the sticky header over it).
        url = page.locator(f"figure.qr-frame[data-index='{i}'] canvas.qr").evaluate("(c) => c.toDataURL('image/png')")
        path.write_bytes(base64.b64decode(url.split(",", 1)[1]))
        out.append(path)
    return out


def scan(leader: LeaderPhone, visit_id: str, video: Path, expect: str, shot=None, name: str | None = None) -> str:
    """Relaunch the leader's phone (offline) with `video` as its camera and scan: the banner's text."""
    page = leader.launch(video)
    logs: list[str] = []
    page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
    page.goto(leader.base + f"/#/visit/{visit_id}/scan")
    try:
        page.wait_for_selector(f".scan-result [data-state='{expect}']", timeout=90000)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "scan-failed.png"))
        status = page.locator("main").inner_text() if page.locator("main").count() else page.content()[:500]
        raise AssertionError(f"scan did not reach {expect!r}: {status} {logs}")
    if shot and name:
        shot(page, name)
    return page.locator(".scan-result").inner_text()


def member_phone(browser, context_args: dict, base: str, username: str):
    ctx = browser.new_context(**context_args)
    page = ctx.new_page()
    login(page, base, username)
    wait_controlled(page)
    wait_synced(page)
    ctx.set_offline(True)
    page.reload()
    page.wait_for_selector(".visit-card")
    return ctx, page


def sync_in_random_order(phones: list, seed: int) -> list[str]:
    """Bring every phone online in a random order, each syncing fully before the next; then once more
    each (so every phone pulls what the others sent). Returns the order."""
    order = list(phones)
    random.Random(seed).shuffle(order)
    for label, ctx, page in order:
        ctx.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        wait_synced(page, 90000)
    for _, _, page in order:
        page.evaluate("async () => { const s = await import('/js/sync.js'); await s.flush(); }")
    return [label for label, _, _ in order]


def joint_visit(app, leader_username: str, want_departments: int) -> dict:
    """A visit the user leads whose team has members of other departments with accounts: the one whose
    department count is closest to `want_departments` (≥ 2)."""
    from sqlalchemy import select

    from server.accounts.models import User
    from server.extensions import db
    from server.visits.models import Visit, VisitMember

    with app.app_context():
        uid = db.session.execute(select(User.id).where(User.username == leader_username)).scalar_one()
        led = db.session.execute(select(VisitMember.visit_id).where(
            VisitMember.user_id == uid, VisitMember.role == "leader", VisitMember.active.is_(True))).scalars().all()
        best = None
        for vid in sorted(led):
            v = db.session.get(Visit, vid)
            members = [m for m in v.members if m.active]
            depts = {m.department_id for m in members}
            if len(depts) < 2 or any(m.user_id is None for m in members):
                continue
            score = abs(len(depts) - want_departments)
            if best is None or score < best[0]:
                own = next(m.department_id for m in members if m.user_id == uid)
                users = {m.department_id: db.session.get(User, m.user_id).username for m in members if m.department_id != own}
                best = (score, {"visit_id": vid, "members": users, "departments": len(depts)})
        db.session.remove()
        assert best, "the demo draw gives the leader a joint visit"
        return best[1]
