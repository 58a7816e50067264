"""gunicorn settings for production (deploy/dsr-app.service runs `gunicorn -c deploy/gunicorn.conf.py wsgi:app`).

Metrics in multiprocess mode: PROMETHEUS_MULTIPROC_DIR (set by the unit, an empty directory per
start) holds every worker's values; a worker that exits has its live gauges removed here.
"""
import os

from server.observability.metrics import mark_process_dead

bind = os.environ.get("DSR_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("DSR_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("DSR_THREADS", "4"))
# A tus PATCH of a slow phone may take minutes; nginx buffers nothing for uploads.
timeout = 300
graceful_timeout = 30
keepalive = 5
control_socket_disable = True
accesslog = None  # the app writes one JSON line per request (LOG_FORMAT=json)
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"


def child_exit(server, worker):
    mark_process_dead(worker.pid)
