"""CLI: set up a real deployment without demo data; demo-data refuses a non-empty database."""
from __future__ import annotations

from sqlalchemy import select

from server.accounts.models import User
from tests.support.http import Session


def test_bootstrap_a_deployment_from_the_shell(empty_app):
    runner = empty_app.test_cli_runner()
    r = runner.invoke(args=["departments", "create", "--code", "office", "--name", "领导小组办公室",
                            "--region", "140900", "--office"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["departments", "create", "--code", "scjg", "--name", "忻州市市场监督管理局",
                            "--region", "140900", "--tag", "食品经营"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["departments", "create", "--code", "scjg-xf", "--name", "忻府区市场监督管理局",
                            "--level", "county", "--region", "140902", "--parent", "scjg"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["users", "create", "zhangsan", "--name", "张三", "--department", "scjg",
                            "--role", "inspector", "--role", "reviewer", "--password", "s3cret-pass"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["users", "roles", "zhangsan"])
    assert "inspector, reviewer" in r.output
    r = runner.invoke(args=["users", "roles", "zhangsan", "--set", "dept_admin"])
    assert r.exit_code == 0 and "dept_admin" in r.output
    r = runner.invoke(args=["users", "set-password", "zhangsan", "--password", "Another-pass-2"])
    assert r.exit_code == 0, r.output
    client = empty_app.test_client()
    s = Session.login(client, "zhangsan", "Another-pass-2")
    assert client.get("/api/v1/me", headers=s.headers).get_json()["roles"] == ["dept_admin"]

    # Errors are clean messages, not tracebacks.
    r = runner.invoke(args=["users", "create", "lisi", "--name", "李四", "--department", "nope",
                            "--password", "s3cret-pass"])
    assert r.exit_code == 2 and "部门“nope”不存在" in r.output
    r = runner.invoke(args=["users", "create", "lisi", "--name", "李四", "--department", "scjg",
                            "--role", "office_admin", "--password", "s3cret-pass"])
    assert r.exit_code == 2 and "办公室管理员" in r.output
    r = runner.invoke(args=["users", "create", "lisi", "--name", "李四", "--department", "scjg", "--password", "short"])
    assert r.exit_code == 2 and "密码至少" in r.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_demo_data_loads_once_and_refuses_non_empty(empty_app):
    runner = empty_app.test_cli_runner()
    r = runner.invoke(args=["demo-data"])
    assert r.exit_code == 0, r.output
    assert "demo-pass-123" in r.output and "scjg-insp1" not in r.output  # scheme, not a list
    with empty_app.app_context():
        from server.extensions import db

        names = set(db.session.execute(select(User.username)).scalars())
    expected = {"office", "auditor"} | {f"{d}-{k}" for d in ("scjg", "sthj", "wsjk", "yjgl", "sw", "wl")
                                         for k in ("admin", "leader", "reviewer", "insp1", "insp6")}
    assert expected <= names
    r = runner.invoke(args=["demo-data"])
    assert r.exit_code == 1 and "拒绝" in r.output
    r = runner.invoke(args=["demo-data", "--if-empty"])
    assert r.exit_code == 0 and "demo logins" in r.output
    client = empty_app.test_client()
    for username in ("office", "auditor", "scjg-admin", "wl-insp6", "yjgl-leader", "sw-reviewer"):
        Session.login(client, username, "demo-pass-123")
