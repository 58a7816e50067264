"""The inspection flows the browser tests drive, screen by screen, as an inspector would."""
from __future__ import annotations

import hashlib
import uuid

from tests.conftest import DEMO_PASSWORD
from tests.pwa.helpers import LEGAL_REP_ID, draw
from tests.support.field import Phone, image_bytes, upload, usernames
from tests.support.http import Session


def teammates_answer(app, visit_id: str, fu: dict) -> dict:
    """The other departments' members answer their own items on their phones (with photos)."""
    client = app.test_client()
    office = Session.login(client, "office", DEMO_PASSWORD, "office-device-01").headers
    names = usernames(client, office)
    own_department = fu["department_code"]
    scout = Phone(client, fu["username"])
    scout.pull()
    visit, task = scout.visit(visit_id), scout.task(scout.visit(visit_id)["task_id"])
    phones = {}
    for m in visit["team"]:
        if m["department_code"] != own_department and m["user_id"]:
            phones.setdefault(m["department_id"], Phone(client, names[m["user_id"]]))
    for item in task["items"]:
        phone = phones.get(item["department_id"])
        if phone is None:
            continue
        for cp in item["checkpoints"]:
            value = {"pass_fail_na": "pass", "number": "3", "text": "正常", "choice": (cp["choices"] or ["x"])[0]}[cp["answer_type"]]
            phone.ok("answer.set", visit_id=visit_id, item_id=item["item_id"], checkpoint_key=cp["key"], value=value,
                     note=None, base_version=None)
            if cp["photo_required"]:
                mid = str(uuid.uuid4())
                data = image_bytes(mid)
                phone.ok("media.attach", visit_id=visit_id, media_id=mid, sha256=hashlib.sha256(data).hexdigest(),
                         kind="photo", target={"type": "answer", "id": f"{item['item_id']}:{cp['key']}"}, claim={})
                upload(client, phone.headers, mid, data, "image/png")
    return {"visit": visit, "task": task, "office": office, "client": client}


def open_visit(page, name: str) -> None:
    page.locator(".visit-card", has_text=name).first.click()
    page.wait_for_selector("text=检查对象")


def on_site(page, shot=None, present: int = 2) -> None:
    page.get_by_role("link", name="开始现场检查").click()
    page.get_by_role("button", name="已到达现场").click()
    page.wait_for_selector("text=定位 38.41670")
    boxes = page.locator("input[name=present]")
    for i in range(present):
        boxes.nth(i).check()
    page.get_by_role("button", name="确认在场人员").click()
    page.wait_for_selector(f"text=已记录 {present} 人")
    page.get_by_role("button", name="已出示执法证件").click()
    page.wait_for_selector("text=已出示")
    page.get_by_role("button", name="已告知权利义务").click()
    page.wait_for_selector("text=已告知 ")
    if shot:
        shot(page, "05-on-site")


def answer_own_items(page, task: dict, department_id: int, photos: list, shot=None) -> list[str]:
    """Answers every checkpoint of the own department; photo-required ones get the next photo
    (none when ``photos`` is empty: a check away from the premises asks for none)."""
    page.get_by_role("link", name="下一步：逐项检查").click()
    page.wait_for_selector(".checkpoint")
    if shot:
        shot(page, "06-checklist")
    photos = list(photos)
    keys = []
    for item in task["items"]:
        if item["department_id"] != department_id:
            continue
        for cp in item["checkpoints"]:
            key = f"{item['item_id']}:{cp['key']}"
            keys.append(key)
            li = page.locator(f"li.checkpoint[data-key='{key}']")
            if cp["answer_type"] == "pass_fail_na":
                li.get_by_role("button", name="合格", exact=True).click()
                page.wait_for_selector(f"li.checkpoint[data-key='{key}'] button.pass[aria-pressed=true]")
            elif cp["answer_type"] == "choice":
                li.locator(".answers button").first.click()
                page.wait_for_selector(f"li.checkpoint[data-key='{key}'] .answers button[aria-pressed=true]")
            else:
                li.locator("input, textarea").first.fill("4.5" if cp["answer_type"] == "number" else "情况正常")
                li.get_by_role("button", name="保存").click()
                page.wait_for_selector(f"li.checkpoint.answered[data-key='{key}']")
            if cp["photo_required"] and photos:
                li = page.locator(f"li.checkpoint[data-key='{key}']")
                li.locator("input[type=file][accept='image/*']").set_input_files(str(photos.pop(0)))
                page.wait_for_selector(f"li.checkpoint[data-key='{key}'] figure.thumb")
    if shot:
        page.locator(f"li.checkpoint[data-key='{keys[0]}']").scroll_into_view_if_needed()
        shot(page, "07-checklist-answered", top=False)
    return keys


