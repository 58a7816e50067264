"""Standard Webhooks: secrets, signatures and one HTTP attempt.

Headers (Standard Webhooks 1.0): `webhook-id` (the message id, the same on
every retry), `webhook-timestamp` (unix seconds of this attempt) and
`webhook-signature`: space-separated `v1,<base64 HMAC-SHA256>` over
`{id}.{timestamp}.{body}` keyed with the base64-decoded secret. During a
rotation the body is signed with the new and the previous secret, so a
receiver holding either verifies.

The request is sent with the standard library (no runtime dependency):
redirects are not followed (a 3xx counts as a failure, as the spec advises),
proxies from the environment are ignored unless `DELIVERY_PROXY` is set, and
the whole attempt has a deadline, not only each socket operation.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import hashlib
import hmac
import http.client
import re
import secrets
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
SNIPPET_BYTES = 1000
USER_AGENT = "xinzhou-dsr-webhooks/1"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def new_secret(nbytes: int = SECRET_BYTES) -> str:
    """A fresh `whsec_…` secret of `nbytes` random bytes (24–64)."""
    if not MIN_SECRET_BYTES <= nbytes <= MAX_SECRET_BYTES:
        raise ValueError("secret length must be 24–64 bytes")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_…` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("webhook secrets start with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("webhook secret is not valid base64") from exc
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise ValueError("webhook secret must decode to 24–64 bytes")
    return key


def sign(msg_id: str, timestamp: int, body: str, secret: str) -> str:
    """One `v1,<base64>` signature."""
    to_sign = f"{msg_id}.{timestamp}.{body}".encode("utf-8")
    digest = hmac.new(secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(msg_id: str, timestamp: int, body: str, secrets_: list[str]) -> dict[str, str]:
    """The request headers for one attempt, signed with every secret given (current first)."""
    if "." in msg_id or not secrets_:
        raise ValueError("message ids may not contain '.', and at least one secret is needed")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": " ".join(sign(msg_id, int(timestamp), body, s) for s in secrets_),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def parse_retry_after(value: str | None, now: dt.datetime) -> int | None:
    """Seconds asked for by `Retry-After` (delta-seconds or an HTTP date); None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(int(value), 10**9)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0, int((when - now).total_seconds() + 0.999))


def check_url(url: str, allow_http: bool) -> str | None:
    """Why `url` cannot be an endpoint (Chinese text), or None when it can."""
    if len(url) > 2000:
        return "网址过长（最多 2000 个字符）。"
    if _CONTROL.search(url) or any(c.isspace() for c in url):
        return "网址不能包含空白或控制字符。"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return "网址格式不正确。"
    schemes = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in schemes:
        return "接收端点须使用 HTTPS 网址。" if not allow_http else "网址须以 http:// 或 https:// 开头。"
    if not parts.hostname:
        return "网址缺少主机名。"
    if parts.username or parts.password:
        return "网址中不能包含用户名或密码。"
    if parts.fragment:
        return "网址不能包含 # 片段。"
    return None


@dataclass
class Result:
    """What one attempt produced: a status code, or an error when no response came."""

    status_code: int | None
    retry_after: str | None = None
    snippet: str | None = None
    error: str | None = None
    duration_ms: int = 0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx surfaces as an HTTPError: a failed attempt


def _opener(proxy: str | None) -> urllib.request.OpenerDirector:
    proxies = {"http": proxy, "https": proxy} if proxy else {}
    return urllib.request.build_opener(urllib.request.ProxyHandler(proxies), _NoRedirect())


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _read_snippet(resp, deadline: float) -> str:
    """Up to SNIPPET_BYTES of the body, reading in small pieces so a slow drip cannot outlive the deadline."""
    chunks, size = [], 0
    while size < SNIPPET_BYTES and time.monotonic() < deadline:
        piece = resp.read(min(256, SNIPPET_BYTES - size))
        if not piece:
            break
        chunks.append(piece)
        size += len(piece)
    return _clean(b"".join(chunks).decode("utf-8", errors="replace"))


def post(url: str, body: str, headers: dict[str, str], timeout: float, proxy: str | None = None) -> Result:
    """POST one signed message; never raises for network trouble (it becomes `Result.error`)."""
    started = time.monotonic()
    deadline = started + timeout
    req = urllib.request.Request(url, data=body.encode("utf-8"), headers=headers, method="POST")

    def done(**kw) -> Result:
        return Result(duration_ms=int((time.monotonic() - started) * 1000), **kw)

    try:
        with _opener(proxy).open(req, timeout=timeout) as resp:
            return done(status_code=resp.status, retry_after=resp.headers.get("Retry-After"),
                        snippet=_read_snippet(resp, deadline))
    except urllib.error.HTTPError as err:  # any non-2xx, 3xx included
        try:
            snippet = _read_snippet(err, deadline)
        except (OSError, ValueError):
            snippet = None
        finally:
            err.close()
        return done(status_code=err.code, retry_after=err.headers.get("Retry-After") if err.headers else None,
                    snippet=snippet)
    except (socket.timeout, TimeoutError):
        return done(status_code=None, error=f"超时：{timeout:g} 秒内未收到完整响应。")
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return done(status_code=None, error=f"超时：{timeout:g} 秒内未收到完整响应。")
        if isinstance(reason, ssl.SSLError):
            return done(status_code=None, error=_clean(f"TLS 握手失败：{reason}")[:400])
        return done(status_code=None, error=_clean(f"连接失败：{reason}")[:400])
    except (OSError, ValueError, http.client.HTTPException) as err:
        return done(status_code=None, error=_clean(f"连接异常：{type(err).__name__}: {err}")[:400])

