"""Configuration: production refuses weak keys; the embedded default keeps one key."""
from __future__ import annotations

import pytest

from server import create_app
from server.config import ConfigError


@pytest.mark.parametrize("key", [None, "", "dev", "change-me", "short-key"])
def test_production_refuses_missing_or_default_secret(tmp_path, monkeypatch, key):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    cfg = {"APP_ENV": "production", "INSTANCE_PATH": str(tmp_path),
           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"}
    if key is not None:
        cfg["SECRET_KEY"] = key
    with pytest.raises(ConfigError):
        create_app(cfg)


def test_production_accepts_a_real_secret(tmp_path):
    app = create_app({"APP_ENV": "production", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 48,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3",
                      "SIGNING_KEY_PATH": str(tmp_path / "keys" / "signing.pem")})
    assert app.config["SECRET_KEY"] == "k" * 48


def test_embedded_default_generates_and_keeps_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = create_app({"APP_ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    second = create_app({"APP_ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/dsr.sqlite3"


def test_database_url_selects_postgresql_with_psycopg3(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example:5432/dsr")
    app = create_app({"APP_ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example:5432/dsr"


def test_sqlite_runs_in_wal_with_foreign_keys(app):
    from server.extensions import db

    if app.config["TEST_BACKEND"] != "sqlite":
        pytest.skip("SQLite-specific")
    with app.app_context():
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(db.text("PRAGMA foreign_keys")).scalar() == 1


def _production(tmp_path, **extra):
    return {"APP_ENV": "production", "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "k" * 48,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db/x.sqlite3", **extra}


def test_production_refuses_a_signing_key_readable_by_others(tmp_path):
    key = tmp_path / "keys" / "signing.pem"
    key.parent.mkdir()
    key.write_text("x")
    key.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        create_app(_production(tmp_path, SIGNING_KEY_PATH=str(key)))
    key.chmod(0o600)
    assert create_app(_production(tmp_path, SIGNING_KEY_PATH=str(key))).config["SIGNING_KEY_PATH"] == str(key)


def test_production_refuses_a_signing_key_next_to_the_sqlite_database(tmp_path):
    (tmp_path / "db").mkdir()
    with pytest.raises(ConfigError, match="next to the SQLite database"):
        create_app(_production(tmp_path, SIGNING_KEY_PATH=str(tmp_path / "db" / "signing.pem")))


def test_instance_directory_and_embedded_database_are_private(tmp_path, monkeypatch):
    import stat

    monkeypatch.delenv("DATABASE_URL", raising=False)
    instance = tmp_path / "fresh"
    create_app({"APP_ENV": "development", "INSTANCE_PATH": str(instance)})
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "dsr.sqlite3").stat().st_mode) == 0o600
