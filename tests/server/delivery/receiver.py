"""A real webhook receiver on loopback, verifying every request with the `standardwebhooks` package.

It plays a script of responses (e.g. 500, then 503 with Retry-After, then
200), deduplicates on `webhook-id` like a careful receiver would, and can
hang on its first request (after recording it) to let a test kill the worker
mid-delivery.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Seen:
    webhook_id: str
    timestamp: str
    signature: str
    body: str
    verified_with: list[int]  # indexes into Receiver.secrets that verified this request
    status: int


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    script: list[tuple[int, dict]] = field(default_factory=list)
    hang_first: bool = False

    def __post_init__(self):
        self.requests: list[Seen] = []
        self.accepted: dict[str, dict] = {}  # webhook-id → payload, processed once
        self.duplicates = 0
        self.lock = threading.Lock()
        self.got_request = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                receiver._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/dsr"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length", 0))).decode("utf-8")
        headers = {k: v for k, v in h.headers.items()}
        verified = []
        for i, secret in enumerate(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
                verified.append(i)
            except WebhookVerificationError:
                pass
        with self.lock:
            first = not self.requests
            status, extra = (self.script.pop(0) if self.script else (200, {}))
            if not verified:
                status, extra = 401, {}
            if 200 <= status < 300:
                wid = h.headers.get("webhook-id")
                if wid in self.accepted:
                    self.duplicates += 1
                else:
                    self.accepted[wid] = json.loads(body)
            self.requests.append(Seen(h.headers.get("webhook-id", ""), h.headers.get("webhook-timestamp", ""),
                                      h.headers.get("webhook-signature", ""), body, verified, status))
        if first and self.hang_first:
            self.got_request.set()
            self.release.wait(60)
        else:
            self.got_request.set()
        try:
            h.send_response(status)
            for k, v in extra.items():
                h.send_header(k, v)
            h.send_header("Content-Type", "text/plain; charset=utf-8")
            h.end_headers()
            h.wfile.write(f"status {status}".encode())
        except OSError:
            pass  # the worker is gone (killed mid-delivery)
