"""Steps the browser tests share: logging in, waiting for sync, drawing a signature."""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

from tests.conftest import DEMO_PASSWORD

PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"  # real photos, with their licence (README.md)
PHOTO_A = PHOTOS / "gps_DSCN0010.jpg"
PHOTO_B = PHOTOS / "gps_DSCN0021.jpg"
BIG_PHOTO = PHOTOS / "hdr_iphone_hdr_NO.jpg"
LEGAL_REP_ID = "11010519491231002X"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def login(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base + "/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector(".visit-card", timeout=20000)


def wait_controlled(page) -> None:
    """Until the service worker controls the page (it claims clients on first install)."""
    try:
        page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=30000)
    except Exception:
        state = page.evaluate("""async () => {
          const r = await navigator.serviceWorker.getRegistration();
          return r ? { installing: r.installing?.state, waiting: r.waiting?.state, active: r.active?.state } : null;
        }""")
        raise AssertionError(f"the service worker does not control the page: {state}")


def outbox_state(page) -> dict:
    return page.evaluate("""async () => {
      const { count, all } = await import('/js/store.js');
      const media = (await all('media')).filter((m) => !m.done);
      return { outbox: (await all('outbox')).filter((m) => !m.acked).length, attention: await count('attention'), media: media.length };
    }""")


def wait_synced(page, timeout: float = 30000) -> dict:
    """Until nothing is queued and every file is uploaded (the app's own triggers do the work)."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        state = outbox_state(page)
        if state["outbox"] == 0 and state["media"] == 0:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"not synced after {timeout} ms: {state}")
        page.wait_for_timeout(300)


def flush(page) -> None:
    page.evaluate("async () => { const s = await import('/js/sync.js'); await s.flush(); }")


def draw(page, canvas) -> None:
    """A signature-like scribble with the mouse (strokes and timing are recorded by signature_pad)."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    for stroke in ([(0.1, 0.6), (0.25, 0.3), (0.4, 0.7), (0.55, 0.35)], [(0.6, 0.5), (0.75, 0.4), (0.9, 0.6)]):
        page.mouse.move(x + w * stroke[0][0], y + h * stroke[0][1])
        page.mouse.down()
        for px, py in stroke[1:]:
            page.mouse.move(x + w * px, y + h * py, steps=6)
        page.mouse.up()


def server_upload(app, media_id: str) -> dict | None:
    """The server's tus upload of `media_id`: offset, length, and the SHA-256 of the stored original
    (None until it arrived); None when no upload was started."""
    from sqlalchemy import select

    from media import store
    from media.models import MediaObject, Upload
    from server.extensions import db

    with app.app_context():
        up = db.session.execute(select(Upload).where(Upload.media_id == media_id)).scalars().first()
        obj = db.session.get(MediaObject, media_id)
        out = None
        if up is not None:
            out = {"offset": up.length if up.completed_at else up.offset, "length": up.length, "stored_sha256": None}
            if obj is not None and obj.arrived:
                with store.originals().open(obj.sha256) as fh:
                    out["stored_sha256"] = hashlib.file_digest(fh, "sha256").hexdigest()
        db.session.remove()
        return out


def field_user(app) -> dict:
    """The team leader with the most visits in the demo draw (teams are drawn at random per database),
    with their department and their visits in schedule order."""
    from sqlalchemy import func, select

    from server.accounts.models import Department, User
    from server.visits.models import Visit, VisitMember
    from server.extensions import db
    from server.registry.models import InspectionObject

    with app.app_context():
        uid = db.session.execute(
            select(VisitMember.user_id).where(VisitMember.role == "leader", VisitMember.active.is_(True),
                                              VisitMember.user_id.is_not(None))
            .group_by(VisitMember.user_id).order_by(func.count().desc(), VisitMember.user_id)).scalars().first()
        user = db.session.get(User, uid)
        dept = db.session.get(Department, user.department_id)
        rows = db.session.execute(
            select(Visit.id, InspectionObject.name).join(VisitMember, VisitMember.visit_id == Visit.id)
            .join(InspectionObject, InspectionObject.id == Visit.object_id)
            .where(VisitMember.user_id == uid, VisitMember.role == "leader", VisitMember.active.is_(True))
            .order_by(Visit.scheduled_date, Visit.time_from, Visit.id)).all()
        out = {"username": user.username, "department_id": dept.id, "department_code": dept.code,
               "visits": [r.id for r in rows], "names": {r.id: r.name for r in rows}}
        db.session.remove()
        return out


def small_text(page) -> list[str]:
    """Visible text rendered under 16 px (the readability floor for gloves and sunlight)."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')].filter((el) => {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || !el.offsetParent) return false;
      return parseFloat(getComputedStyle(el).fontSize) < 16;
    }).map((el) => `${el.tagName}.${el.className}: ${el.textContent.trim().slice(0, 30)} (${getComputedStyle(el).fontSize})`)""")
