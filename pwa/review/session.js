// The desk's login session: tokens for this browser tab (sessionStorage), the device id kept
// (localStorage) so logging in again reuses this desk's device row; authenticated calls.
import { ApiError, AuthNeeded, send, tokenSession } from "/shared/http.js";

const SESSION = "review.session";
export const stored = () => JSON.parse(sessionStorage.getItem(SESSION) || "{}");

function deviceId() {
  let id = localStorage.getItem("review.device");
  if (!id) {
    id = "desk-" + crypto.getRandomValues(new Uint32Array(2)).join("-");
    localStorage.setItem("review.device", id);
  }
  return id;
}

export const auth = tokenSession({
  load: async () => ({ ...stored(), device_uid: deviceId() }),
  save: async (s) => sessionStorage.setItem(SESSION, JSON.stringify(s)),
});

const loggedOut = [];
/** fn() runs when the session ends (logout, or a refresh that no longer works). */
export const onLogout = (fn) => loggedOut.push(fn);

export function logout() {
  const { access_token: token } = stored();
  if (token) send("/api/v1/auth/logout", { method: "POST", token }).catch(() => {});
  sessionStorage.removeItem(SESSION);
  for (const fn of loggedOut) fn();
}

/** An authenticated call returning the Response; a session that cannot be renewed logs out. */
export async function api(path, opts = {}) {
  try {
    return await auth.call(path, { ...opts, raw: true });
  } catch (e) {
    if (e instanceof AuthNeeded || (e instanceof ApiError && e.status === 401)) {
      logout();
      throw new Error("登录已过期，请重新登录。");
    }
    throw e;
  }
}
export const getJSON = async (path) => (await api(path)).json();
/** POST/PUT/DELETE with a JSON body; the JSON answer (null for 204). */
export async function postJSON(path, body, method = "POST") {
  const r = await api(path, { method, body });
  return r.status === 204 ? null : r.json();
}

/** The signed-in user (from /api/v1/me), set by the desk at start. */
export const me = { user: null, department: null, roles: [] };
export const hasRole = (...roles) => (me.roles || []).some((r) => roles.includes(r));
