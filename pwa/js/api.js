// HTTP to our server: bearer tokens with silent, single-flight refresh.
// Errors carry the server's problem object (RFC 9457, Chinese title/detail).
import * as store from './store.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code;
  }
}
/** The network is unreachable (offline, DNS, connection reset). */
export class NetworkError extends Error {}
/** The refresh token no longer works: the password is needed at the next sync. */
export class AuthNeeded extends Error {}
/** An administrator revoked this device: the app must wipe itself. */
export class DeviceRevoked extends Error {}

const REAUTH = new Set(['refresh_expired', 'refresh_invalid', 'session_revoked', 'refresh_reused', 'unauthorized']);
const listeners = new Set();
export const onAuthEvent = (fn) => listeners.add(fn);
const emit = (ev) => listeners.forEach((fn) => fn(ev));

async function send(path, { method = 'GET', body, token, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, cache: 'no-store' };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
  if (token) init.headers.Authorization = `Bearer ${token}`;
  let resp;
  try { resp = await fetch(path, init); } catch (e) { throw new NetworkError(e.message || '网络不可用'); }
  if (resp.status === 204) return null;
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data);
    if (err.code === 'device_revoked') { emit({ type: 'revoked', error: err }); throw new DeviceRevoked(err.message); }
    throw err;
  }
  return data;
}

export async function session() { return store.get('session'); }

async function saveTokens(s, t) {
  const next = { ...s, access_token: t.access_token, refresh_token: t.refresh_token,
    access_exp: Date.now() + (t.expires_in || 900) * 1000, need_password: false };
  await store.set('session', next);
  return next;
}

/** Log in (or re-enter the password): tokens bound to this installation's device id. */
export async function login(username, password) {
  const old = (await session()) || {};
  const deviceUid = old.device_uid || `pwa-${crypto.randomUUID()}`;
  const t = await send('/api/v1/auth/login', { method: 'POST',
    body: { username, password, device_id: deviceUid, device_name: deviceName() } });
  const s = await saveTokens({ ...old, username, device_uid: deviceUid, client_id: old.client_id || crypto.randomUUID(),
    user_id: t.user_id, device_id: t.device_id }, t);
  emit({ type: 'login' });
  return s;
}

function deviceName() {
  const ua = (typeof navigator !== 'undefined' && navigator.userAgent) || '';
  const m = /\(([^;)]+)/.exec(ua);
  return `手机浏览器 ${m ? m[1] : ''}`.trim().slice(0, 100);
}

let refreshing = null;
/** Rotate the refresh token once, however many callers ask at the same time. */
export function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const s = await session();
      if (!s || !s.refresh_token) throw new AuthNeeded('请先登录');
      try {
        const t = await send('/api/v1/auth/refresh', { method: 'POST', body: { refresh_token: s.refresh_token, device_id: s.device_uid } });
        return await saveTokens(s, t);
      } catch (e) {
        if (e instanceof ApiError && (e.status === 401 || REAUTH.has(e.code))) {
          await store.set('session', { ...s, need_password: true, access_token: null, reason: e.message });
          emit({ type: 'auth-needed', message: e.message });
          throw new AuthNeeded(e.message);
        }
        throw e;
      }
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

export async function token() {
  let s = await session();
  if (!s) throw new AuthNeeded('请先登录');
  if (s.need_password) throw new AuthNeeded(s.reason || '登录已过期，请重新输入密码');
  if (!s.access_token || s.access_exp - Date.now() < 30000) s = await refresh();
  return s.access_token;
}

/** An authenticated call; an expired access token is refreshed and the call repeated once. */
export async function call(path, opts = {}) {
  try {
    return await send(path, { ...opts, token: await token() });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && ['token_expired', 'token_invalid'].includes(e.code)) {
      await refresh();
      return send(path, { ...opts, token: await token() });
    }
    throw e;
  }
}

export async function logoutServer() {
  try { await call('/api/v1/auth/logout', { method: 'POST' }); } catch { /* offline: the wipe still happens */ }
}
