"""Serves the PWA at the site root and vendored front-end files from our own origin."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

ROOT = Path(__file__).resolve().parent.parent
PWA_DIR = ROOT / "pwa"
SWAGGER_DIR = PWA_DIR / "node_modules" / "swagger-ui-dist"

bp = Blueprint("web", __name__)


@bp.get("/vendor/swagger-ui/<path:filename>")
def swagger_ui(filename: str):
    if not SWAGGER_DIR.is_dir():
        abort(404)
    return send_from_directory(SWAGGER_DIR, filename, max_age=86400)


@bp.get("/")
def index():
    if not (PWA_DIR / "index.html").is_file():
        abort(404)
    resp = send_from_directory(PWA_DIR, "index.html", max_age=0)
    resp.headers["Cache-Control"] = "no-cache"
    return resp
