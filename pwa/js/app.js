// Entry point: service worker, routes, sync triggers and the sync bar.
import { route, dispatch, refreshScreen } from './router.js';
import * as api from './api.js';
import { flush, onState, state, setUploadHook } from './sync.js';
import { onChange, setFlushHook } from './outbox.js';
import { uploadPending } from './uploads.js';
import { renderBar } from './syncbar.js';
import { wipeAll, unregisterWorkers } from './wipe.js';
import { toast } from './ui.js';

const screen = (name) => () => import(`./screens/${name}.js`);
route('/login', screen('login'));
route('/', screen('visits'));
route('/visit/:id', screen('brief'));
route('/visit/:id/site', screen('site'));
route('/visit/:id/check', screen('checklist'));
route('/visit/:id/findings', screen('findings'));
route('/visit/:id/outcome', screen('outcome'));
route('/visit/:id/sign', screen('sign'));
route('/visit/:id/amend', screen('amend'));
route('/visit/:id/handover', screen('handover'));
route('/visit/:id/scan', screen('scan'));
route('/team', screen('team'));
route('/sync', screen('sync'));
route('/settings', screen('settings'));
route('/password', screen('password'));

async function guardedDispatch() {
  const s = await api.session();
  const loggedIn = !!(s && s.client_id && s.user_id);
  const mustChange = loggedIn && !!s.password_change_required;
  document.getElementById('tabs').hidden = !loggedIn || mustChange;
  document.getElementById('sync-now').hidden = !loggedIn || mustChange;
  if (!loggedIn && location.hash !== '#/login') { location.hash = '#/login'; return; }
  // An administrator set the password: the server refuses everything else until it is changed.
  if (mustChange && location.hash !== '#/password') { location.hash = '#/password'; return; }
  if (!loggedIn) document.getElementById('syncbar').hidden = true;
  await dispatch();
  if (loggedIn) renderBar();
}

let updating = false;
function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' }).then((reg) => {
    const offer = (w) => {
      const box = document.getElementById('update');
      box.hidden = false;
      document.getElementById('update-btn').onclick = () => { updating = true; w.postMessage({ type: 'skip-waiting' }); };
    };
    if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const w = reg.installing;
      w.addEventListener('statechange', () => {
        if (w.state === 'installed' && navigator.serviceWorker.controller) offer(w);
      });
    });
  }).catch((e) => console.warn('service worker', e));
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloading || !updating) return; // the first install's claim needs no reload
    reloading = true;
    location.reload();
  });
  navigator.serviceWorker.addEventListener('message', (e) => { if (e.data?.type === 'flush') kick(); });
}

async function kick() {
  const s = await api.session();
  if (s && s.user_id && !s.password_change_required) flush();
}

function requestBackgroundSync() {
  navigator.serviceWorker?.ready.then((reg) => reg.sync && reg.sync.register('outbox')).catch(() => {});
}

let refreshAfter = false;
function wire() {
  setUploadHook(uploadPending);
  let t = null;
  setFlushHook(() => {
    requestBackgroundSync();
    clearTimeout(t);
    t = setTimeout(kick, 300);
  });
  window.addEventListener('online', () => { renderBar(); kick(); });
  window.addEventListener('offline', () => renderBar());
  document.addEventListener('visibilitychange', kick);
  document.getElementById('sync-now').addEventListener('click', () => { flush(); });
  onChange(() => renderBar());
  onState((s) => {
    renderBar();
    if (s.running) refreshAfter = true;
    else if (refreshAfter) { refreshAfter = false; if (s.revoked) onRevoked(); else refreshScreen(); }
  });
  api.onAuthEvent((ev) => { if (ev.type === 'revoked') onRevoked(ev.error?.message); });
  window.addEventListener('hashchange', guardedDispatch);
}

let wiping = false;
async function onRevoked(message) {
  if (wiping) return;
  wiping = true;
  await wipeAll();
  await unregisterWorkers();
  sessionStorage.setItem('login_message', '此设备已被停用（可能已登记遗失），本机数据已全部清除。如有疑问请联系管理员。');
  wiping = false;
  if (location.hash === '#/login') guardedDispatch(); else location.hash = '#/login';
}

async function persist() {
  try { if (navigator.storage?.persist && !(await navigator.storage.persisted())) await navigator.storage.persist(); } catch { /* not offered */ }
}

async function boot() {
  registerWorker();
  wire();
  persist();
  await guardedDispatch();
  kick(); // flush on load
}

window.addEventListener('error', (e) => toast(`出错：${e.message}`, 'error'));
window.addEventListener('unhandledrejection', (e) => toast(e.reason?.message || '操作未完成', 'error'));
boot();
