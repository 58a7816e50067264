"""The shell as served: manifest, service worker headers and precache list, vendored packages, no CDN."""
from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

import pytest

PWA = Path(__file__).resolve().parents[2] / "pwa"


def _precache() -> list[str]:
    text = (PWA / "sw.js").read_text(encoding="utf-8")
    block = re.search(r"const SHELL = \[(.*?)\];", text, re.S).group(1)
    return re.findall(r"'([^']+)'", block)


def test_precache_lists_every_shell_file():
    listed = set(_precache())
    on_disk = {"/" + p.relative_to(PWA).as_posix() for d in ("js", "css", "icons") for p in (PWA / d).rglob("*") if p.is_file()}
    assert on_disk - listed == set(), "files the service worker would not have offline"
    assert {"/", "/manifest.webmanifest", "/vendor/idb/index.js", "/vendor/signature_pad/signature_pad.js",
            "/vendor/tus-js-client/tus.min.js"} <= listed


def test_no_cdn_anywhere_in_the_shell():
    for p in [PWA / "index.html", PWA / "sw.js", *PWA.joinpath("js").rglob("*.js"), PWA / "css" / "app.css"]:
        text = p.read_text(encoding="utf-8")
        for url in re.findall(r"""(?:src|href|import)\s*[=(]?\s*['"](https?://[^'"]+)""", text):
            pytest.fail(f"{p.name} loads {url} from another origin")


@pytest.fixture
def seed_level():
    return "base"


def test_served_files(client):
    index = client.get("/")
    assert index.status_code == 200 and 'lang="zh-CN"' in index.get_data(as_text=True)
    assert index.headers["Cache-Control"] == "no-cache"
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript"
    assert sw.headers["Service-Worker-Allowed"] == "/" and "no-cache" in sw.headers["Cache-Control"]
    assert "__SHELL_VERSION__" not in sw.get_data(as_text=True)
    man = client.get("/manifest.webmanifest")
    assert man.mimetype == "application/manifest+json"
    body = json.loads(man.get_data(as_text=True))
    assert body["lang"] == "zh-CN" and body["theme_color"] and "联合抽查" in body["short_name"]
    assert {i["sizes"] for i in body["icons"]} >= {"192x192", "512x512"}
    for url in _precache():
        r = client.get(url)
        assert r.status_code == 200, url
    assert client.get("/vendor/tus-js-client/package.json").status_code == 404  # only the pinned files
    assert client.get("/js/../server/web.py").status_code == 404


def test_vendored_modules_bring_their_imports():
    """An ES module served under /vendor/ loads its relative imports from beside it: each must be
    allowed by the server and precached, or the import fails (offline, or at all)."""
    from server.web import NODE_MODULES, VENDOR

    listed = set(_precache())
    for url, target in VENDOR.items():
        assert "/vendor/" + url in listed, url
        text = (NODE_MODULES / target).read_text(encoding="utf-8")
        for rel in re.findall(r"""^\s*(?:import|export)\b[^'"`]*?['"](\.\.?/[^'"]+)['"]""", text, re.M):
            dep = posixpath.normpath(posixpath.join(posixpath.dirname(url), rel))
            assert dep in VENDOR and "/vendor/" + dep in listed, f"{url} imports {rel}"
