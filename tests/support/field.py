"""A phone's side of the field protocol, for tests: push mutations, pull, compute the content hash.

The content hash here is computed from the pulled visit exactly as the PWA does
(docs/field-contract.md), independently of the server's code.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field

import rfc8785

from tests.conftest import DEMO_PASSWORD
from tests.support.http import Session


PHONE_TZ = dt.timezone(dt.timedelta(hours=8))


def phone_time(minutes_ago: float = 0) -> str:
    """The phone's local time `minutes_ago` minutes before now, written as the PWA's isoNow() does."""
    t = dt.datetime.now(PHONE_TZ) - dt.timedelta(minutes=minutes_ago)
    return t.replace(microsecond=0).isoformat()


@dataclass
class Phone:
    client: object
    username: str
    session: Session = None
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    next_id: int = 1
    cursor: str | None = None
    entities: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.session is None:
            self.session = Session.login(self.client, self.username, DEMO_PASSWORD, f"phone-{self.username}-{uuid.uuid4().hex[:6]}")

    @property
    def headers(self):
        return self.session.headers

    def mutation(self, name: str, **args) -> dict:
        m = {"id": self.next_id, "name": name, "client_time": phone_time(), "args": args}
        self.next_id += 1
        return m

    def push(self, *mutations, expect_status=200) -> dict:
        r = self.client.post("/api/v1/sync/push", headers=self.headers,
                             json={"client_id": self.client_id, "schema_version": 1, "mutations": list(mutations)})
        assert r.status_code == expect_status, r.get_json()
        return r.get_json()

    def do(self, name: str, **args) -> dict:
        """Push one mutation and return its result."""
        return self.push(self.mutation(name, **args))["results"][0]

    def ok(self, name: str, **args) -> dict:
        res = self.do(name, **args)
        assert res["status"] == "applied", res
        return res

    def plan_method(self, visit_id: str, method: str) -> dict:
        """The team leader chooses the visit's method before it starts (PUT …/method)."""
        r = self.client.put(f"/api/v1/visits/{visit_id}/method", headers=self.headers, json={"method": method})
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def pull(self) -> dict:
        url = f"/api/v1/sync/pull?client_id={self.client_id}" + (f"&cursor={self.cursor}" if self.cursor else "")
        while True:
            body = self.client.get(url, headers=self.headers).get_json()
            if body["reset"]:
                self.entities = {}
            for ch in body["changes"]:
                key = (ch["entity"], ch["id"])
                if ch["op"] == "del":
                    self.entities.pop(key, None)
                else:
                    self.entities[key] = ch["data"]
            self.cursor = body["cursor"]
            if not body["more"]:
                return body
            url = f"/api/v1/sync/pull?client_id={self.client_id}&cursor={self.cursor}"

    def visits(self) -> list[dict]:
        return [v for (e, _), v in self.entities.items() if e == "visit"]

    def visit(self, visit_id: str) -> dict:
        return self.entities[("visit", visit_id)]

    def task(self, task_id: str) -> dict:
        return self.entities[("task", task_id)]


