"""Upload completion latency for 12-megapixel phone photos, through the tus server.

Usage:  .venv/bin/python bench/media_upload.py [--runs 7] [--images 3] [--http]

For each generated 12 MP JPEG (the same generator as bench/media.py, each
upload made unique by a JPEG comment so that nothing is deduplicated) and
run, the upload is created and sent in three PATCHes; timed are:

  partial    a 64 KiB PATCH that does not finish the upload (append + fsync + offset)
  complete   the final 64 KiB PATCH: whole-file SHA-256 against the claim, type
             sniffing, EXIF, upright 1600 px view and 320 px thumbnail, move into
             content-addressed storage (fsync), derivatives stored, record + audit
  process    media.processing.process_image on the same file alone (the floor of
             "complete", measured interleaved)

By default requests go through Flask's test client (server work only);
--http sends them over loopback HTTP to a threaded werkzeug server.  SQLite,
fsync on.  Medians of --runs interleaved runs (>= 5); these 2-core machines
swing by up to 3x between runs, so compare columns of the same run.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import statistics
import struct
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from media.processing import process_image  # noqa: E402

PASSWORD = "bench-pass-123"
TAIL = 64 * 1024


def _phone_like_jpeg():
    # bench/media.py would shadow the media package if bench/ were on sys.path.
    spec = importlib.util.spec_from_file_location("bench_media_photos", ROOT / "bench" / "media.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.phone_like_jpeg


def _unique(data: bytes) -> bytes:
    """The same picture with a JPEG comment making its bytes (and SHA-256) new."""
    comment = uuid.uuid4().hex.encode()
    return data[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + data[2:]


def _metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _app(workdir: Path):
    from flask_migrate import upgrade

    from server import create_app
    from server.demo.cli import STEPS, load_demo

    app = create_app({"APP_ENV": "testing", "INSTANCE_PATH": str(workdir), "SECRET_KEY": "b" * 48,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}"})
    with app.app_context():
        upgrade()
        load_demo(PASSWORD, steps=[(label, fn) for label, fn in STEPS if label == "departments and accounts"])
    return app


class Client:
    """The same calls through the test client or over HTTP."""

    def __init__(self, app, http: bool) -> None:
        self.app = app
        self.server = None
        if http:
            import threading

            import requests
            from werkzeug.serving import make_server

            self.server = make_server("127.0.0.1", 0, app, threaded=True)
            threading.Thread(target=self.server.serve_forever, daemon=True).start()
            self.base = f"http://127.0.0.1:{self.server.server_port}"
            self.session = requests.Session()
        else:
            self.test = app.test_client()
        body = {"username": "scjg-insp1", "password": PASSWORD, "device_id": "bench-device-01", "device_name": "b"}
        token = self.call("POST", "/api/v1/auth/login", json=body)[1]["access_token"]
        self.headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}

    def call(self, method, path, headers=None, data=None, json=None):
        if self.server:
            r = self.session.request(method, self.base + path, headers=headers, data=data, json=json)
            return r.status_code, (r.json() if r.content and "json" in r.headers.get("Content-Type", "") else None), r.headers
        r = self.test.open(path, method=method, headers=headers, data=data, json=json)
        return r.status_code, r.get_json(silent=True), r.headers

    def close(self):
        if self.server:
            self.server.shutdown()


def upload_once(client: Client, data: bytes) -> tuple[float, float]:
    """(partial PATCH seconds, completing PATCH seconds) for one upload of ``data``."""
    meta = _metadata(media_id=str(uuid.uuid4()), sha256=hashlib.sha256(data).hexdigest(),
                     content_type="image/jpeg", filename="IMG.jpg")
    status, _, headers = client.call("POST", "/api/v1/uploads/", {**client.headers, "Upload-Length": str(len(data)),
                                                                  "Upload-Metadata": meta})
    assert status == 201, status
    location = headers["Location"]
    patch = {**client.headers, "Content-Type": "application/offset+octet-stream"}
    cuts = [0, len(data) - 2 * TAIL, len(data) - TAIL, len(data)]
    times = []
    for start, end in zip(cuts, cuts[1:]):
        t0 = time.perf_counter()
        status, _, _ = client.call("PATCH", location, {**patch, "Upload-Offset": str(start)}, data[start:end])
        times.append(time.perf_counter() - t0)
        assert status == 204, status
    return times[1], times[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--http", action="store_true", help="over loopback HTTP instead of the test client")
    args = parser.parse_args()
    runs = max(5, args.runs)
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        workdir = Path(tmp)
        phone_like_jpeg = _phone_like_jpeg()
        images = []
        print(f"generating {args.images} phone-like 12 MP JPEGs ...", flush=True)
        for i in range(args.images):
            path = workdir / f"phone_{i}.jpg"
            phone_like_jpeg(path, seed=i, orientation=(1, 6, 3)[i % 3])
            images.append(path.read_bytes())
        app = _app(workdir)
        client = Client(app, args.http)
        upload_once(client, _unique(images[0]))  # warm-up: imports, first connection, page cache
        partial, complete, process = [], [], []
        for _ in range(runs):
            for data in images:
                p, c = upload_once(client, _unique(data))
                partial.append(p)
                complete.append(c)
                probe = workdir / "probe.jpg"
                probe.write_bytes(data)
                t0 = time.perf_counter()
                process_image(probe)
                process.append(time.perf_counter() - t0)
        client.close()
    sizes = ", ".join(f"{len(d) / 1e6:.1f}" for d in images)
    print(f"\n{len(images)} images of 4000x3000 ({sizes} MB), {runs} runs, "
          f"{'HTTP loopback' if args.http else 'in-process test client'}, SQLite, fsync on; medians in ms")
    print(f"  partial PATCH (64 KiB, not last)      {statistics.median(partial) * 1000:8.1f}")
    print(f"  completing PATCH (64 KiB + ingest)    {statistics.median(complete) * 1000:8.1f}")
    print(f"  process_image alone (same files)      {statistics.median(process) * 1000:8.1f}")
    print(f"  completion overhead over processing   {(statistics.median(complete) - statistics.median(process)) * 1000:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
