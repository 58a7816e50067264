"""Helpers for the tus and media API tests: a small tus client over Flask's test client,
storage inspection, and a real HTTP server for real clients."""
from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import threading
import uuid
from pathlib import Path

from PIL import Image

TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_STREAM = "application/offset+octet-stream"
UPLOADS = "/api/v1/uploads/"


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def small_png(size=(64, 48), colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


class Tus:
    """tus requests as a phone sends them, through Flask's test client."""

    def __init__(self, client, headers: dict) -> None:
        self.client = client
        self.headers = {**headers, **TUS}

    def create(self, data: bytes | None = None, *, length: int | None = None, media_id: str | None = None,
               content_type: str = "image/jpeg", filename: str = "photo.jpg", digest: str | None = None,
               body: bytes | None = None, **extra_meta: str):
        meta = {"media_id": media_id or str(uuid.uuid4()), "sha256": digest or sha256(data or b""),
                "content_type": content_type, "filename": filename, **extra_meta}
        headers = {**self.headers, "Upload-Length": str(len(data) if length is None else length),
                   "Upload-Metadata": metadata(**meta)}
        if body is not None:
            return self.client.post(UPLOADS, data=body, headers={**headers, "Content-Type": OFFSET_STREAM})
        return self.client.post(UPLOADS, headers=headers)

    def patch(self, location: str, chunk: bytes, offset: int, *, checksum: str | None = None,
              declared: int | None = None, **headers):
        h = {**self.headers, "Upload-Offset": str(offset), "Content-Type": OFFSET_STREAM, **headers}
        if checksum:
            h["Upload-Checksum"] = checksum
        if declared is not None:
            # A body cut off in transit: Content-Length says more than arrives.
            return self.client.open(location, method="PATCH", headers=h, input_stream=io.BytesIO(chunk),
                                    environ_overrides={"CONTENT_LENGTH": str(declared)})
        return self.client.patch(location, data=chunk, headers=h)

    def head(self, location: str):
        return self.client.head(location, headers=self.headers)

    def delete(self, location: str):
        return self.client.delete(location, headers=self.headers)

    def upload(self, data: bytes, *, chunk: int | None = None, **create_args) -> tuple[str, object]:
        """Create and send ``data`` (in chunks); returns (media_id, last response)."""
        media_id = create_args.pop("media_id", None) or str(uuid.uuid4())
        created = self.create(data, media_id=media_id, **create_args)
        assert created.status_code == 201, created.get_data(as_text=True)
        location = created.headers["Location"]
        step = chunk or len(data)
        offset = 0
        resp = created
        while offset < len(data):
            resp = self.patch(location, data[offset:offset + step], offset)
            if resp.status_code != 204:
                return media_id, resp
            offset = int(resp.headers["Upload-Offset"])
        return media_id, resp


def stored_files(app, namespace: str = "originals") -> list[Path]:
    """Every object in a storage namespace."""
    root = Path(app.config["MEDIA_ROOT"]) / namespace
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def temp_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"]) / ".tmp"
    return sorted(p for p in root.iterdir() if p.is_file()) if root.exists() else []


@contextlib.contextmanager
def serve(app):
    """The app behind a real threaded HTTP server on a free loopback port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def photo(photos: Path, name: str) -> bytes:
    return (photos / name).read_bytes()

