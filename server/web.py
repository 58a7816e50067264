"""Serves the PWA at the site root and vendored front-end files from our own origin.

The shell (index.html, css/, js/, icons/, the manifest, and shared/: the code the phone
shares with the review desk) and the pinned npm packages the phone needs are all served
from here: never from a CDN. Every shell response is ``no-cache``: the service worker keeps
the offline copy, and a plain revalidation keeps an updated deployment from hiding behind a
stale HTTP cache. ``sw.js`` gets two things stamped in: its precache list (the URLs of
``shell_files()``, so a new file can never be forgotten offline) and its cache version (the
hash of every precached file, so any change to the shell installs a new worker and shows the
"update ready" prompt).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory

ROOT = Path(__file__).resolve().parent.parent
PWA_DIR = ROOT / "pwa"
NODE_MODULES = PWA_DIR / "node_modules"
SWAGGER_DIR = NODE_MODULES / "swagger-ui-dist"
SHELL_DIRS = ("css", "js", "icons", "shared")
# URL under /vendor/ → file inside pwa/node_modules (pinned by package-lock.json).
VENDOR = {
    "idb/index.js": "idb/build/index.js",
    "signature_pad/signature_pad.js": "signature_pad/dist/signature_pad.js",
    "tus-js-client/tus.min.js": "tus-js-client/dist/tus.min.js",
    # The joint handoff by QR code: codes drawn by qrcode-generator (ES module), read by jsQR
    # (a UMD script the scan screen loads when the browser has no BarcodeDetector).
    "qrcode-generator/qrcode.mjs": "qrcode-generator/dist/qrcode.mjs",
    "jsqr/jsQR.js": "jsqr/dist/jsQR.js",
    # @noble/hashes' SHA-256 (incremental hashing of big videos) and the modules it imports
    # by relative path: every one of them must be listed here (and so precached by sw.js).
    **{f"noble-hashes/{name}": f"@noble/hashes/{name}" for name in ("sha2.js", "_md.js", "_u64.js", "utils.js")},
}
VERSION_MARK = "__SHELL_VERSION__"
FILES_MARK = "__SHELL_FILES__"

bp = Blueprint("web", __name__)


def _no_cache(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def shell_files() -> list[Path]:
    """Every file the service worker precaches (besides itself), in a stable order."""
    files = [PWA_DIR / "index.html", PWA_DIR / "manifest.webmanifest"]
    for d in SHELL_DIRS:
        files += sorted(p for p in (PWA_DIR / d).rglob("*") if p.is_file())
    files += [NODE_MODULES / v for v in VENDOR.values()]
    return [f for f in files if f.is_file()]


def shell_url(path: Path) -> str:
    """The URL this blueprint serves a file of ``shell_files()`` at (index.html is the site root)."""
    if path == PWA_DIR / "index.html":
        return "/"
    if path.is_relative_to(NODE_MODULES):
        target = path.relative_to(NODE_MODULES).as_posix()
        return "/vendor/" + next(url for url, t in VENDOR.items() if t == target)
    return "/" + path.relative_to(PWA_DIR).as_posix()


def shell_urls() -> list[str]:
    """The service worker's precache list: the URL of every file of ``shell_files()``."""
    return [shell_url(f) for f in shell_files()]


_version_cache: dict[tuple, str] = {}


def shell_version() -> str:
    """A short hash of the shell's bytes (recomputed only when a file's mtime or size changes)."""
    files = shell_files() + [PWA_DIR / "sw.js"]
    key = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.is_file())
    if key not in _version_cache:
        h = hashlib.sha256()
        for f in files:
            h.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())
        _version_cache.clear()
        _version_cache[key] = h.hexdigest()[:16]
    return _version_cache[key]


@bp.get("/vendor/swagger-ui/<path:filename>")
def swagger_ui(filename: str):
    if not SWAGGER_DIR.is_dir():
        abort(404)
    return send_from_directory(SWAGGER_DIR, filename, max_age=86400)


@bp.get("/vendor/<path:name>")
def vendor(name: str):
    """Only the pinned files the PWA uses, never the whole node_modules tree."""
    target = VENDOR.get(name)
    if target is None or not (NODE_MODULES / target).is_file():
        abort(404)
    return _no_cache(send_from_directory(NODE_MODULES, target, mimetype="text/javascript", max_age=0))


@bp.get("/")
def index():
    if not (PWA_DIR / "index.html").is_file():
        abort(404)
    return _no_cache(send_from_directory(PWA_DIR, "index.html", max_age=0))


@bp.get("/sw.js")
def service_worker():
    path = PWA_DIR / "sw.js"
    if not path.is_file():
        abort(404)
    body = (path.read_text(encoding="utf-8").replace(VERSION_MARK, shell_version())
            .replace(FILES_MARK, json.dumps(shell_urls())))
    resp = Response(body, mimetype="text/javascript")
    resp.headers["Service-Worker-Allowed"] = "/"
    resp.headers["Cache-Control"] = "no-cache, no-store"
    return resp


@bp.get("/manifest.webmanifest")
def manifest():
    return _no_cache(send_from_directory(PWA_DIR, "manifest.webmanifest", mimetype="application/manifest+json",
                                         max_age=0))


@bp.get("/<any(css, js, icons, shared):folder>/<path:filename>")
def shell_asset(folder: str, filename: str):
    mimetype = "text/javascript" if filename.endswith(".js") else None
    return _no_cache(send_from_directory(PWA_DIR / folder, filename, mimetype=mimetype, max_age=0))
