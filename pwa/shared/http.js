// HTTP to our own server, for both screens (the phone app and the review desk): JSON in and
// out, errors carrying the server's problem object (RFC 9457, Chinese title/detail), and
// bearer tokens with a silent, single-flight refresh. DOM-free: the phone's service worker
// imports it too. Where the tokens are kept is the caller's choice (IndexedDB on the phone,
// sessionStorage on the desk).

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `请求失败（${status}）`);
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code;
  }
}
/** The network is unreachable (offline, DNS, connection reset). */
export class NetworkError extends Error {}
/** The refresh token no longer works: the password is needed again. */
export class AuthNeeded extends Error {}
/** An administrator revoked this device: the phone app must wipe itself. */
export class DeviceRevoked extends Error {}

// Refresh answers that mean "log in again", as opposed to a network or server trouble.
const REAUTH = new Set(['refresh_expired', 'refresh_invalid', 'session_revoked', 'refresh_reused', 'unauthorized']);

/** One request. Returns the JSON body (null for 204), or with `raw: true` the Response itself
 *  (files, SVG). A non-2xx answer throws ApiError; the server's device_revoked throws DeviceRevoked. */
export async function send(path, { method = 'GET', body, token, headers = {}, raw = false } = {}) {
  const init = { method, headers: { ...headers }, cache: 'no-store' };
  if (body instanceof FormData) init.body = body; // a file upload: the browser sets the multipart type
  else if (body !== undefined) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
  if (token) init.headers.Authorization = `Bearer ${token}`;
  let resp;
  try { resp = await fetch(path, init); } catch (e) { throw new NetworkError(e.message || '网络不可用'); }
  if (resp.ok && raw) return resp;
  if (resp.status === 204) return null;
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data);
    if (err.code === 'device_revoked') throw Object.assign(new DeviceRevoked(err.message), { problem: err.problem });
    throw err;
  }
  return data;
}

/** Tokens kept by `load()` / `save(session)` (a session is a plain object: access_token,
 *  refresh_token, access_exp, device_uid, need_password, password_change_required and whatever else
 *  the caller keeps in it).
 *  `onEvent` hears {type: 'login' | 'auth-needed' | 'revoked'}. */
export function tokenSession({ load, save, onEvent = () => {} }) {
  const request = async (path, opts) => {
    try { return await send(path, opts); } catch (e) {
      if (e instanceof DeviceRevoked) onEvent({ type: 'revoked', error: e });
      throw e;
    }
  };

  async function keep(s, t) {
    const next = { ...s, access_token: t.access_token, refresh_token: t.refresh_token,
      access_exp: Date.now() + (t.expires_in || 900) * 1000, need_password: false,
      password_change_required: !!t.password_change_required };
    await save(next);
    return next;
  }

  /** Log in with tokens bound to the session's device_uid (made once, `${idPrefix}-uuid`, when it
   *  has none); `extra(old)` adds the caller's own fields to the new session. */
  async function login(username, password, { deviceName, idPrefix = 'web', extra = () => ({}) } = {}) {
    const old = (await load()) || {};
    const deviceUid = old.device_uid || `${idPrefix}-${crypto.randomUUID()}`;
    const t = await request('/api/v1/auth/login', { method: 'POST',
      body: { username, password, device_id: deviceUid, device_name: deviceName } });
    const s = await keep({ ...old, ...extra(old), username, device_uid: deviceUid, user_id: t.user_id, device_id: t.device_id }, t);
    onEvent({ type: 'login' });
    return s;
  }

  let refreshing = null;
  /** Rotate the refresh token once, however many callers ask at the same time. A refusal that
   *  means "log in again" marks the session need_password and throws AuthNeeded. */
  function refresh() {
    if (!refreshing) {
      refreshing = (async () => {
        const s = await load();
        if (!s || !s.refresh_token) throw new AuthNeeded('请先登录');
        try {
          const t = await request('/api/v1/auth/refresh', { method: 'POST', body: { refresh_token: s.refresh_token, device_id: s.device_uid } });
          return await keep(s, t);
        } catch (e) {
          if (e instanceof ApiError && (e.status === 401 || REAUTH.has(e.code))) {
            await save({ ...s, need_password: true, access_token: null, reason: e.message });
            onEvent({ type: 'auth-needed', message: e.message });
            throw new AuthNeeded(e.message);
          }
          throw e;
        }
      })().finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  /** A usable access token, refreshed first when it is missing or about to expire. */
  async function token() {
    let s = await load();
    if (!s) throw new AuthNeeded('请先登录');
    if (s.need_password) throw new AuthNeeded(s.reason || '登录已过期，请重新输入密码');
    if (!s.access_token || s.access_exp - Date.now() < 30000) s = await refresh();
    return s.access_token;
  }

  /** An authenticated call; an expired access token is refreshed and the call repeated once. */
  async function call(path, opts = {}) {
    try {
      return await request(path, { ...opts, token: await token() });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401 && ['token_expired', 'token_invalid'].includes(e.code)) {
        await refresh();
        return request(path, { ...opts, token: await token() });
      }
      throw e;
    }
  }

  /** Change one's own password (the server ends every other session of the user). */
  async function changePassword(current, next) {
    await call('/api/v1/me/password', { method: 'POST', body: { current_password: current, new_password: next } });
    const s = await load();
    await save({ ...s, password_change_required: false });
  }

  return { login, refresh, token, call, changePassword };
}
