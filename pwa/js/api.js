// HTTP to our server from the phone: the shared client (/shared/http.js) with the session kept
// in IndexedDB, so the service worker's Background Sync can use the same tokens.
import * as store from './store.js';
import { tokenSession } from '/shared/http.js';

export { ApiError, NetworkError, AuthNeeded, DeviceRevoked } from '/shared/http.js';

const listeners = new Set();
export const onAuthEvent = (fn) => listeners.add(fn);

export async function session() { return store.get('session'); }

const tokens = tokenSession({
  load: session,
  save: (s) => store.set('session', s),
  onEvent: (ev) => listeners.forEach((fn) => fn(ev)),
});

/** Rotate the refresh token once, however many callers ask at the same time. */
export const refresh = tokens.refresh;
/** A usable access token (refreshed when about to expire). */
export const token = tokens.token;
/** An authenticated call; an expired access token is refreshed and the call repeated once. */
export const call = tokens.call;

/** Change one's own password (also the forced change after an administrator set it). */
export const changePassword = tokens.changePassword;

/** Log in (or re-enter the password): tokens bound to this installation's device id. */
export function login(username, password) {
  return tokens.login(username, password, { deviceName: deviceName(), idPrefix: 'pwa',
    extra: (old) => ({ client_id: old.client_id || crypto.randomUUID() }) });
}

function deviceName() {
  const ua = (typeof navigator !== 'undefined' && navigator.userAgent) || '';
  const m = /\(([^;)]+)/.exec(ua);
  return `手机浏览器 ${m ? m[1] : ''}`.trim().slice(0, 100);
}

export async function logoutServer() {
  try { await call('/api/v1/auth/logout', { method: 'POST' }); } catch { /* offline: the wipe still happens */ }
}
