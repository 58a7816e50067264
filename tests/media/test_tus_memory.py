"""A 500 MB video streams through the server in bounded memory (gunicorn in a subprocess).

The figure asserted is a memory bound, not a timing: the worker's peak RSS
(VmHWM) must grow far less than the upload's size.  The body is generated on
the fly and never exists whole, on disk or in memory, on the client side.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import base_config
from tests.media.builders import mdat_header, mp4_head
from tests.media.tus_support import OFFSET_STREAM, TUS, UPLOADS, metadata

ROOT = Path(__file__).resolve().parents[2]
SIZE = 500 * 1024 * 1024
BLOCK = 1 << 20
MAX_GROWTH = 64 * 1024 * 1024  # the body is 500 MB; a buffered body would show here


def _video_chunks():
    head = mp4_head(timescale=600, duration=600 * 1800)  # a half-hour recording
    head += mdat_header(SIZE - len(head) - 8)
    yield head
    block = random.Random(1).randbytes(BLOCK)
    remaining = SIZE - len(head)
    while remaining:
        n = min(BLOCK, remaining)
        yield block[:n]
        remaining -= n


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _vm(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"{field} missing")


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_500_mb_upload_streams_in_bounded_memory(app, backend, login, tmp_path):
    if backend != "sqlite":
        pytest.skip("the memory bound does not depend on the database; measured once")
    port = _free_port()
    env = {**os.environ, "APP_ENV": "testing", "DSR_INSTANCE_PATH": app.instance_path,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "MEDIA_ROOT": app.config["MEDIA_ROOT"],
           "SECRET_KEY": base_config(tmp_path)["SECRET_KEY"]}
    gunicorn = [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", "1", "--timeout", "300",
                "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    headers = login("scjg-insp1")
    try:
        # A loaded CI machine may take seconds to import the app in the worker: wait on a deadline and treat
        # a slow first answer like a refused connection.
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(base + "/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "gunicorn did not become healthy within 120 s"
            assert server.poll() is None, server.stderr.read().decode(errors="replace")
            time.sleep(0.2)
        worker = _worker_pid(server.pid)
        # Warm up the worker (imports, a first small upload) before taking the baseline.
        assert requests.get(base + UPLOADS + "limits", headers=headers).status_code == 200
        baseline = _vm(worker, "VmHWM")

        digest = hashlib.sha256()
        for chunk in _video_chunks():
            digest.update(chunk)
        media_id = str(uuid.uuid4())
        created = requests.post(base + UPLOADS, headers={
            **headers, **TUS, "Upload-Length": str(SIZE),
            "Upload-Metadata": metadata(media_id=media_id, sha256=digest.hexdigest(), content_type="video/mp4",
                                        filename="record.mp4")})
        assert created.status_code == 201, created.text
        location = created.headers["Location"]

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        conn.putrequest("PATCH", location)
        for name, value in {**headers, **TUS, "Upload-Offset": "0", "Content-Type": OFFSET_STREAM,
                            "Content-Length": str(SIZE)}.items():
            conn.putheader(name, value)
        conn.endheaders()
        for chunk in _video_chunks():
            conn.send(chunk)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 204, resp.status
        assert resp.getheader("Upload-Offset") == str(SIZE)

        peak = _vm(worker, "VmHWM")
        print(f"\n500 MB upload: worker peak RSS {peak / 2**20:.1f} MiB "
              f"(baseline {baseline / 2**20:.1f} MiB, growth {(peak - baseline) / 2**20:.1f} MiB)")
        assert peak - baseline < MAX_GROWTH
        assert peak < 200 * 1024 * 1024

        meta = requests.get(f"{base}/api/v1/media/{media_id}", headers=headers).json()
        assert (meta["size"], meta["kind"], meta["duration"]) == (SIZE, "video", 1800.0)
        tail = requests.get(f"{base}/api/v1/media/{media_id}/original", headers={**headers, "Range": "bytes=-16"})
        assert tail.status_code == 206 and len(tail.content) == 16
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(app.config["MEDIA_ROOT"], ignore_errors=True)  # don't keep 500 MB in pytest's tmp dirs
