"""The migrated schema equals the models: autogenerate finds nothing to do."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.extensions import db


def test_schema_equals_models(empty_app):
    with empty_app.app_context():
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, db.metadata)
    assert diff == [], diff


def test_migrations_reach_head(empty_app):
    from server.health import expected_schema_version

    with empty_app.app_context():
        version = db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == expected_schema_version()
