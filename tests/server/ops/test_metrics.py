"""Prometheus metrics at /metrics (issue 21): off unless allowed, and what an operator watches
moves when the system works: request latency by route, sync push/pull and mutation results,
tus bytes and completions, outbox backlog and age, webhook failures, draw durations, worker
liveness; several processes add up in multiprocess mode."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from server.config import ConfigError
from tests.conftest import ROOT, base_config
from tests.server.delivery.receiver import Receiver
from tests.support.field import complete_inspection


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def app_config():
    return {"METRICS_ALLOW": "127.0.0.1, ::1"}


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample in an exposition (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = ",".join(sorted(p for p in re.findall(r'\w+="[^"]*"', m.group(2) or "")))
        if all(f'{k}="{v}"' in got for k, v in labels.items()) or (not labels and not want):
            total += float(m.group(3))
    return total


def scrape(client) -> str:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.content_type.startswith("text/plain"), r.status_code
    return r.get_data(as_text=True)


def test_metrics_are_off_by_default_and_bound_to_the_allow_list(tmp_path):
    from server import create_app

    cfg = {**base_config(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"}
    assert create_app(cfg).test_client().get("/metrics").status_code == 404
    other = create_app({**cfg, "METRICS_ALLOW": "10.0.0.0/8"}).test_client()
    r = other.get("/metrics")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert other.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    with pytest.raises(ConfigError, match="METRICS_ALLOW"):
        create_app({**cfg, "METRICS_ALLOW": "intranet"})


def test_field_work_moves_the_metrics(app, client, login):
    before = scrape(client)
    ctx = complete_inspection(client, login("office"))
    after = scrape(client)

    def delta(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("dsr_http_request_duration_seconds_count", route="/api/v1/sync/push", method="POST", status="200") > 0
    assert delta("dsr_sync_duration_seconds_count", op="push") > 0
    assert delta("dsr_sync_duration_seconds_count", op="pull") > 0
    assert delta("dsr_sync_mutations_total", result="applied") >= 5
    assert delta("dsr_tus_bytes_total") > 0
    assert delta("dsr_uploads_completed_total", kind="photo") >= 1
    assert delta("dsr_uploads_completed_total") == len(ctx["media"])  # every evidence file, once
    # Route templates, never concrete paths with ids.
    assert not re.search(r'route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}', after)


def test_outbox_backlog_webhook_failures_and_worker_liveness(app, client, delivery):
    text = scrape(client)
    assert sample(text, "dsr_outbox_backlog") == 0 and sample(text, "dsr_outbox_oldest_age_seconds") == 0
    with Receiver(script=[(500, {})]) as rx:
        _, secret = delivery.endpoint("sthj", rx.url)
        rx.secrets = [secret]
        delivery.enqueue("sthj", "p1")
        assert sample(scrape(client), "dsr_outbox_backlog") == 1
        before = scrape(client)
        delivery.run_once()
    after = scrape(client)
    assert sample(after, "dsr_webhook_failures_total", reason="500") - sample(before, "dsr_webhook_failures_total",
                                                                             reason="500") == 1
    assert sample(after, "dsr_outbox_backlog") == 1 and sample(after, "dsr_outbox_oldest_age_seconds") >= 0
    beat = sample(after, "dsr_worker_heartbeat_timestamp_seconds")
    assert beat > 0 and beat >= sample(before, "dsr_worker_heartbeat_timestamp_seconds")


def test_processes_add_up_in_multiprocess_mode(tmp_path):
    """Two processes (two gunicorn workers) report; a third one's exposition has both."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    report = textwrap.dedent("""
        from server.observability import metrics
        metrics.observe_sync("push", 0.01, [{"status": "applied"}, {"status": "duplicate"}])
        metrics.worker_alive(1000.0)
    """)
    for _ in range(2):
        subprocess.run([sys.executable, "-c", report], env=env, check=True)
    out = subprocess.run([sys.executable, "-c", "from server.observability import metrics; "
                          "import sys; sys.stdout.write(metrics.exposition()[0].decode())"],
                         env=env, check=True, capture_output=True, text=True).stdout
    assert sample(out, "dsr_sync_mutations_total", result="applied") == 2
    assert sample(out, "dsr_sync_mutations_total", result="duplicate") == 2
    assert sample(out, "dsr_sync_duration_seconds_count", op="push") == 2
    assert sample(out, "dsr_worker_heartbeat_timestamp_seconds") == 1000.0
