"""A real gunicorn serving a test database, and a tiny HTTP client shaped like Flask's test client.

Used where the test must kill a real worker process (crash safety).
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status: int, body: bytes, headers):
        self.status_code = status
        self.data = body
        self.headers = headers
        self.mimetype = (headers.get("Content-Type") or "").split(";")[0].strip()

    def get_json(self):
        return json.loads(self.data) if self.data else None

    def get_data(self, as_text=False):
        return self.data.decode() if as_text else self.data


class HttpClient:
    """`post(path, headers=, json=)` / `get(path, headers=)` over real HTTP (raises OSError when the
    connection drops, as a phone's request would fail)."""

    def __init__(self, base: str, timeout: float = 60.0):
        self.base = base
        self.timeout = timeout

    def open(self, method: str, path: str, headers=None, json_body=None) -> Response:
        data = None
        h = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            h["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return Response(r.status, r.read(), r.headers)
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read(), err.headers)
        except http.client.HTTPException as err:
            # A worker killed while it sent the answer (IncompleteRead): the request failed, as a
            # dropped connection does.
            raise ConnectionError(f"{type(err).__name__}: {err}") from err

    def post(self, path, headers=None, json=None):
        return self.open("POST", path, headers, json)

    def get(self, path, headers=None):
        return self.open("GET", path, headers)


class LiveServer:
    """gunicorn (1 worker, gthread) on a free loopback port, serving `module:app` against `database_url`."""

    def __init__(self, database_url: str, instance: Path, env: dict | None = None, app: str = "tests.sync.crash_app:app",
                 workers: int = 1, threads: int = 4):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = Path(instance) / f"gunicorn-{self.port}.log"
        self.env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": database_url, "DSR_INSTANCE_PATH": str(instance),
                    "PYTHONPATH": str(ROOT), **(env or {})}
        self.cmd = [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{self.port}",
                    "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
                    "--timeout", "120", "--graceful-timeout", "2", "--no-control-socket", "--chdir", str(ROOT), app]
        self.proc = None

    def __enter__(self) -> "LiveServer":
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=open(self.log, "wb"), stderr=subprocess.STDOUT)
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        client = HttpClient(self.base, timeout=5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text(errors='replace')[-3000:]}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not become ready: {self.log.read_text(errors='replace')[-3000:]}")

    def client(self, timeout: float = 60.0) -> HttpClient:
        return HttpClient(self.base, timeout)

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
