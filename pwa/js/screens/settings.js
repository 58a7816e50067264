// Settings: account, device, storage (persistence and estimate), export, logout.
import { h, mount, setTitle, section, dl, confirmDialog, toast } from '../ui.js';
import { count, all, unsent as queued } from '../store.js';
import { me as loadMe } from '../model.js';
import * as api from '../api.js';
import { flush } from '../sync.js';
import { exportUnsent } from '../exporter.js';
import { wipeAll, unregisterWorkers } from '../wipe.js';
import { bytes, APP_VERSION } from '../util.js';

const ROLE_NAMES = { inspector: '执法检查人员', dept_admin: '部门管理员', dept_leader: '部门领导', reviewer: '后台审核',
  office_admin: '办公室管理员', auditor: '审计人员' };

async function unsent() {
  const media = (await all('media')).filter((m) => !m.done);
  return { mutations: (await queued()).length, attention: await count('attention'), media: media.length,
    bytes: media.reduce((n, m) => n + (m.size || 0), 0) };
}

export async function logout() {
  if (navigator.onLine) { try { await flush(); } catch { /* counted below */ } }
  const u = await unsent();
  if (u.mutations || u.media || u.attention) {
    const ok = await confirmDialog(`还有 ${u.mutations} 项操作、${u.media} 个文件（${bytes(u.bytes)}）未发送，${u.attention} 项需处理。`
      + '退出登录将清除本机数据，这些内容会永久丢失。确定退出吗？', '清除并退出');
    if (!ok) return false;
  }
  await api.logoutServer();
  await wipeAll();
  await unregisterWorkers();
  sessionStorage.setItem('login_message', '已退出登录，本机数据已清除。');
  // No reload: offline, nothing could be loaded any more; the login screen is already in memory.
  location.hash = '#/login';
  return true;
}

export async function render() {
  setTitle('设置');
  const [me, session, u] = await Promise.all([loadMe(), api.session(), unsent()]);
  let est = null, persisted = null;
  try { est = await navigator.storage.estimate(); persisted = await navigator.storage.persisted(); } catch { /* unsupported */ }
  const persistBtn = persisted ? null : h('button', { type: 'button', class: 'secondary', onclick: async () => {
    const ok = await navigator.storage.persist();
    toast(ok ? '已开启持久存储' : '浏览器未同意持久存储，请勿清除浏览器数据');
    render();
  } }, '申请持久存储');
  mount(
    section('账号', dl([['姓名', me?.display_name], ['用户名', session?.username], ['部门', me?.department?.name],
      ['角色', (me?.roles || []).map((r) => ROLE_NAMES[r] || r).join('、')]])),
    section('本机', dl([['设备标识', session?.device_uid], ['客户端标识', session?.client_id], ['应用版本', APP_VERSION]])),
    section('存储', dl([['已用', est ? bytes(est.usage) : '未知'], ['可用上限', est ? bytes(est.quota) : '未知'],
      ['持久存储', persisted ? '已开启（清理空间时不会被删除）' : '未开启']]), persistBtn),
    section('未发送数据', dl([['待发送操作', `${u.mutations} 项`], ['待上传文件', `${u.media} 个（${bytes(u.bytes)}）`], ['需处理', `${u.attention} 项`]]),
      h('button', { type: 'button', class: 'secondary big', onclick: async () => { const d = await exportUnsent(); toast(`已导出 ${d.outbox.length} 项操作、${d.media.length} 个文件`); } }, '导出未发送数据')),
    section('密码', h('p', {}, '修改密码后，本账号在其他设备上的登录随即失效。'),
      h('a', { href: '#/password', class: 'button secondary big', id: 'change-password' }, '修改密码')),
    section('退出', h('p', {}, '退出登录会清除本机的全部检查数据和离线文件。'),
      h('button', { type: 'button', class: 'danger big', id: 'logout', onclick: logout }, '退出登录并清除本机数据')),
  );
}
