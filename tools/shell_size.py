"""Reports the weight of the PWA shell: HTML + JS + CSS, each file gzipped (level 9), as the
service worker precaches it. Usage: python tools/shell_size.py [--budget-kb 200]

Exits 1 when the total (own code plus the vendored npm files) is over the budget.
"""
from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from server import web  # noqa: E402  (the shell files exactly as the server serves and precaches them)


def shell() -> list[tuple[str, Path]]:
    """(URL, file) of what the service worker precaches (server/web.py stamps that list into
    sw.js), and sw.js itself."""
    return [("/sw.js", web.PWA_DIR / "sw.js")] + [(web.shell_url(f), f) for f in web.shell_files()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget-kb", type=float, default=200.0)
    args = ap.parse_args()
    own = vendor = own_raw = vendor_raw = 0
    rows = []
    for url, p in shell():
        if p.suffix not in (".html", ".js", ".css"):
            continue  # icons and the manifest are not part of the HTML+JS+CSS weight
        data = p.read_bytes()
        gz = len(gzip.compress(data, 9))
        rows.append((url, len(data), gz))
        if url.startswith("/vendor/"):
            vendor, vendor_raw = vendor + gz, vendor_raw + len(data)
        else:
            own, own_raw = own + gz, own_raw + len(data)
    for url, raw, gz in sorted(rows, key=lambda r: -r[2]):
        print(f"{gz / 1024:8.1f} KB gz {raw / 1024:8.1f} KB  {url}")
    total = own + vendor
    print(f"own code:  {own / 1024:.1f} KB gzip ({own_raw / 1024:.1f} KB raw, {sum(1 for r in rows if not r[0].startswith('/vendor/'))} files)")
    print(f"vendored:  {vendor / 1024:.1f} KB gzip ({vendor_raw / 1024:.1f} KB raw: idb, signature_pad, tus-js-client, @noble/hashes sha256, qrcode-generator, jsqr)")
    print(f"shell total: {total / 1024:.1f} KB gzip (budget {args.budget_kb:.0f} KB) -> {'OK' if total <= args.budget_kb * 1024 else 'OVER BUDGET'}")
    return 0 if total <= args.budget_kb * 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
