"""One JSON line per request and per worker job (LOG_FORMAT=json; the default in production).

A line carries only what the code puts in it: time, level, logger, message, and for a request
its id, the user id, method, route template (never the path's query string), status and
duration. Keys that could hold secrets or personal data are dropped whatever their source
(passwords, tokens, ID-card and phone numbers), so a careless `extra=` cannot leak them.
The request id is the one in the X-Request-ID header and in every problem+json body
(`instance: urn:request:<id>`), so a user's screenshot of an error finds its log line.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time

from flask import Flask, g, request

from . import metrics

REQUEST_LOGGER = "dsr.request"
JOB_LOGGER = "dsr.job"
_FORBIDDEN = re.compile(r"pass(word)?|token|secret|authorization|cookie|id_?number|id_?card|phone|mobile", re.IGNORECASE)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def safe_fields(fields: dict) -> dict:
    """The fields minus any whose key could name a secret or a personal number."""
    return {k: v for k, v in fields.items() if not _FORBIDDEN.search(k)}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        line.update(safe_fields({k: v for k, v in vars(record).items() if k not in _STANDARD}))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(fmt: str | None) -> None:
    """LOG_FORMAT=json: every log line on stderr is one JSON object (journald / a log shipper reads it)."""
    if fmt != "json":
        return
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def install(app: Flask) -> None:
    """Time every request: one metric observation and one log line."""
    log = logging.getLogger(REQUEST_LOGGER)

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()

    @app.after_request
    def _done(resp):
        started = g.pop("request_started", None)
        if started is None:
            return resp
        seconds = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        metrics.observe_request(request.method, route, resp.status_code, seconds)
        principal = g.get("principal")
        log.info("%s %s %s", request.method, route, resp.status_code, extra={
            "request_id": g.get("request_id"), "user_id": getattr(principal, "user_id", None),
            "method": request.method, "route": route, "status": resp.status_code,
            "duration_ms": round(seconds * 1000, 2), "remote": request.remote_addr})
        return resp


def job_line(job: str, outcome: str, seconds: float, **fields) -> None:
    """One line per worker job (a delivery attempt, a periodic pass)."""
    logging.getLogger(JOB_LOGGER).info("%s %s", job, outcome, extra={
        **safe_fields(fields), "job": job, "outcome": outcome, "duration_ms": round(seconds * 1000, 2)})
