// Changing one's own password, for both screens (the phone app and the review desk): the form,
// the policy stated up front (GB/T 22239-2019 level 3, as the server checks it) and the server's
// Chinese answer shown next to the field it names. `change(current, next)` sends it.
import { h } from './dom.js';

export const POLICY = '新密码至少 8 位，须包含大写字母、小写字母、数字、符号中的至少三类，不能包含用户名，不能是常见密码。';

// What the server's problem codes mean, should an answer come without its Chinese detail.
const MESSAGES = {
  wrong_password: '当前密码不正确。',
  password_unchanged: '新密码不能与当前密码相同。',
  password_too_short: '密码至少 8 位。',
  password_too_simple: '密码须包含大写字母、小写字母、数字、符号中的至少三类。',
  password_contains_username: '密码不能包含用户名。',
  password_too_common: '密码过于常见或容易猜到，请换一个。',
};

function input(name, autocomplete, label) {
  const id = `pw-${name}`;
  const el = h('input', { id, name, type: 'password', autocomplete, required: true, maxlength: '256' });
  return { el, row: h('div', { class: 'field' }, h('label', { for: id }, label), el) };
}

/** The form. `forced`: an administrator set the password; nothing else works until it is changed. */
export function passwordForm({ change, forced = false, onDone }) {
  const current = input('current_password', 'current-password', forced ? '管理员设置的密码' : '当前密码');
  const next = input('new_password', 'new-password', '新密码');
  const again = input('new_password_again', 'new-password', '再次输入新密码');
  const msg = h('p', { class: 'error', role: 'alert', id: 'pw-error' });
  const btn = h('button', { type: 'submit', class: 'primary big' }, forced ? '设置新密码并继续' : '修改密码');
  return h('form', { class: 'card password-form', onsubmit: async (e) => {
    e.preventDefault();
    msg.textContent = '';
    if (next.el.value !== again.el.value) { msg.textContent = '两次输入的新密码不一致。'; again.el.focus(); return; }
    btn.disabled = true;
    try {
      await change(current.el.value, next.el.value);
      current.el.value = next.el.value = again.el.value = '';
      await onDone?.();
    } catch (err) {
      const code = err.problem?.code;
      msg.textContent = (err.problem && err.problem.detail) || MESSAGES[code] || err.message || '修改失败，请重试。';
      (code === 'wrong_password' ? current.el : next.el).focus();
    } finally { btn.disabled = false; }
  } },
  forced ? h('p', { class: 'banner warn' }, '您的账号由管理员创建或重置了密码。为保证账号安全，请先设置只有您知道的新密码。') : null,
  h('p', { class: 'hint' }, POLICY),
  current.row, next.row, again.row, btn, msg);
}