def add_finding(page, shot=None) -> None:
    page.locator("nav.steps a", has_text="问题").click()
    page.get_by_label("问题描述").fill("从业人员健康证明未随身携带，已当场督促补办")
    page.get_by_text("督促整改", exact=True).click()
    if shot:
        shot(page, "08-finding-form")
    page.get_by_role("button", name="保存问题").click()
    page.wait_for_selector(".finding")
    if shot:
        shot(page, "09-findings")


def set_outcome(page, label: str = "发现问题经责令已改正", shot=None) -> None:
    page.get_by_role("link", name="下一步：检查结果").click()
    page.get_by_text(label, exact=True).click()
    if shot:
        shot(page, "10-outcome")
    page.get_by_role("button", name="保存检查结果").click()
    page.wait_for_selector("text=检查记录摘要")
    end_check(page)


def end_check(page) -> None:
    """The check ended: the phone records the moment (part of what everybody signs), when the
    record is complete enough to be signed."""
    page.wait_for_selector("button[name=end_check], section.card:has-text('尚不能签名'), section.card:has-text('执法人员签名'), "
                           "section.card:has-text('已签名')")
    button = page.locator("button[name=end_check]")
    if button.count():
        button.click()
        page.wait_for_selector("dl.facts dt:has-text('检查结束时间')")


def inspectors_sign(page, count: int = 2) -> None:
    for i in range(count):
        card = page.locator("section.card", has_text="执法人员签名")
        card.locator("canvas[data-ready]").wait_for()  # the pad sizes itself on the next frame
        draw(page, card.locator("canvas"))
        card.get_by_role("button", name="确认执法人员签名").click()
        try:
            page.wait_for_function(f"[...document.querySelectorAll('li')].filter((l) => l.textContent.startsWith('执法检查人员：')).length >= {i + 1}",
                                   timeout=20000)
        except Exception:
            diag = page.evaluate("""async () => {
              const { all } = await import('/js/store.js');
              return { errors: [...document.querySelectorAll('.error, .error-list')].map((e) => e.textContent),
                       attention: (await all('attention')).map((a) => [a.name, a.mid, a.args.content_sha256, a.problem && a.problem.server_content_sha256, a.args.inspector_id]),
                       outbox: (await all('outbox')).map((m) => m.name), hash: document.querySelector('.hash')?.textContent };
            }""")
            raise AssertionError(f"inspector signature {i + 1} not shown: {diag}")


def party_signs(page, shot=None, name: str = "张建华", id_number: str = LEGAL_REP_ID, check_id: bool = False) -> None:
    card = page.locator("section.card", has_text="被检查方签字或盖章")
    card.locator("canvas[data-ready]").first.wait_for()
    card.get_by_label("签名人姓名").fill(name)
    if check_id:  # GB 11643: a wrong check digit is caught before anything is signed
        card.get_by_label("证件号码").fill("360426199101010072")
        card.get_by_role("button", name="确认", exact=True).click()
        assert "校验位不正确" in card.locator(".error").inner_text()
    card.get_by_label("证件号码").fill(id_number)
    draw(page, card.locator("canvas").first)
    if shot:
        shot(page, "11-sign", top=False)
    card.get_by_role("button", name="确认", exact=True).click()
    page.wait_for_selector(f"li:has-text('：{name}')")


def seal(page, shot=None) -> None:
    page.get_by_role("button", name="确认无误，封存记录").click()
    page.wait_for_selector("text=记录已签名封存")
    if shot:
        shot(page, "12-sealed")
