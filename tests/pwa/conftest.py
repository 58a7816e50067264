"""Browser tests of the PWA: Debian's Chromium through pytest-playwright, against a live server.

The app (per-test database, demo data level "field") runs in a background thread with
werkzeug's server on a free 127.0.0.1 port: a secure context, so service workers work.
A small WSGI wrapper records every request path (to prove an offline reload never reached
the server) and can delay uploads, hold a push's response (to lose it) or turn pushes away.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from tests.support.desk import stray_text

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pwa"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("REQUIRE_BROWSER"):
        raise pytest.UsageError(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing")
    skip = pytest.mark.skip(reason=f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (install Debian's chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _fontconfig(tmp: Path) -> str:
    """A fontconfig file adding the pinned Noto Sans SC (the PDF's font, pip package
    pylopdf-fonts-zh-cn) to the system's fonts: without a CJK font the screenshots show boxes."""
    import pylopdf_fonts_zh_cn

    conf = tmp / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                    f"<dir>{Path(pylopdf_fonts_zh_cn.__file__).parent}</dir>"
                    f"<cachedir>{tmp / 'cache'}</cachedir></fontconfig>", encoding="utf-8")
    return str(conf)


@pytest.fixture(scope="session")
def browser_type_launch_args(tmp_path_factory):
    env = {**os.environ, "FONTCONFIG_FILE": _fontconfig(tmp_path_factory.mktemp("fonts"))}
    return {"executable_path": CHROMIUM, "args": ARGS, "headless": True, "env": env}


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": False, "has_touch": True,
            "locale": "zh-CN", "timezone_id": "Asia/Shanghai", "permissions": ["geolocation"],
            "geolocation": {"latitude": 38.4167, "longitude": 112.7333, "accuracy": 12}, "accept_downloads": True,
            "service_workers": "allow",
            # Playwright polls function predicates (wait_for_function) with eval, which the app's CSP
            # refuses; test_csp_browser.py runs the app with the CSP in force.
            "bypass_csp": True}


@pytest.fixture
def backend():
    """Browser tests run on SQLite only: the protocol itself is tested on both databases in tests/sync."""
    return "sqlite"


@pytest.fixture
def seed_level():
    return "field"


class Recorder:
    """WSGI middleware: logs paths; optional delays and held responses for network-trouble tests."""

    def __init__(self, app):
        self.app = app
        self.log: list[tuple[str, str]] = []
        self.headers: list[dict] = []
        self.patch_delay = 0.0
        self.hold_push = False
        self.busy_push = 0  # seconds: pushes get the server's 429 with this retry_after
        self.held = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        self.log.append((method, path))
        self.headers.append({"service_worker": environ.get("HTTP_SERVICE_WORKER"), "dest": environ.get("HTTP_SEC_FETCH_DEST"),
                             "mode": environ.get("HTTP_SEC_FETCH_MODE")})
        if method == "PATCH" and path.startswith("/api/v1/uploads/") and self.patch_delay:
            time.sleep(self.patch_delay)
        if method == "POST" and path == "/api/v1/sync/push" and self.busy_push:
            body = {"type": "/problems/too_many_requests", "title": "请求过于频繁", "status": 429, "detail": "请求过于频繁，请稍后再试。",
                    "code": "too_many_requests", "retry_after": self.busy_push}
            start_response("429 TOO MANY REQUESTS", [("Content-Type", "application/problem+json"), ("Retry-After", str(self.busy_push))])
            return [json.dumps(body, ensure_ascii=False).encode()]
        if method == "POST" and path == "/api/v1/sync/push" and self.hold_push:
            body = list(self.app(environ, lambda *a, **k: None))  # processed and committed…
            self.held.set()
            self.release.wait(30)  # …but the reply never reaches the page
            raise ConnectionAbortedError("response lost (test)")
        return self.app(environ, start_response)

    def paths(self, since: int = 0) -> list[str]:
        return [p for _, p in self.log[since:]]

    def page_paths(self, since: int = 0) -> list[str]:
        """Requests from the page or its worker's fetches, leaving out the browser's own service worker
        update check (Sec-Fetch-Dest: serviceworker), which Chromium's offline emulation does not cover."""
        return [p for (_, p), h in zip(self.log[since:], self.headers[since:]) if h["dest"] != "serviceworker"]


@pytest.fixture
def live(app):
    """(base_url, recorder) of the app served on a free port for this test."""
    from werkzeug.serving import make_server

    rec = Recorder(app.wsgi_app)
    app.wsgi_app = rec
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", rec
    rec.release.set()
    server.shutdown()
    thread.join(5)


@pytest.fixture
def fu(app):
    """The field user of this database: the team leader with the most visits (see helpers.field_user)."""
    from tests.pwa.helpers import field_user

    return field_user(app)


@pytest.fixture
def shot():
    """shot(page, name): a 390×844 PNG of the current screen into test-artifacts/pwa/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, top: bool = True):
        if top:
            page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(150)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        assert stray_text(page) == [], f"{name}: {stray_text(page)}"

    return take


@pytest.fixture
def errors(page):
    """Uncaught page errors; a test asserts this stays empty."""
    found: list[str] = []
    page.on("pageerror", lambda e: found.append(str(e)))
    page.on("console", lambda m: found.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text
            and "net::ERR_INTERNET_DISCONNECTED" not in m.text else None)
    return found
