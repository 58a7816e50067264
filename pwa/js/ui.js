// A tiny DOM toolkit: h() builds elements (shared with the review desk), confirmDialog() asks
// before anything is lost.
import { h } from '/shared/dom.js';

export { h };

export function mount(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes.flat(Infinity).filter((n) => n != null && n !== false));
  return main;
}

export function setTitle(text, back) {
  document.getElementById('title').textContent = text;
  document.title = `${text} · 联合抽查`;
  const b = document.getElementById('back');
  b.hidden = !back;
  b.onclick = back ? () => { location.hash = back; } : null;
}

/** Resolves true only when the user presses the (red) confirm button. */
export function confirmDialog(text, okLabel = '确定') {
  const dlg = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
    dlg.returnValue = '';
    dlg.showModal();
  });
}

export function toast(text, kind = 'info') {
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 4000);
}

export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint' }, hint) : null);
}

export function section(title, ...body) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...body);
}

export const dl = (pairs) => h('dl', { class: 'facts' }, pairs.filter(([, v]) => v != null && v !== '').map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
