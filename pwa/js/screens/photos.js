// Capturing photos and video: hashed on the phone (SHA-256), kept as the original
// bytes in IndexedDB, attached to the record, then uploaded with tus.
import { h } from '../ui.js';
import { sha256Hex, uuid } from '../ids.js';
import { enqueue } from '../outbox.js';
import { progress } from '../uploads.js';
import { isoNow } from '../util.js';
import * as api from '../api.js';
import { commentNotes } from '../review.js';

const SHOW_HASHING_FROM = 8 * 1024 * 1024; // bytes: below this, hashing is over in a blink
const urls = new Map();
function thumbUrl(row) {
  if (!urls.has(row.media_id)) urls.set(row.media_id, URL.createObjectURL(row.blob));
  return urls.get(row.media_id);
}

// The browser cannot draw HEIC/HEIF (iPhone photos) itself: show the server's JPEG thumbnail
// (media derivatives) once the original has arrived, and say so until then, never a broken image.
const DRAWABLE = /^image\/(jpeg|png|gif|webp|avif|bmp)$/i;
const serverThumbs = new Map();
function serverThumb(mediaId, img) {
  if (!serverThumbs.has(mediaId)) {
    serverThumbs.set(mediaId, (async () => {
      const resp = await fetch(`/api/v1/media/${mediaId}/thumb`, { headers: { Authorization: `Bearer ${await api.token()}` } });
      if (!resp.ok) throw new Error(String(resp.status));
      return URL.createObjectURL(await resp.blob());
    })().catch((e) => { serverThumbs.delete(mediaId); throw e; }));
  }
  serverThumbs.get(mediaId).then((url) => { img.src = url; img.hidden = false; img.nextSibling?.remove(); }).catch(() => {});
}

function thumbOf(m, row) {
  const heic = /hei[cf]/i.test(row?.type || '') || /\.hei[cf]$/i.test(row?.filename || '');
  if (row?.blob && DRAWABLE.test(row.type) && !heic) return h('img', { src: thumbUrl(row), alt: '现场照片' });
  if (m.kind !== 'photo' && !(row?.type || '').startsWith('image/')) return h('span', { class: 'nothumb' }, m.kind === 'video' ? '视频' : '文件');
  const label = h('span', { class: `nothumb${heic ? ' heic' : ''}` }, m.arrived ? '缩略图加载中' : heic ? 'HEIC 照片（上传后显示缩略图）' : '照片（上传后显示缩略图）');
  const img = h('img', { alt: '现场照片', hidden: true });
  if (m.arrived && navigator.onLine) serverThumb(m.media_id, img);
  return [img, label];
}

/**
 * Store and attach `files` (from an <input type=file>) to `target` of the visit.
 * `onProgress(done, total)` reports the bytes hashed so far, over all the files.
 */
export async function attachFiles(visitId, target, files, onProgress = null) {
  const rows = [];
  const total = files.reduce((n, f) => n + f.size, 0);
  let before = 0;
  for (const file of files) {
    const sha = await sha256Hex(file, { onProgress: onProgress && ((done) => onProgress(before + done, total)) });
    before += file.size;
    const kind = file.type.startsWith('video/') ? 'video' : file.type.startsWith('audio/') ? 'audio' : 'photo';
    const row = { media_id: uuid(), visit_id: visitId, blob: file, sha256: sha, type: file.type || 'image/jpeg',
      filename: file.name || 'photo.jpg', size: file.size, kind, done: false, url: null, created_at: Date.now() };
    rows.push(row);
  }
  for (const row of rows) {
    await enqueue(visitId, 'media.attach', { visit_id: visitId, media_id: row.media_id, sha256: row.sha256, kind: row.kind,
      target, claim: { captured_at: isoNow(), filename: row.filename, size: row.size, device: 'pwa' } }, [row]);
  }
  return rows.map((r) => r.media_id);
}

/** Thumbnails of what is attached to `target`, plus camera buttons (unless read-only). */
export function photoBlock(ctx, target, { readOnly = false, onChange, label = '拍照' } = {}) {
  const attached = ctx.visit.record.media.filter((m) => m.target?.type === target.type && m.target.id === target.id);
  const local = new Map(ctx.media.map((m) => [m.media_id, m]));
  const thumbs = attached.map((m) => {
    const row = local.get(m.media_id);
    const p = progress.get(m.media_id);
    const status = m.arrived || row?.done ? '已上传' : row?.failed ? `上传失败：${row.error}` : p ? `上传中 ${Math.round((100 * p.sent) / p.total)}%` : '待上传';
    return h('figure', { class: 'thumb' },
      thumbOf(m, row),
      h('figcaption', {}, status));
  });
  // Hashing a long video takes seconds on a phone: say how far it got (only for big
  // files, so a photo does not flash a status line).
  const status = h('p', { class: 'hash-status', role: 'status', hidden: true });
  const hashing = (done, total) => {
    if (total < SHOW_HASHING_FROM) return;
    status.hidden = false;
    status.textContent = `正在计算校验值 ${Math.floor((100 * done) / total)}%`;
  };
  const input = (accept, text) => {
    const el = h('input', { type: 'file', accept, capture: 'environment', multiple: true, class: 'visually-hidden',
      onchange: async () => {
        if (!el.files.length) return;
        el.closest('.photos').dataset.busy = '1';
        try { await attachFiles(ctx.visit.id, target, [...el.files], hashing); } finally {
          delete el.closest('.photos').dataset.busy;
          status.hidden = true;
        }
        onChange && onChange();
      } });
    return h('label', { class: 'button secondary camera' }, el, text);
  };
  const notes = attached.map((m) => commentNotes(ctx.visit, `media:${m.media_id}`));
  return h('div', { class: 'photos' }, h('div', { class: 'thumbs' }, thumbs), notes, status,
    readOnly ? null : h('div', { class: 'row' }, input('image/*', label), input('video/*', '录像')));
}
