// The always-visible sync bar: what is waiting, what is uploading, when the last sync
// succeeded, and how many items need attention.
import { h } from './ui.js';
import { count, get, unsent } from './store.js';
import { state } from './sync.js';
import { pendingMedia, progress } from './uploads.js';
import { when, bytes } from './util.js';

export async function summary() {
  const media = await pendingMedia();
  let total = 0, sent = 0;
  for (const m of media) {
    total += m.size || 0;
    sent += progress.get(m.media_id)?.sent ?? 0;
  }
  return { mutations: (await unsent()).length, attention: await count('attention'), media: media.length,
    failedMedia: media.filter((m) => m.failed).length, total, sent, last: await get('last_sync_at') };
}

let busy = false, again = false;
export async function renderBar() {
  if (busy) { again = true; return; }
  busy = true;
  try {
    const bar = document.getElementById('syncbar');
    const s = await summary();
    const online = navigator.onLine;
    const parts = [
      h('span', { class: 'pill', 'data-k': 'mutations' }, `待发送 ${s.mutations} 项`),
      h('span', { class: 'pill', 'data-k': 'uploads' }, s.media ? `待上传 ${s.media} 个 ${bytes(s.sent)}/${bytes(s.total)}` : '文件已全部上传'),
    ];
    if (s.attention || s.failedMedia) {
      parts.push(h('a', { class: 'pill alert', href: '#/sync', 'data-k': 'attention' }, `需处理 ${s.attention + s.failedMedia} 项`));
    }
    let status = state.running ? '正在同步…' : online ? '在线' : '离线，数据保存在本机';
    if (state.needPassword) status = '登录已过期，同步前请输入密码';
    else if (state.error && !state.running && online) status = state.error;
    bar.replaceChildren(...[
      h('div', { class: 'bar-line' }, state.needPassword
        ? h('a', { class: 'sync-status attn', href: '#/sync', 'data-k': 'status' }, status)
        : h('strong', { class: `sync-status ${online ? '' : 'offline'}`, 'data-k': 'status' }, status),
        h('span', { class: 'last', 'data-k': 'last' }, `上次同步 ${when(s.last)}`)),
      h('div', { class: 'pills' }, parts),
      s.media && s.sent ? h('progress', { max: s.total, value: s.sent, 'aria-label': '上传进度' }) : null,
    ].filter(Boolean));
    bar.hidden = false;
    document.getElementById('sync-now').disabled = state.running;
  } finally {
    busy = false;
    if (again) { again = false; renderBar(); }
  }
}
