"""Helpers for the visit tests: a demo visit's team as phones, and small mutation builders."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from tests.support.field import Phone, leader_phone, team_phones, usernames

CJK = range(0x4E00, 0xA000)


def chinese(text: str | None) -> bool:
    return bool(text) and any(ord(ch) in CJK for ch in text)


@dataclass
class Team:
    """A demo visit seen from its team's phones."""

    visit_id: str
    visit: dict
    task: dict
    lead: Phone  # the leader (scjg)
    phones: dict  # department code -> Phone
    names: dict  # user id -> username

    def item(self, dept_code: str) -> dict:
        dept_id = next(d["id"] for d in self.task["departments"] if d["code"] == dept_code)
        return next(i for i in self.task["items"] if i["department_id"] == dept_id)

    def inspectors(self) -> list[int]:
        return sorted(m["inspector_id"] for m in self.visit["team"])

    def outsider(self, dept_code: str = "scjg") -> str:
        """An inspector account of this department that is not in the team."""
        inside = {m["user_id"] for m in self.visit["team"]}
        return next(u for i, u in sorted(self.names.items()) if u.startswith(f"{dept_code}-insp") and i not in inside)

    def busy_outsider(self, dept_code: str = "scjg") -> "Phone":
        """A pulled phone of an inspector of this department who is not in this team but in another
        team of the draw (which inspectors those are depends on the draw)."""
        inside = {m["user_id"] for m in self.visit["team"]}
        for i, u in sorted(self.names.items()):
            if u.startswith(f"{dept_code}-insp") and i not in inside:
                phone = Phone(self.lead.client, u)
                phone.pull()
                if phone.visits():
                    return phone
        raise AssertionError(f"no {dept_code} inspector outside this team has visits of their own")


def team_of(client, office_headers, index: int = 0, username: str = "scjg-insp1") -> Team:
    names = usernames(client, office_headers)
    scout = Phone(client, username)
    scout.pull()
    visit = sorted(scout.visits(), key=lambda v: v["id"])[index]
    task = scout.task(visit["task_id"])
    phones = team_phones(client, visit, names)
    lead = leader_phone(client, visit, names)
    lead_dept = next(m["department_code"] for m in visit["team"] if m["role"] == "leader")
    phones[lead_dept] = lead
    for p in phones.values():
        p.pull()
    return Team(visit["id"], visit, task, lead, phones, names)


def answer_args(team: Team, dept: str, index: int = 0, value: str | None = None, **extra) -> dict:
    item = team.item(dept)
    cp = item["checkpoints"][index]
    if value is None:
        value = {"pass_fail_na": "fail", "number": "3.5", "text": "有问题", "choice": (cp["choices"] or ["x"])[-1]}[cp["answer_type"]]
    return {"visit_id": team.visit_id, "item_id": item["item_id"], "checkpoint_key": cp["key"], "value": value,
            "note": extra.pop("note", None), "base_version": extra.pop("base_version", None), **extra}


def finding_args(team: Team, **extra) -> dict:
    return {"visit_id": team.visit_id, "finding_id": str(uuid.uuid4()), "item_id": None, "checkpoint_key": None,
            "description": "冷藏柜温度超标，部分食品未按要求贮存", "legal_basis": "《食品安全法》第三十三条",
            "measures": ["onsite_record", "urge_rectify"], "rectify_deadline": "2026-12-20", "media_ids": [], **extra}


def counts(session, visit_id: str) -> dict:
    """Row counts of everything a visit's mutations can create."""
    from server.audit.models import AuditEntry
    from server.visits.models import Visit
    from server.visits.models import Amendment, Answer, FieldHistory, Finding, MediaRef, Signature, VisitRecord
    from sync.models import SyncFeed, SyncMutation

    out = {}
    for model in (Answer, FieldHistory, Finding, MediaRef, Signature, Amendment):
        out[model.__tablename__] = session.scalar(select(func.count()).select_from(model).where(model.visit_id == visit_id))
    out["sync_mutations"] = session.scalar(select(func.count()).select_from(SyncMutation))
    out["sync_feed"] = session.scalar(select(func.count()).select_from(SyncFeed))
    out["audit"] = session.scalar(select(func.count()).select_from(AuditEntry))
    out["visit_version"] = session.get(Visit, visit_id).version
    rec = session.get(VisitRecord, visit_id)
    out["record_version"] = rec.version if rec else None
    return out
