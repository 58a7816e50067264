// A member hands its section of a joint visit to the leader's phone with no network: one or more
// QR codes, shown one at a time (they advance by themselves; the leader's phone takes them in any
// order). Afterwards the phone says what was handed over, and whether it has changed since.
import qrcode from '/vendor/qrcode-generator/qrcode.mjs';
import { h, mount, setTitle, section } from '../ui.js';
import { load, memberName, sealed, isLeader } from '../model.js';
import { buildSection, markShown, handoverState } from '../handoff.js';
import { encodeSection } from '../handoff-codec.js';
import { hhmm } from '../util.js';

export const noAutoRefresh = true; // the codes on screen must not change while the leader scans them
let timer = null;

/** A QR code (alphanumeric mode, level M) drawn on a canvas with its 4-module quiet zone. */
export function qrCanvas(text, px = 320) {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Alphanumeric');
  qr.make();
  const n = qr.getModuleCount();
  const cell = Math.max(2, Math.floor(px / (n + 8)));
  const size = cell * (n + 8);
  const canvas = h('canvas', { class: 'qr', width: size, height: size, 'data-version': String((n - 17) / 4) });
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff'; g.fillRect(0, 0, size, size);
  g.fillStyle = '#000';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) g.fillRect((c + 4) * cell, (r + 4) * cell, cell, cell);
  return canvas;
}

export async function render({ id }) {
  clearInterval(timer);
  const ctx = await load(id);
  if (!ctx) { location.hash = '#/'; return; }
  const { visit, me } = ctx;
  setTitle('向组长交接', `#/visit/${id}/sign`);
  const leader = visit.team.find((m) => m.role === 'leader');
  if (isLeader(visit, me) || sealed(visit)) {
    mount(section('向组长交接', h('p', {}, sealed(visit) ? '记录已封存，无需交接。' : '组长的手机负责接收组员的交接码，无需交接。')));
    return;
  }
  const sec = await buildSection(id, me);
  if (!sec.mutations.length) {
    mount(section('向组长交接', h('p', {}, '本机没有尚未同步的本部门记录。已同步的内容组长联网后即可看到。')));
    return;
  }
  const before = await handoverState(id);
  const { frames, sha256 } = await encodeSection(sec);
  await markShown(sec, sha256, frames.length);
  const codes = frames.map((f, i) => h('figure', { class: 'qr-frame', hidden: i > 0, 'data-index': String(i) },
    qrCanvas(f), h('figcaption', {}, `第 ${i + 1} / ${frames.length} 张`)));
  let at = 0;
  const show = (i) => { at = (i + frames.length) % frames.length; codes.forEach((c, k) => { c.hidden = k !== at; }); };
  const counts = sec.mutations.reduce((acc, m) => ({ ...acc, [m.name]: (acc[m.name] || 0) + 1 }), {});
  const nav = frames.length > 1 ? h('div', { class: 'row' },
    h('button', { type: 'button', class: 'secondary', name: 'prev', onclick: () => { clearInterval(timer); show(at - 1); } }, '上一张'),
    h('button', { type: 'button', class: 'secondary', name: 'next', onclick: () => { clearInterval(timer); show(at + 1); } }, '下一张')) : null;
  if (frames.length > 1) timer = setInterval(() => { if (!document.body.contains(codes[0])) clearInterval(timer); else show(at + 1); }, 2500);
  const again = before.last && before.last.content_key !== sec.content_key;
  mount(
    section(`交给组长 ${leader ? leader.name : ''}`,
      h('p', { class: 'big-text' }, '请组长在“签名”页点“扫描组员交接码”，对准下方二维码。'),
      again ? h('p', { class: 'banner warn', role: 'status' }, `上次交接（第 ${before.last.seq} 次，${hhmm(before.last.handed_at)}）之后本机又有修改：请重新交接，组长手机将以最新的为准。`) : null,
      h('div', { class: 'qr-box' }, codes), nav),
    section('交接内容',
      h('ul', { class: 'plain' },
        h('li', {}, `交接人：${memberName(visit, visit.team.find((m) => m.user_id === me.user_id)?.inspector_id)}（${me.department.name}）`),
        h('li', {}, `检查要点 ${counts['answer.set'] || 0} 条，发现问题 ${(counts['finding.add'] || 0) + (counts['finding.update'] || 0)} 条，照片/视频 ${counts['media.attach'] || 0} 个`),
        h('li', {}, `第 ${sec.seq} 次交接，${hhmm(sec.handed_at)}`),
        h('li', { class: 'hash' }, `交接指纹 SHA-256：${sha256.slice(0, 16)}…`)),
      h('p', { class: 'hint' }, '照片和视频本身不经二维码传递：它们留在本机，联网后自动上传。本机的记录联网后也照常同步，服务器只计一次；与签名内容不一致的，会提示组长和审核人员。')));
}
