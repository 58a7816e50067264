import { h, mount, setTitle, field } from '../ui.js';
import * as api from '../api.js';
import { flush } from '../sync.js';

/** Sync does not re-render this screen: it holds unsaved input. */
export const noAutoRefresh = true;

export async function render() {
  setTitle('登录');
  const s = await api.session();
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, value: s?.username || '' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { class: 'error', role: 'alert' }, sessionStorage.getItem('login_message') || '');
  sessionStorage.removeItem('login_message');
  const btn = h('button', { type: 'submit', class: 'primary big' }, '登录');
  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    btn.disabled = true; msg.textContent = '';
    try {
      const s = await api.login(user.value.trim(), pass.value);
      // After a wipe the worker was unregistered: install the offline shell again.
      if (navigator.serviceWorker && !navigator.serviceWorker.controller) navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' }).catch(() => {});
      if (s.password_change_required) { location.hash = '#/password'; return; }
      msg.textContent = '登录成功，正在下载今天的检查任务…';
      await flush();
      location.hash = '#/';
    } catch (err) {
      msg.textContent = err instanceof api.NetworkError ? '无法连接服务器：首次登录需要网络。' : err.message;
    } finally { btn.disabled = false; }
  } },
  h('p', {}, '使用执法检查人员账号登录。登录后，今天的检查任务会下载到本机，没有信号也能完成检查。'),
  field('用户名', user), field('密码', pass), btn, msg);
  mount(form);
  (s?.username ? pass : user).focus();
}
