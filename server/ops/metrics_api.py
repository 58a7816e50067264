"""`GET /metrics`: Prometheus exposition, off unless METRICS_ALLOW names who may scrape it.

METRICS_ALLOW is a comma-separated list of addresses or networks (e.g. `127.0.0.1,10.0.0.0/8`);
the client address is the TCP peer, or what the trusted proxies saw (TRUSTED_PROXY_HOPS). Anyone
else, and everyone when the list is empty, gets 404 as if the page did not exist. The outbox
backlog is read from the database at scrape time, so it is right whichever process scrapes.
"""
from __future__ import annotations

import datetime as dt
import ipaddress

from flask import Blueprint, Response, current_app, request
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..delivery.models import DELIVERING, PENDING, OutboxMessage
from ..errors import problem_response
from ..extensions import db
from ..observability import metrics

bp = Blueprint("metrics", __name__)


class OutboxCollector:
    """Messages waiting to be delivered and the age of the oldest, from the database."""

    def collect(self):
        try:
            count, oldest = db.session.execute(
                select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at))
                .where(OutboxMessage.status.in_((PENDING, DELIVERING)))).one()
        except SQLAlchemyError as exc:  # the database is down: the process metrics still go out
            current_app.logger.warning("metrics: outbox backlog unavailable: %s", exc)
            return
        finally:
            db.session.rollback()
        if isinstance(oldest, str):
            oldest = dt.datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        age = (dt.datetime.now(dt.UTC) - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily("dsr_outbox_backlog", "Outbox messages pending or being delivered", value=count)
        yield GaugeMetricFamily("dsr_outbox_oldest_age_seconds", "Age of the oldest undelivered outbox message",
                                value=max(age, 0.0))


def allowed(remote: str | None, networks: list) -> bool:
    try:
        addr = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    return any(addr in net for net in networks)


@bp.get("/metrics")
def scrape():
    networks = current_app.config["METRICS_ALLOW"]
    if not networks or not allowed(request.remote_addr, networks):
        return problem_response(404, "not_found", "未找到", "请求的资源不存在。")
    body, content_type = metrics.exposition([OutboxCollector()])
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
