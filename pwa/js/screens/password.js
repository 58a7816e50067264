// Changing one's own password; also the screen a login lands on when an administrator set the
// password (the server refuses everything else until it is changed).
import { mount, setTitle, toast } from '../ui.js';
import * as api from '../api.js';
import { flush } from '../sync.js';
import { passwordForm } from '/shared/password.js';

/** Sync does not re-render this screen: it holds unsaved input. */
export const noAutoRefresh = true;

export async function render() {
  const s = await api.session();
  const forced = !!s?.password_change_required;
  setTitle(forced ? '设置新密码' : '修改密码', forced ? null : '#/settings');
  mount(passwordForm({
    forced,
    change: (current, next) => api.changePassword(current, next),
    onDone: async () => {
      toast('密码已修改。本账号在其他设备上的登录已失效。');
      if (forced) {
        location.hash = '#/';
        try { await flush(); } catch { /* the sync bar says why */ }
      } else location.hash = '#/settings';
    },
  }));
  document.getElementById('pw-current_password').focus();
}
