"""Every HTML page sends a CSP without inline scripts (the API docs' loader by its hash only),
frame-ancestors 'none' and a Referrer-Policy; media are `private, no-cache` with ETags (issue 19)."""
from __future__ import annotations

import base64
import hashlib
import re

import pytest



def _check_page(client, path):
    r = client.get(path)
    assert r.mimetype == "text/html", (path, r.status_code)
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert r.headers["Referrer-Policy"] == "no-referrer" and r.headers["X-Frame-Options"] == "DENY"
    # Every inline script on the page is allowed by its hash, and only those.
    body = r.get_data()
    inline = re.findall(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", body, re.S)
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in script_src
    assert script_src.count("'sha256-") == len(inline)


@pytest.mark.parametrize("path", ["/", "/review", "/api/v1/docs"])
def test_html_pages_send_a_strict_csp(client, path):
    _check_page(client, path)


@pytest.mark.parametrize("seed_level", ["field"])
def test_record_verification_page_sends_a_strict_csp(client, login, seed_level):
    from tests.support.field import complete_inspection

    ctx = complete_inspection(client, login("office"))
    _check_page(client, f"/verify/{ctx['visit_id']}")


def test_instance_files_are_private(app):
    import os
    import stat
    from pathlib import Path

    from server import keys

    with app.app_context():
        keys.public_key_b64()  # created on first use
    instance = Path(app.instance_path)
    for name in ("ed25519_private.pem",):
        assert stat.S_IMODE(os.stat(instance / name).st_mode) == 0o600
