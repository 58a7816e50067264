"""Permission-matrix rows of the uploads (tus) and media endpoints.

Every logged-in user may upload; an upload and the media it produced are
visible to their owner only (others get 404) unless a feature's access
policy says otherwise (none is registered here).
"""
from __future__ import annotations

import uuid

from tests.media.tus_support import OFFSET_STREAM, UPLOADS, Tus, metadata, sha256, small_png
from tests.support.matrix import AUTHED, Row

OWNER = "scjg-insp1"
OTHERS = AUTHED - {OWNER}
TUS_ENV = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def prepare(ctx):
    tus = Tus(ctx["client"], ctx["sessions"][OWNER].headers)
    png = small_png()
    ctx["media_id"], resp = tus.upload(png, content_type="image/png", filename="m.png")
    assert resp.status_code == 204, resp.get_data(as_text=True)
    ctx["upload_location"] = tus.create(png, content_type="image/png", filename="p.png").headers["Location"]
    ctx["png"] = png


def _create(ctx, who):
    png = ctx["png"]
    meta = metadata(media_id=str(uuid.uuid4()), sha256=sha256(png), content_type="image/png", filename="n.png")
    return UPLOADS, {"environ_base": {**TUS_ENV, "HTTP_UPLOAD_LENGTH": str(len(png)), "HTTP_UPLOAD_METADATA": meta}}


def _patch(ctx, who):
    return ctx["upload_location"], {"data": ctx["png"][:16], "content_type": OFFSET_STREAM,
                                    "environ_base": {**TUS_ENV, "HTTP_UPLOAD_OFFSET": "0"}}


ROWS = {
    ("POST", "/api/v1/uploads/"): Row(AUTHED, _create),
    ("GET", "/api/v1/uploads/limits"): Row(AUTHED, lambda c, w: ("/api/v1/uploads/limits", {})),
    ("PATCH", "/api/v1/uploads/<upload_id>"): Row({OWNER}, _patch, hidden=OTHERS),
    ("DELETE", "/api/v1/uploads/<upload_id>"): Row(
        {OWNER}, lambda c, w: (c["upload_location"], {"environ_base": TUS_ENV}), hidden=OTHERS),
    ("GET", "/api/v1/media"): Row(AUTHED, lambda c, w: (f"/api/v1/media?ids={c['media_id']}", {})),
    ("GET", "/api/v1/media/<media_id>"): Row(
        {OWNER}, lambda c, w: (f"/api/v1/media/{c['media_id']}", {}), hidden=OTHERS),
    ("GET", "/api/v1/media/<media_id>/<variant>"): Row(
        {OWNER}, lambda c, w: (f"/api/v1/media/{c['media_id']}/thumb", {}), hidden=OTHERS),
}
