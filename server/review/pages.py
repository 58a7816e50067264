"""The back office's desktop screen (pwa/review.html with pwa/review/*): the review desk and the
office dashboard. Public pages (the record verification page included) are in server/public."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

bp = Blueprint("review_pages", __name__)
PWA_DIR = Path(__file__).resolve().parent.parent.parent / "pwa"


@bp.get("/review")
def review_screen():
    """The reviewer's desktop screen (a static page that talks to /api/v1)."""
    if not (PWA_DIR / "review.html").is_file():
        abort(404)
    resp = send_from_directory(PWA_DIR, "review.html", max_age=0)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/office/dashboard")
def office_dashboard():
    """The office dashboard: the same screen, opened on its statistics view."""
    return review_screen()


@bp.get("/review/<path:filename>")
def review_assets(filename: str):
    return send_from_directory(PWA_DIR / "review", filename, max_age=0)