def content_sha256(visit: dict) -> str:
    """SHA-256 of the RFC 8785 form of the canonical record, from the phone's copy."""
    rec = visit["record"]
    answers = []
    for key, a in rec["answers"].items():
        item_id, cp = key.split(":", 1)
        answers.append({"item_id": int(item_id), "version": a["item_version"], "checkpoint_key": cp,
                        "value": a["value"], "note": a["note"]})
    answers.sort(key=lambda a: (a["item_id"], a["checkpoint_key"]))
    body = {
        "visit_id": visit["id"], "task_id": visit["task_id"],
        "object": {"id": visit["object"]["id"], "name": visit["object"]["name"], "credit_code": visit["object"]["credit_code"]},
        "arrival": rec["arrival"], "present": sorted(rec["present"]),
        "credentials_shown_at": rec["credentials_shown_at"], "rights_informed_at": rec["rights_informed_at"],
        "method": rec["method"], "answers": answers,
        "findings": sorted([{k: f[k] for k in ("id", "item_id", "checkpoint_key", "description", "legal_basis", "measures",
                                               "rectify_deadline", "media_ids")} for f in rec["findings"]], key=lambda f: f["id"]),
        "media": sorted([{"media_id": m["media_id"], "sha256": m["sha256"]} for m in rec["media"] if m["kind"] != "signature"],
                        key=lambda m: m["media_id"]),
        "outcome": rec["outcome"],
    }
    for key in ("method_details", "check_ended_at"):  # only once recorded (older records never had them)
        if rec.get(key) is not None:
            body[key] = rec[key]
    return hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def fake_sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def image_bytes(seed: str) -> bytes:
    """A small real PNG, different for every seed (so every photo has its own hash)."""
    import io

    from PIL import Image

    n = int(hashlib.sha256(seed.encode()).hexdigest()[:6], 16)
    buf = io.BytesIO()
    Image.new("RGB", (48, 36), (n & 255, (n >> 8) & 255, (n >> 16) & 255)).save(buf, "PNG")
    return buf.getvalue()


def upload(client, headers: dict, media_id: str, data: bytes, content_type: str = "image/png") -> None:
    """Send the bytes with tus (creation-with-upload), as the phone does."""
    from tests.media.tus_support import Tus

    r = Tus(client, headers).create(data, media_id=media_id, content_type=content_type, filename="p.png", body=data)
    assert r.status_code in (201, 204), r.get_data(as_text=True)


def attach_photo(phone: "Phone", visit_id: str, target: dict, kind: str = "photo", send_bytes: bool = True) -> str:
    """media.attach a new photo and (unless told not to) upload its bytes."""
    mid = str(uuid.uuid4())
    data = image_bytes(mid)
    phone.ok("media.attach", visit_id=visit_id, media_id=mid, sha256=hashlib.sha256(data).hexdigest(), kind=kind,
             target=target, claim={"captured_at": phone_time(minutes_ago=20)})
    if send_bytes:
        upload(phone.client, phone.headers, mid, data)
    return mid


STROKES = [[[10.0, 20.0, 0, 0.5], [30.5, 40.25, 16, 0.6], [55.0, 42.0, 33, 0.55]]]
LEGAL_REP_ID = "11010519491231002X"


def usernames(client, office_headers) -> dict[int, str]:
    users = client.get("/api/v1/users?limit=500", headers=office_headers).get_json()["items"]
    return {u["id"]: u["username"] for u in users}


def team_phones(client, visit: dict, names: dict[int, str]) -> dict[str, Phone]:
    """A phone for every team member with an account, keyed by department code."""
    phones = {}
    for m in visit["team"]:
        if m["user_id"] is not None:
            phones.setdefault(m["department_code"], Phone(client, names[m["user_id"]]))
    return phones


def leader_phone(client, visit, names) -> Phone:
    lead = next(m for m in visit["team"] if m["role"] == "leader")
    return Phone(client, names[lead["user_id"]])


