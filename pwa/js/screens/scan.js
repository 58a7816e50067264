// The leader's phone scans the members' handoff codes with the camera (BarcodeDetector where the
// browser has it, else jsQR), in any order; a complete, verified section is queued and applied in
// the member's name. The newest handover of each member is kept, and the screen says so.
import { h, mount, setTitle, section } from '../ui.js';
import { load, deptName, isLeader, sealed } from '../model.js';
import { Collector } from '../handoff-codec.js';
import { receiveSection, receivedSections } from '../handoff.js';
import { hhmm } from '../util.js';

export const noAutoRefresh = true; // the camera view stays up while syncs come and go
let stopCurrent = () => {};

function loadJsQR() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/vendor/jsqr/jsQR.js';
    s.onload = () => resolve(window.jsQR);
    s.onerror = () => reject(new Error('无法加载二维码识别组件'));
    document.head.append(s);
  });
}

/** A function reading QR texts from a video frame drawn on `canvas`. */
async function reader(canvas) {
  if ('BarcodeDetector' in window) {
    try {
      if ((await window.BarcodeDetector.getSupportedFormats()).includes('qr_code')) {
        const det = new window.BarcodeDetector({ formats: ['qr_code'] });
        return async () => (await det.detect(canvas)).map((c) => c.rawValue);
      }
    } catch { /* fall back to jsQR */ }
  }
  const jsQR = await loadJsQR();
  const g = canvas.getContext('2d', { willReadFrequently: true });
  return async () => {
    const img = g.getImageData(0, 0, canvas.width, canvas.height);
    const found = jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' });
    return found ? [found.data] : [];
  };
}

function receivedList(visit, task, got) {
  const members = visit.team.filter((m) => m.role !== 'leader');
  return h('ul', { class: 'plain handoffs' }, members.map((m) => {
    const s = got[m.user_id];
    return h('li', { class: s ? 'got' : 'waiting', 'data-user': String(m.user_id) },
      h('strong', {}, `${deptName(task, m.department_id)} ${m.name}`),
      h('span', {}, s ? `：已接收第 ${s.seq} 次交接（${hhmm(s.handed_at)}，${s.count} 条记录）✔` : '：尚未交接'));
  }));
}

export async function render({ id }) {
  stopCurrent();
  const ctx = await load(id);
  if (!ctx) { location.hash = '#/'; return; }
  const { visit, task, me } = ctx;
  setTitle('接收组员交接', `#/visit/${id}/sign`);
  if (!isLeader(visit, me) || sealed(visit)) {
    mount(section('接收组员交接', h('p', {}, sealed(visit) ? '记录已封存。' : '只有检查组组长的手机接收组员的交接码。')));
    return;
  }
  const status = h('p', { class: 'big-text scan-status', role: 'status' }, '正在打开摄像头…');
  const result = h('div', { class: 'scan-result', 'aria-live': 'polite' });
  const video = h('video', { class: 'scan-video', playsinline: true, muted: true, autoplay: true });
  const canvas = h('canvas', { hidden: true });
  const list = h('div', {}, receivedList(visit, task, await receivedSections(id)));
  mount(section('扫描组员手机上的交接码', h('p', {}, '组员在本检查的“签名”页点“向组长交接”，将二维码对准取景框；有多张时依次扫描，顺序不限。'),
    video, status, result), section('各部门交接情况', list),
  h('a', { class: 'button primary big', href: `#/visit/${id}/sign` }, '返回核对与签名'));

  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch (e) {
    status.textContent = `无法使用摄像头：${e.message || e.name}。请在浏览器设置中允许本应用使用摄像头。`;
    return;
  }
  let running = true;
  stopCurrent = () => { running = false; stream.getTracks().forEach((t) => t.stop()); };
  window.addEventListener('hashchange', () => stopCurrent(), { once: true });
  video.srcObject = stream;
  await video.play().catch(() => {});
  const read = await reader(canvas);
  const collector = new Collector();
  status.textContent = '请对准交接码';
  while (running) {
    if (video.videoWidth) {
      canvas.width = video.videoWidth; canvas.height = video.videoHeight;
      canvas.getContext('2d', { willReadFrequently: true }).drawImage(video, 0, 0);
      for (const text of await read()) {
        const r = await collector.add(text);
        if (r.state === 'partial' || r.state === 'repeat') status.textContent = `已扫描 ${r.have} / ${r.count} 张，请扫描下一张`;
        else if (r.state === 'corrupt') status.textContent = '交接内容校验不一致，请让组员重新显示交接码后再扫描。';
        else if (r.state === 'done') await taken(visit, me, r.section, status, result, list, task);
      }
    }
    await new Promise((res) => setTimeout(res, 150));
  }
}

async function taken(visit, me, sec, status, result, list, task) {
  let r;
  try { r = await receiveSection((await load(visit.id)).visit, me, sec); } catch (e) {
    status.textContent = e.message; return;
  }
  const who = visit.team.find((m) => m.user_id === sec.member_user_id);
  const name = `${deptName(task, who.department_id)} ${who.name}`;
  const text = {
    new: `已接收 ${name} 的交接内容（第 ${sec.seq} 次，${sec.mutations.length} 条记录）。`,
    newer: `已更新为 ${name} 最新的交接内容（第 ${sec.seq} 次，${hhmm(sec.handed_at)}），取代第 ${r.previous?.seq} 次。`,
    same: `${name} 的这次交接已接收过，内容相同。`,
    older: `本机已有 ${name} 更新的交接（第 ${r.previous?.seq} 次），这次扫描的是较早的第 ${sec.seq} 次，未采用。`,
  }[r.state];
  status.textContent = '可继续扫描其他组员的交接码';
  result.replaceChildren(h('p', { class: `banner ${r.state === 'older' ? 'warn' : 'ok'}`, 'data-state': r.state }, text));
  list.replaceChildren(receivedList(visit, task, await receivedSections(visit.id)));
}
