"""The handoff payload in the browser (docs/field-contract.md, "Handoff by QR code"): a typical
section (10 checkpoints, 3 findings, 8 photos) fits in at most 3 codes of version ≤ 20 at level M;
frames decode in any order; a damaged frame or a changed section is refused."""
from __future__ import annotations

import pytest

from tests.pwa.helpers import login

pytestmark = pytest.mark.browser

SECTION_JS = """async () => {
  const codec = await import('/js/handoff-codec.js');
  const { default: qrcode } = await import('/vendor/qrcode-generator/qrcode.mjs');
  const visit = crypto.randomUUID();
  const hex = () => [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const at = (m) => `2026-12-06T10:${String(m).padStart(2, '0')}:00+08:00`;
  const muts = [];
  let id = 40;
  const add = (name, args) => muts.push({ id: id++, name, client_time: at(id % 60), args: { visit_id: visit, ...args } });
  const photos = [];
  for (let i = 0; i < 8; i++) {
    const media_id = crypto.randomUUID();
    photos.push(media_id);
    add('media.attach', { media_id, sha256: hex(), kind: 'photo', target: { type: i < 5 ? 'answer' : 'finding', id: i < 5 ? `31:cp${i + 1}` : null },
      claim: { captured_at: at(i), filename: `IMG_2026120${i}_10${i}512.jpg`, size: 2345678 + i * 1111, device: 'pwa' } });
  }
  for (let i = 0; i < 10; i++) add('answer.set', { item_id: 31 + (i >> 2), checkpoint_key: `cp${(i % 4) + 1}`, value: i === 3 ? 'fail' : 'pass',
    note: i % 3 === 0 ? '现场查看，符合要求' : null, base_version: null });
  for (let i = 0; i < 3; i++) add('finding.add', { finding_id: crypto.randomUUID(), item_id: 31 + i, checkpoint_key: `cp${i + 1}`,
    description: ['安全出口被货物堵塞，已当场督促清理', '消防器材过期未更换，责令限期更换', '员工未经安全生产教育培训上岗'][i],
    legal_basis: '《中华人民共和国安全生产法》第二十八条', measures: ['onsite_record', 'urge_rectify'], rectify_deadline: '2026-12-20',
    media_ids: photos.slice(5 + i, 6 + i) });
  const section = { v: 1, visit_id: visit, member_user_id: 36, client_id: crypto.randomUUID(), seq: 1, handed_at: at(30), mutations: muts };
  const enc = await codec.encodeSection(section);
  const versions = enc.frames.map((f) => { const q = qrcode(0, 'M'); q.addData(f, 'Alphanumeric'); q.make(); return (q.getModuleCount() - 17) / 4; });
  // In any order, with a repeat and a damaged frame in between.
  const c = new codec.Collector();
  const states = [];
  const damaged = enc.frames[0].slice(0, 60) + (enc.frames[0][60] === 'A' ? 'B' : 'A') + enc.frames[0].slice(61);
  states.push((await c.add(damaged)).state);
  states.push((await c.add('https://example.com')).state);
  let done = null;
  for (const f of [...enc.frames].reverse().concat([enc.frames[0]])) {
    const r = await c.add(f);
    states.push(r.state);
    if (r.state === 'done') done = r.section;
  }
  return { count: enc.frames.length, chars: enc.frames.map((f) => f.length), versions, json: enc.json_bytes, deflated: enc.deflated_bytes,
    states, same: JSON.stringify(done && done.mutations) === JSON.stringify(section.mutations), sha: enc.sha256, got: done && done.section_sha256,
    alnum: enc.frames.every((f) => /^[0-9A-Z $%*+\\-.\\/:]+$/.test(f)) };
}"""


def test_typical_section_fits_three_readable_codes_and_round_trips(page, live, fu):
    base, _ = live
    login(page, base, fu["username"])
    r = page.evaluate(SECTION_JS)
    print(f"\nhandoff section 10 checkpoints / 3 findings / 8 photos: JSON {r['json']} B, deflated {r['deflated']} B, "
          f"{r['count']} codes of {r['chars']} characters, QR versions {r['versions']} (level M)")
    assert r["count"] <= 3 and max(r["versions"]) <= 20, r
    assert r["alnum"], "every frame is QR alphanumeric text"
    assert r["states"][:2] == ["ignored", "ignored"], r["states"]  # the damaged chunk fails its own SHA-256
    assert "done" in r["states"] and r["same"] and r["got"] == r["sha"], r
