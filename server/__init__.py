"""Flask application factory for the joint double-random spot-check system."""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as config_mod
from .http import IdConverter, content_security_policy
from .observability import logs

ROOT = Path(__file__).resolve().parent.parent
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(config: dict | type | str | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → errors → cli."""
    overrides = config if isinstance(config, dict) else {}
    instance_path = overrides.get("INSTANCE_PATH") or os.environ.get("DSR_INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(__name__, instance_path=instance_path, static_folder=None)
    app.url_map.converters["int"] = IdConverter  # before any route is added: bounded ids everywhere
    configure(app, config)
    configure_extensions(app)
    configure_blueprints(app)
    configure_errors(app)
    configure_requests(app)
    configure_cli(app)
    return app


def configure(app: Flask, config) -> None:
    if isinstance(config, type):
        cls = config
        overrides: dict = {}
    else:
        overrides = dict(config) if isinstance(config, dict) else {}
        env_name = overrides.get("APP_ENV") or (config if isinstance(config, str) else None) \
            or os.environ.get("APP_ENV") or "development"
        cls = config_mod.CONFIGS.get(env_name)
        if cls is None:
            raise config_mod.ConfigError(f"unknown APP_ENV {env_name!r}")
    app.config.from_object(cls)
    app.config.update(config_mod.env_overrides(dict(os.environ)))
    app.config.update(overrides)
    app.config["INSTANCE_PATH"] = app.instance_path
    final = dict(app.config)
    config_mod.finalise(final, Path(app.instance_path))
    app.config.update(final)


def configure_extensions(app: Flask) -> None:
    # cycle: every module of sync, media and the features imports this package's plumbing, so this
    # package imports them only while building an app (never at its own import).
    from sync.changes import install_session_hooks as install_sync_hooks

    from . import dbsetup, models  # noqa: F401  (models: every table in the metadata)
    from .audit.service import install_session_hooks
    from .extensions import api, db, migrate

    dbsetup.install()
    install_session_hooks()
    install_sync_hooks()  # after the audit hook: locks are always taken in the same order
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), compare_type=True, render_as_batch=True)
    api.init_app(app, spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name), "info": {"description": "忻州市市场监管领域部门联合“双随机、一公开”抽查系统接口。所有错误均为 RFC 9457 application/problem+json。"}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})


def schema_name(schema) -> str | None:
    """OpenAPI component names, prefixed by feature so that two features' `ReasonSchema` never collide.

    Instances narrowed with only/exclude are inlined (None).
    """
    cls = schema if isinstance(schema, type) else type(schema)
    if not isinstance(schema, type) and (schema.only or schema.exclude):
        return None
    parts = cls.__module__.split(".")
    name = cls.__name__.removesuffix("Schema") or cls.__name__
    feature = parts[1] if parts[0] == "server" and len(parts) > 2 else (parts[0] if parts[0] != "server" else "")
    return f"{feature.title().replace('_', '')}{name}"


def configure_blueprints(app: Flask) -> None:
    # cycle: see configure_extensions.
    from media.api import blp as uploads_blp, init_app as init_media, media_blp
    from sync.api import blp as sync_blp

    from . import health, web, wiring
    from .accounts.api import blp as accounts_blp
    from .audit.api import blp as audit_blp
    from .calendar.api import blp as calendar_blp
    from .catalog.api import blp as catalog_blp
    from .delivery.api import blp as delivery_blp
    from .draws.api import blp as draws_blp
    from .extensions import api
    from .inspectors.api import blp as inspectors_blp
    from .leads.api import blp as leads_blp, hooks_blp as lead_hooks_blp
    from .objections.api import blp as objections_blp
    from .ops import metrics_api
    from .plans.api import blp as plans_blp
    from .public import draw_page  # noqa: F401  (adds /public/draws/<id> to the public pages)
    from .public import pages as public_pages
    from .public.api import blp as public_blp
    from .registry.api import blp as registry_blp
    from .review import pages as review_pages
    from .review.api import blp as review_blp
    from .review.stats_api import blp as statistics_blp
    from .visits.api import blp as visits_blp

    wiring.connect()
    for blp in (accounts_blp, audit_blp, catalog_blp, inspectors_blp, plans_blp, public_blp, registry_blp, sync_blp,
                uploads_blp, media_blp, delivery_blp, calendar_blp, draws_blp, visits_blp, review_blp, leads_blp,
                lead_hooks_blp, statistics_blp, objections_blp):
        api.register_blueprint(blp)
    init_media(app)
    for bp in (public_pages.bp, review_pages.bp, health.bp, metrics_api.bp, web.bp):
        app.register_blueprint(bp)


def configure_errors(app: Flask) -> None:
    from . import errors  # cycle: see configure_extensions.

    errors.init_app(app)


def configure_requests(app: Flask) -> None:
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        # The client address and scheme as the trusted proxies saw them (the rightmost `hops`
        # X-Forwarded-For entries; anything a client put before them is ignored).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)

    @app.before_request
    def _request_id():
        g.pop("principal", None)
        rid = request.headers.get("X-Request-ID", "")
        g.request_id = rid if _REQUEST_ID.match(rid) else uuid.uuid4().hex

    logs.configure_logging(app.config["LOG_FORMAT"])
    logs.install(app)

    @app.after_request
    def _headers(resp):
        resp.headers["X-Request-ID"] = getattr(g, "request_id", "")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith("/api/"):
            resp.headers.setdefault("Cache-Control", "no-store")
        if resp.mimetype == "text/html":
            # A file sent as is (the PWA's and the desk's pages) has no inline script to allow.
            page = b"" if resp.direct_passthrough else resp.get_data()
            resp.headers.setdefault("Content-Security-Policy", content_security_policy(page))
            resp.headers.setdefault("X-Frame-Options", "DENY")
        return resp


def configure_cli(app: Flask) -> None:
    # cycle: see configure_extensions.
    from media.cli import media_cli

    from .accounts.cli import departments_cli, users_cli
    from .audit.cli import audit_cli
    from .delivery.cli import delivery_cli, worker_command
    from .demo.cli import demo_data_command
    from .draws.cli import draws_cli
    from .leads.cli import leads_cli
    from .ops.cli import backup_cli
    from .registry.cli import objects_cli
    from .review.archive import archive_cli

    for command in (draws_cli, users_cli, departments_cli, audit_cli, demo_data_command, objects_cli, media_cli,
                    worker_command, delivery_cli, leads_cli, archive_cli, backup_cli):
        app.cli.add_command(command)
