// The sync screen: queued mutations, uploads with byte progress, and "needs attention"
// (each rejected mutation with the server's Chinese message: retry, or discard after confirming).
import { h, mount, setTitle, section, confirmDialog, field, toast } from '../ui.js';
import { all, get, unsent } from '../store.js';
import { flush, state, retryRejected, discardRejected } from '../sync.js';
import { progress, retryMedia } from '../uploads.js';
import * as api from '../api.js';
import { exportUnsent } from '../exporter.js';
import { MUTATION_LABELS, bytes, when } from '../util.js';
import { entities } from '../store.js';

export async function render() {
  setTitle('同步');
  const [outbox, attention, media, visits, last, session] = await Promise.all([unsent(), all('attention'), all('media'),
    entities('visit'), get('last_sync_at'), api.session()]);
  const name = (vid) => visits.find((v) => v.id === vid)?.object.name || '';
  const redo = () => render();
  const parts = [];
  if (state.needPassword || session?.need_password) {
    const pass = h('input', { type: 'password', autocomplete: 'current-password', name: 'password' });
    const err = h('p', { class: 'error', role: 'alert' });
    parts.push(section('请重新输入密码', h('p', {}, '登录已过期。本机数据都还在，输入密码后继续同步。'), field('密码', pass), err,
      h('button', { type: 'button', class: 'primary big', onclick: async () => {
        try { await api.login(session.username, pass.value); state.needPassword = false; await flush(); redo(); } catch (e) { err.textContent = e.message; }
      } }, '登录并同步')));
  }
  parts.push(h('div', { class: 'row' }, h('button', { type: 'button', class: 'primary big', onclick: async () => { await flush(); redo(); } }, '立即同步')),
    h('p', { class: 'muted' }, `上次成功同步：${when(last)}`));

  parts.push(section(`需处理（${attention.length}）`, attention.length ? h('ul', { class: 'cards' }, attention.map((a) => h('li', { class: 'card attention', 'data-mid': String(a.mid) },
    h('strong', {}, `${MUTATION_LABELS[a.name] || a.name}${name(a.visit_id) ? ` · ${name(a.visit_id)}` : ''}`),
    h('p', { class: 'server-message' }, a.problem?.detail || a.problem?.title || '服务器拒绝了此操作'),
    a.problem?.errors?.length ? h('ul', { class: 'plain' }, a.problem.errors.map((e) => h('li', {}, `${e.field || ''} ${e.message || ''}`))) : null,
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', onclick: async () => { await retryRejected(a.mid); redo(); } }, '重试'),
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (await confirmDialog(`确定放弃“${MUTATION_LABELS[a.name] || a.name}”这项操作吗？放弃后无法恢复。`, '放弃')) { await discardRejected(a.mid); redo(); }
      } }, '放弃'))))) : h('p', {}, '没有需要处理的项目。')));

  const failed = media.filter((m) => m.failed);
  if (failed.length) {
    parts.push(section('上传失败的文件', h('ul', { class: 'plain' }, failed.map((m) => h('li', {}, `${m.filename}：${m.error}`,
      h('button', { type: 'button', class: 'secondary', onclick: async () => { await retryMedia(m.media_id); flush(); redo(); } }, '重试'))))));
  }
  const pending = media.filter((m) => !m.done && !m.failed);
  parts.push(section(`待上传文件（${pending.length}）`, pending.length ? h('ul', { class: 'plain' }, pending.map((m) => {
    const p = progress.get(m.media_id);
    return h('li', {}, `${m.filename} ${bytes(p?.sent || 0)}/${bytes(m.size)}`, h('progress', { max: m.size, value: p?.sent || 0 }));
  })) : h('p', {}, '没有待上传的文件。')));
  parts.push(section(`待发送操作（${outbox.length}）`, outbox.length
    ? h('ol', { class: 'plain' }, outbox.map((m) => h('li', {}, `${MUTATION_LABELS[m.name] || m.name} · ${name(m.visit_id)}`)))
    : h('p', {}, '全部已发送。')));
  parts.push(section('导出', h('p', {}, '无法同步时，可把未发送的数据（含照片原件）导出为一个文件交给管理员。'),
    h('button', { type: 'button', class: 'secondary big', onclick: async () => { const d = await exportUnsent(); toast(`已导出 ${d.outbox.length} 项操作、${d.media.length} 个文件`); } }, '导出未发送数据')));
  mount(...parts);
}
