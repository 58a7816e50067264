"""Photos and videos are hashed on the phone slice by slice (@noble/hashes), never read whole.

A phone video of hundreds of MB read into one ArrayBuffer can crash the tab; ids.js reads
1 MiB slices into an incremental SHA-256 instead. These tests check the digest against
WebCrypto and Python at the slice boundaries, and pick a 48 MB video through the checklist's
"录像" button: the reads stay slice-sized, the live memory mid-hash stays far below the
file's size, the progress line counts up, and the hash the phone sends is the one the server
stores after the upload.
"""
from __future__ import annotations

import hashlib
import random
import re

import pytest
from sqlalchemy import select

from tests.media.builders import mdat_header, mp4_head
from tests.pwa.helpers import login, server_upload, wait_synced

pytestmark = pytest.mark.browser

SLICE = 1024 * 1024  # ids.js HASH_SLICE
VIDEO_SIZE = 48 * 1024 * 1024
PATTERN_JS = "(i) => (i * 31 + (i >>> 8)) & 255"


def _pattern(n: int) -> bytes:
    """The bytes the page builds with PATTERN_JS."""
    row = bytes((i * 31) & 255 for i in range(256))
    return b"".join(bytes((b + hi) & 255 for b in row) for hi in range(-(-n // 256)))[:n]


def test_incremental_sha256_equals_webcrypto_at_slice_boundaries(live, page, errors):
    base, _ = live
    page.goto(base + "/")
    sizes = [0, 1, SLICE - 1, SLICE, SLICE + 1, 2 * SLICE + 3]
    got = page.evaluate(f"""async (sizes) => {{
      const ids = await import('/js/ids.js');
      const byte = {PATTERN_JS};
      const subtle = async (u8) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', u8))]
        .map((b) => b.toString(16).padStart(2, '0')).join('');
      const out = [];
      for (const n of sizes) {{
        const u8 = new Uint8Array(n);
        for (let i = 0; i < n; i++) u8[i] = byte(i);
        // A multi-part Blob whose parts do not line up with the slices; `odd` slices end mid-block.
        const blob = new Blob([u8.subarray(0, n >> 1), u8.subarray(n >> 1)]);
        const seen = [];
        out.push({{ n, slice: ids.HASH_SLICE, blob: await ids.sha256Hex(blob, {{ onProgress: (d, t) => seen.push([d, t]) }}),
          odd: await ids.sha256Blob(blob, {{ slice: 1000003 }}), subtle: await subtle(u8), bytes: await ids.sha256Hex(u8),
          buffer: await ids.sha256Hex(u8.buffer), seen }});
      }}
      return out;
    }}""", sizes)
    data = _pattern(max(sizes))
    for row in got:
        n = row["n"]
        want = hashlib.sha256(data[:n]).hexdigest()
        assert row["slice"] == SLICE
        assert row["blob"] == row["odd"] == row["subtle"] == row["bytes"] == row["buffer"] == want, n
        slices = -(-n // SLICE)
        assert row["seen"] == [[min((k + 1) * SLICE, n), n] for k in range(slices)], n
    assert not errors, errors


# Instruments Blob.prototype.arrayBuffer (every read the page makes, old code or new): records
# each read's size and, once half the file's bytes were read, holds the reader with its buffer
# alive until the test releases it. A MutationObserver keeps every text the progress line shows.
PROBE = """(half) => {
  const probe = window.__probe = { reads: [], held: false, status: [] };
  const gate = new Promise((resolve) => { probe.release = resolve; });
  const read = Blob.prototype.arrayBuffer;
  let total = 0;
  Blob.prototype.arrayBuffer = async function () {
    const buf = await read.call(this);
    probe.reads.push(buf.byteLength);
    total += buf.byteLength;
    if (!probe.held && total >= half) { probe.held = true; await gate; }
    return buf;
  };
  new MutationObserver(() => {
    const el = document.querySelector('.hash-status');
    const text = el && !el.hidden ? el.textContent : null;
    if (text && text !== probe.status[probe.status.length - 1]) probe.status.push(text);
  }).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
}"""


def _live_bytes(cdp) -> dict:
    """JS heap plus ArrayBuffer backing stores of the page, after a full garbage collection."""
    cdp.send("HeapProfiler.collectGarbage")
    usage = cdp.send("Runtime.getHeapUsage")
    return {"heap": usage["usedSize"], "buffers": usage.get("backingStorageSize", 0)}


def test_big_video_is_hashed_in_slices_and_uploaded(app, fu, live, page, context, tmp_path, shot, errors):
    base, _ = live
    video = tmp_path / "VID_20261129_101500.mp4"
    head = mp4_head(timescale=600, duration=600 * 95)
    head += mdat_header(VIDEO_SIZE - len(head) - 8)
    video.write_bytes(head + random.Random(7).randbytes(VIDEO_SIZE - len(head)))
    want = hashlib.sha256(video.read_bytes()).hexdigest()

    login(page, base, fu["username"])
    page.goto(f"{base}/#/visit/{fu['visits'][0]}/check")
    li = page.locator("li.checkpoint[data-key='1:cp1']")
    li.get_by_role("button", name="合格", exact=True).click()
    page.wait_for_selector("li.checkpoint[data-key='1:cp1'] button.pass[aria-pressed=true]")
    cdp = context.new_cdp_session(page)
    before = _live_bytes(cdp)
    page.evaluate(PROBE, VIDEO_SIZE // 2)
    li.locator("input[type=file][accept='video/*']").set_input_files(str(video))
    page.wait_for_function("window.__probe.held")

    # Mid-hash, with the reader holding its latest buffer: what is alive is one slice, not the file.
    during = _live_bytes(cdp)
    growth = (during["heap"] - before["heap"]) + (during["buffers"] - before["buffers"])
    print(f"live JS heap + ArrayBuffers mid-hash: {growth / 2**20:.1f} MiB more than before "
          f"(file {VIDEO_SIZE / 2**20:.0f} MiB; heap {before['heap'] / 2**20:.1f} → {during['heap'] / 2**20:.1f} MiB, "
          f"buffers {before['buffers'] / 2**20:.1f} → {during['buffers'] / 2**20:.1f} MiB)")
    assert growth < VIDEO_SIZE // 4, growth
    status = page.locator("li.checkpoint[data-key='1:cp1'] .hash-status")
    assert re.fullmatch(r"正在计算校验值 \d{1,2}%", status.inner_text()), status.inner_text()
    status.scroll_into_view_if_needed()
    shot(page, "18-video-hashing", top=False)
    page.evaluate("window.__probe.release()")

    page.wait_for_selector("li.checkpoint[data-key='1:cp1'] figure.thumb", timeout=60000)
    assert status.is_hidden()
    probe = page.evaluate("window.__probe")
    assert max(probe["reads"]) <= SLICE, f"a read of {max(probe['reads'])} bytes"
    percents = [int(re.fullmatch(r"正在计算校验值 (\d+)%", s).group(1)) for s in probe["status"]]
    assert percents == sorted(percents) and percents[-1] == 100 and len(percents) >= VIDEO_SIZE // SLICE // 2, percents

    row = page.evaluate("""async () => { const { all } = await import('/js/store.js');
      const m = (await all('media')).find((r) => r.kind === 'video'); return { media_id: m.media_id, sha256: m.sha256, size: m.size }; }""")
    assert row["sha256"] == want and row["size"] == VIDEO_SIZE
    wait_synced(page, 240000)
    page.wait_for_selector("li.checkpoint[data-key='1:cp1'] figcaption:has-text('已上传')", timeout=30000)
    page.locator("li.checkpoint[data-key='1:cp1']").scroll_into_view_if_needed()
    shot(page, "19-video-uploaded", top=False)

    done = server_upload(app, row["media_id"])
    assert done["offset"] == done["length"] == VIDEO_SIZE and done["stored_sha256"] == want
    from server.extensions import db
    from server.visits.models import MediaRef

    with app.app_context():
        ref = db.session.execute(select(MediaRef).where(MediaRef.media_id == row["media_id"])).scalars().one()
        assert (ref.sha256, ref.kind) == (want, "video")
        db.session.remove()
    assert not errors, errors