def complete_inspection(client, office_headers, visit_id: str | None = None, *, seal: bool = True,
                        upload_bytes: bool = True, findings: list[dict] | None = None,
                        codes: tuple[str, ...] = ("1",), followup: str = "none", scout: str = "scjg-insp1",
                        arrival: str | None = None) -> dict:
    """Drive a normal inspection of a demo visit through sync, as its team would; returns context.

    `findings`: optional problems to record before the outcome, each a dict with
    `department` (code of the item's department, whose phone records it; default the
    first participating department), and
    optionally `description`, `legal_basis`, `measures`, `rectify_deadline`,
    `photos` (how many photos to attach to it, default 1). Their ids come back
    in the context's `findings` (same order); pass `codes`/`followup` to match.
    `arrival`: the arrival time the phone records (default: half an hour ago, by its clock).
    """
    names = usernames(client, office_headers)
    scout = Phone(client, scout)  # any team member of the visit (the PWA tests pass theirs)
    scout.pull()
    if visit_id is None:
        visit_id = scout.visits()[0]["id"]
    visit = scout.visit(visit_id)
    task = scout.task(visit["task_id"])
    phones = team_phones(client, visit, names)
    lead = leader_phone(client, visit, names)
    lead.pull()
    # The team arrived half an hour ago (by the phone's clock), as in real use: never after the seal.
    lead.ok("visit.arrive", visit_id=visit_id, at=arrival or phone_time(minutes_ago=30),
            gps={"lat": 38.4167, "lon": 112.7333, "accuracy": 12.5}, method="onsite")
    present = sorted(m["inspector_id"] for m in visit["team"])
    lead.ok("visit.present", visit_id=visit_id, inspector_ids=present)
    lead.ok("visit.credentials_shown", visit_id=visit_id, at=phone_time(minutes_ago=29))
    lead.ok("visit.rights_informed", visit_id=visit_id, at=phone_time(minutes_ago=28))
    media = []
    for item in task["items"]:
        dept_code = next(d["code"] for d in task["departments"] if d["id"] == item["department_id"])
        phone = phones[dept_code]
        for cp in item["checkpoints"]:
            value = {"pass_fail_na": "pass", "number": "4.5", "text": "情况正常", "choice": (cp["choices"] or ["x"])[0]}[cp["answer_type"]]
            phone.ok("answer.set", visit_id=visit_id, item_id=item["item_id"], checkpoint_key=cp["key"], value=value,
                     note=None, base_version=None)
            if cp["photo_required"]:
                media.append(attach_photo(phone, visit_id, {"type": "answer", "id": f"{item['item_id']}:{cp['key']}"},
                                          send_bytes=upload_bytes))
    finding_ids = []
    for spec in findings or []:
        code = spec.get("department") or task["departments"][1]["code"]  # default: a participating department
        phone = phones[code]
        dept_id = next(d["id"] for d in task["departments"] if d["code"] == code)
        item = next(i for i in task["items"] if i["department_id"] == dept_id)
        fid = str(uuid.uuid4())
        photos = [attach_photo(phone, visit_id, {"type": "finding", "id": fid}, send_bytes=upload_bytes)
                  for _ in range(spec.get("photos", 1))]
        media.extend(photos)
        phone.ok("finding.add", visit_id=visit_id, finding_id=fid, item_id=item["item_id"],
                 checkpoint_key=item["checkpoints"][0]["key"] if item["checkpoints"] else None,
                 description=spec.get("description", "现场发现问题"), legal_basis=spec.get("legal_basis"),
                 measures=spec.get("measures", ["onsite_record"]), rectify_deadline=spec.get("rectify_deadline"),
                 media_ids=photos)
        finding_ids.append(fid)
    lead.ok("outcome.set", visit_id=visit_id, codes=list(codes), followup=followup, followup_note=None, case=None)
    lead.pull()
    current = content_sha256(lead.visit(visit_id))
    sigs = []
    for role, name, extra in [("legal_rep", visit["object"]["legal_rep_name"] or "法定代表人", {"id_number": LEGAL_REP_ID})] + \
            [("inspector", m["name"], {"inspector_id": m["inspector_id"]}) for m in visit["team"][:2]]:
        sid = str(uuid.uuid4())
        img = attach_photo(lead, visit_id, {"type": "signature", "id": sid}, kind="signature", send_bytes=upload_bytes)
        img_sha = next(m["sha256"] for m in lead.pull() and lead.visit(visit_id)["record"]["media"] if m["media_id"] == img)
        lead.ok("signature.capture", visit_id=visit_id, signature_id=sid, role=role, signer_name=name,
                content_sha256=current, strokes=STROKES, image_media_id=img, image_sha256=img_sha, **extra)
        sigs.append(sid)
        media.append(img)
    if seal:
        lead.ok("visit.seal", visit_id=visit_id, content_sha256=current)
    return {"visit_id": visit_id, "visit": visit, "task": task, "lead": lead, "phones": phones, "media": media,
            "content_sha256": current, "signatures": sigs, "names": names, "findings": finding_ids}
