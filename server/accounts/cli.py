"""`flask users …` and `flask departments …`: set up a real deployment without demo data."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from sqlalchemy import select

from ..audit.service import set_system_actor
from ..errors import ApiError
from ..extensions import db
from . import admin
from .models import User
from .throttle import prune

users_cli = AppGroup("users", help="User accounts.")
departments_cli = AppGroup("departments", help="Departments.")


def _run(fn, *args, **kwargs):
    """Run a service call, commit, and turn domain errors into a clean exit."""
    try:
        result = fn(*args, **kwargs)
        db.session.commit()
        return result
    except ApiError as err:
        db.session.rollback()
        click.echo(f"错误：{err.detail}", err=True)
        sys.exit(2)


@departments_cli.command("create")
@click.option("--code", required=True, help="Short code, e.g. scjg")
@click.option("--name", required=True)
@click.option("--level", type=click.Choice(["city", "county"]), default="city", show_default=True)
@click.option("--region", "region_code", required=True, help="6-digit administrative division code")
@click.option("--parent", "parent_code", default=None, help="Parent department code")
@click.option("--tag", "tags", multiple=True, help="Industry tag (repeatable)")
@click.option("--office", is_flag=True, help="This is the leading group's office (领导小组办公室)")
def create_department(code, name, level, region_code, parent_code, tags, office):
    """Create a department."""
    set_system_actor("cli:departments create")
    parent_id = _run(admin.department_by_code, parent_code).id if parent_code else None
    dept = _run(admin.create_department, {"code": code, "name": name, "level": level, "region_code": region_code,
                                          "parent_id": parent_id, "industry_tags": list(tags), "is_office": office})
    click.echo(f"created department {dept.id} {dept.code} {dept.name}")


@departments_cli.command("list")
def list_departments():
    """List departments."""
    for d in admin.list_departments():
        flag = " [office]" if d.is_office else ""
        click.echo(f"{d.id:4} {d.code:16} {d.level:6} {d.region_code} {d.name}{flag}")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True)
@click.option("--department", "dept_code", required=True, help="Department code")
@click.option("--role", "roles", multiple=True, type=click.Choice(admin.ALL_ROLES), help="Role (repeatable)")
@click.option("--phone", default=None)
@click.password_option(envvar="DSR_NEW_PASSWORD", help="Password (prompted if not given)")
def create_user(username, display_name, dept_code, roles, phone, password):
    """Create a user account."""
    set_system_actor("cli:users create")
    dept = _run(admin.department_by_code, dept_code)
    user = _run(admin.create_user, {"username": username, "display_name": display_name, "department_id": dept.id,
                                    "roles": list(roles), "phone": phone, "password": password})
    click.echo(f"created user {user.id} {user.username} ({', '.join(user.roles) or 'no roles'})")


@users_cli.command("set-password")
@click.argument("username")
@click.password_option(envvar="DSR_NEW_PASSWORD")
def set_password(username, password):
    """Set a user's password."""
    set_system_actor("cli:users set-password")
    user = _run(admin.user_by_username, username)
    _run(admin.set_password, user, password)
    click.echo(f"password set for {user.username}")


@users_cli.command("roles")
@click.argument("username")
@click.option("--set", "new_roles", multiple=True, type=click.Choice(admin.ALL_ROLES),
              help="Replace the roles with these (repeatable); without it, show them")
@click.option("--clear", is_flag=True, help="Remove every role")
def roles(username, new_roles, clear):
    """Show or set a user's roles."""
    set_system_actor("cli:users roles")
    user = _run(admin.user_by_username, username)
    if new_roles or clear:
        _run(admin.set_roles, user, list(new_roles))
    click.echo(f"{user.username}: {', '.join(user.roles) or '(none)'}")


@users_cli.command("list")
def list_users():
    """List users."""
    for u in db.session.execute(select(User).order_by(User.id)).scalars():
        state = "" if u.active else " [inactive]"
        click.echo(f"{u.id:5} {u.username:20} {u.department.code:10} {','.join(u.roles)}{state}")


@users_cli.command("prune-throttle")
def prune_throttle():
    """Delete login-throttle and rate-limit counters that are over (quiet past the forget period, not locked).

    The delivery worker does this every THROTTLE_PRUNE_INTERVAL; run this from cron when no worker runs.
    """
    click.echo(f"throttle rows deleted: {prune()}")
