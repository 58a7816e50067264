"""`GET /healthz`: database reachability and schema version; `GET /livez`: the process answers."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from alembic.config import Config
from alembic.script import ScriptDirectory

from .errors import problem_response
from .extensions import db

bp = Blueprint("health", __name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def expected_schema_version() -> str | None:
    """The newest migration revision shipped with this code."""
    cache = current_app.extensions.setdefault("dsr_schema_head", {})
    if "head" not in cache:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cache["head"] = ScriptDirectory.from_config(cfg).get_current_head()
    return cache["head"]


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # unreachable, or not migrated yet
        db.session.rollback()
        current_app.logger.warning("health check: database unavailable: %s", exc)
        return problem_response(
            503, "database_unavailable", "数据库不可用", "无法连接数据库或数据库尚未初始化。",
            headers={"Retry-After": "10"},
            extra={"database": "unreachable", "schema_version": None},
        )
    expected = expected_schema_version()
    return jsonify(
        status="ok",
        database="ok",
        backend=db.engine.dialect.name,
        schema_version=version,
        schema_expected=expected,
        schema_current=version == expected,
    )


@bp.get("/livez")
def livez():
    """Liveness only, touching no database: what a load balancer polls, and the benchmarks'
    "hello JSON" ceiling of the same server (bench/sync_load.py)."""
    return jsonify(status="ok")
