"""`flask demo-data`: load the demo data set on an empty database."""
from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from pathlib import Path

from ..accounts.models import Department, User
from ..registry.models import InspectionObject
from ..visits.models import Visit
from ..audit.service import set_system_actor
from ..config import instance_secret
from ..extensions import db
from ..settings import get_setting, set_setting
from ..types import utcnow
from . import accounts, catalog, draws, inspectors, methods, plans, records, registry
from .names import NameMaker

# Steps run in order; later features append theirs.
STEPS = [
    ("departments and accounts", accounts.load),
    ("object directory", registry.load),
    ("check items", catalog.load),
    ("annual plans", plans.load),
    ("inspector directory", inspectors.load),
    ("joint draw", draws.load),
    ("sealed joint record entered per department", records.load),
    ("a documentary check and a record confirmed by the company stamp", methods.load),
]


def demo_password() -> str:
    """DEMO_PASSWORD, or one generated once and kept in instance/demo_password."""
    configured = current_app.config.get("DEMO_PASSWORD") or os.environ.get("DEMO_PASSWORD")
    if configured:
        return configured

    return instance_secret(Path(current_app.instance_path), "demo_password", nbytes=9)


def database_is_empty() -> bool:
    return not (db.session.scalar(select(func.count()).select_from(User)) or
                db.session.scalar(select(func.count()).select_from(Department)))


def load_demo(password: str, echo=lambda msg: None, steps=None) -> dict:
    """Run the steps (default: all) in one transaction and mark the deployment as demo."""
    set_system_actor("cli:demo-data")
    ctx: dict = {"password": password, "names": NameMaker()}
    for label, step in (STEPS if steps is None else steps):
        echo(f"  · {label}")
        step(ctx)
    set_setting("demo_data", {"loaded_at": utcnow().isoformat(), "note": "演示数据，均为虚构"})
    db.session.commit()
    return ctx


def print_logins(password: str) -> None:
    click.echo("演示账号 / demo logins (password for all: %s)" % password)
    click.echo("  office (办公室管理员), auditor (审计)")
    click.echo("  <部门>-admin, <部门>-leader, <部门>-reviewer, <部门>-insp1 … insp6")
    click.echo("  部门 / departments: " + ", ".join(f"{c} {n}" for c, n, _ in accounts.CITY_DEPARTMENTS))
    team = joint_team_example()
    if team:
        click.echo(f"  联合检查交接 / joint handoff: 组长 leader {team['leader']}, 组员 members {', '.join(team['members'])} "
                   f"— 检查对象 {team['object']}")


def joint_team_example() -> dict | None:
    """An open joint visit of the demo draw whose members all have logins (README: the QR handoff)."""
    for visit in db.session.execute(select(Visit).where(Visit.status != "sealed").order_by(Visit.scheduled_date, Visit.id)
                                    .limit(200)).scalars():
        members = [m for m in visit.members if m.active]
        if len({m.department_id for m in members}) < 2 or any(m.user_id is None for m in members):
            continue
        name = {m.user_id: db.session.get(User, m.user_id).username for m in members}
        leader = next((m for m in members if m.role == "leader"), None)
        if leader is None:
            continue
        others = [name[m.user_id] for m in members if m.department_id != leader.department_id]
        return {"leader": name[leader.user_id], "members": others,
                "object": db.session.get(InspectionObject, visit.object_id).name}
    return None


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing (exit 0) when the database already has data.")
@with_appcontext
def demo_data_command(if_empty: bool) -> None:
    """Load realistic, clearly marked Xinzhou demo data into an empty database."""
    if not database_is_empty():
        if if_empty:
            if get_setting("demo_data"):
                print_logins(demo_password())
            return
        click.echo("数据库不是空的，拒绝加载演示数据。/ The database is not empty; refusing to load demo data.", err=True)
        sys.exit(1)
    click.echo("加载演示数据 / loading demo data …")
    password = demo_password()
    load_demo(password, echo=click.echo)
    print_logins(password)
