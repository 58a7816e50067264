"""The production layout under deploy/ is valid for the real tools (issue 21): `nginx -t` on the
site, `systemd-analyze verify` on the units, gunicorn's own check of its settings. The tools are
Debian packages (.ci/run installs nginx); a machine without them skips, unless
REQUIRE_DEPLOY_TOOLS is set (as in CI)."""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None)
    if path is None:
        if os.environ.get("REQUIRE_DEPLOY_TOOLS"):
            pytest.fail(f"{name} is not installed (REQUIRE_DEPLOY_TOOLS is set)")
        pytest.skip(f"{name} is not installed")
    return path


def self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dsr.example.gov.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "privkey.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                             serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()))


def test_nginx_accepts_the_site(tmp_path):
    nginx = tool("nginx")
    self_signed(tmp_path)
    (tmp_path / "logs").mkdir()
    site = (DEPLOY / "nginx-dsr.conf").read_text()
    site = site.replace("/etc/ssl/dsr", str(tmp_path)).replace("/var/log/nginx", str(tmp_path / "logs"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/logs/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    r = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "syntax is ok" in r.stderr, r.stderr
    assert "[warn]" not in r.stderr and "[emerg]" not in r.stderr, r.stderr


def test_nginx_site_fits_tus_and_the_service_worker():
    site = (DEPLOY / "nginx-dsr.conf").read_text()
    uploads = re.search(r"location /api/v1/uploads/ \{(.*?)\}", site, re.DOTALL).group(1)
    assert "proxy_request_buffering off" in uploads
    size = int(re.search(r"client_max_body_size (\d+)m", uploads).group(1))
    assert size * 1024 * 1024 >= 1024 * 1024 * 1024  # the largest evidence file (video: 1 GiB)
    sw = re.search(r"location = /sw.js \{(.*?)\}", site, re.DOTALL).group(1)
    assert "proxy_pass" in sw and "no-store" in sw  # stamped by the app, never cached
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in site and "TRUSTED_PROXY_HOPS=1" in site
    assert "http2" in site and "TLSv1.3" in site


@pytest.mark.parametrize("unit", ["dsr-app.service", "dsr-worker.service"])
def test_systemd_units_verify(unit, tmp_path):
    analyze = tool("systemd-analyze")
    # The units name /opt/dsr (the install path); here the checkout stands in for it.
    text = (DEPLOY / unit).read_text().replace("/opt/dsr", str(ROOT))
    assert "Restart=" in text and "NoNewPrivileges=yes" in text and "ProtectSystem=strict" in text
    (tmp_path / unit).write_text(text)
    r = subprocess.run([analyze, "verify", str(tmp_path / unit)], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr


def test_gunicorn_settings_load():
    r = subprocess.run([sys.executable, "-m", "gunicorn", "--check-config", "-c", str(DEPLOY / "gunicorn.conf.py"),
                        "wsgi:app"], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "APP_ENV": "testing", "DSR_INSTANCE_PATH": "/tmp/dsr-gunicorn-check"})
    assert r.returncode == 0, r.stderr[-2000:]
