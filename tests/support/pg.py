"""PostgreSQL helpers for the test suite: only databases it created are dropped."""
from __future__ import annotations

import os
import re

import psycopg
from sqlalchemy.engine import make_url


def redact(url: str) -> str:
    return make_url(_sa(url)).render_as_string(hide_password=True)


def _sa(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _base(url: str) -> str:
    return make_url(_sa(url)).database or "postgres"


def _worker() -> str:
    return re.sub(r"[^a-z0-9]", "", os.environ.get("PYTEST_XDIST_WORKER", "main").lower())


def template_name(url: str, kind: str) -> str:
    return f"{_base(url)}_tpl_{kind}_{_worker()}_{os.getpid()}"


def test_db_name(url: str, n: int) -> str:
    return f"{_base(url)}_t_{_worker()}_{os.getpid()}_{n}"


def url_for(url: str, dbname: str) -> str:
    return make_url(_sa(url)).set(database=dbname).render_as_string(hide_password=False)


def _admin(url: str):
    u = make_url(_sa(url))
    return psycopg.connect(
        host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
        password=u.password, dbname=u.database or "postgres", autocommit=True,
    )


def recreate(url: str, name: str) -> None:
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def clone(url: str, template: str, name: str) -> None:
    with _admin(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')


def drop(url: str, name: str) -> None:
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
