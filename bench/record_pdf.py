"""Record PDF rendering: time and size (prints figures only).

    .venv/bin/python bench/record_pdf.py [--runs 5]

Renders the test fixture record (3 pages), its refusal variant and a 60-checkpoint variant,
interleaved, and prints the median and spread of the wall time and the PDF size. The font
step (subset of Noto Sans SC + conversion to TrueType outlines) is timed on its own too.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.review.pdf import render_record_pdf  # noqa: E402
from server.review.pdf_font import embeddable_font, locate_font, texts  # noqa: E402
from tests.server.review.pdf_fixture import record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cases = {"fixture": record(), "refusal": record(refused=True), "60 checkpoints": record(checkpoints=60)}
    font = locate_font()
    print(f"font: {font.path} (index {font.index}, {font.path.stat().st_size / 1e6:.1f} MB)")
    times: dict[str, list[float]] = {name: [] for name in [*cases, "font subset only"]}
    sizes: dict[str, int] = {}
    for _ in range(args.runs):
        for name, rec in cases.items():
            t = time.perf_counter()
            data = render_record_pdf(rec, font)
            times[name].append(time.perf_counter() - t)
            sizes[name] = len(data)
        t = time.perf_counter()
        sub = embeddable_font(font, "".join(texts(cases["fixture"])))
        times["font subset only"].append(time.perf_counter() - t)
        sizes["font subset only"] = len(sub)
    for name, values in times.items():
        print(f"{name:18s} median {statistics.median(values) * 1000:7.0f} ms  "
              f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})  {sizes[name] / 1024:6.1f} KiB")


if __name__ == "__main__":
    main()
