// Hash routes → screen modules (each exports render(params)).
const routes = [];
export function route(pattern, load) {
  const keys = [];
  const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, k) => { keys.push(k); return '([^/]+)'; })}$`);
  routes.push({ re, keys, load });
}

let current = 0;
let currentMod = null;
export async function dispatch() {
  const path = location.hash.replace(/^#/, '') || '/';
  const token = ++current;
  for (const r of routes) {
    const m = r.re.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]));
    const mod = await r.load();
    if (token !== current) return; // a newer navigation won
    currentMod = mod;
    await mod.render(params);
    const tab = path.split('/')[1] || 'visits';
    document.querySelectorAll('#tabs a').forEach((a) => a.toggleAttribute('aria-current', a.dataset.tab === tab || (tab === 'visit' && a.dataset.tab === 'visits')));
    return;
  }
  location.hash = '#/';
}

/** Re-render the current screen (after a sync changed the data it shows), keeping scroll. */
export async function refreshScreen() {
  const y = window.scrollY;
  const active = document.activeElement;
  if (active && ['INPUT', 'TEXTAREA', 'SELECT'].includes(active.tagName)) return; // never under a typing thumb
  if (document.querySelector('dialog[open]') || document.querySelector('[data-busy]')) return;
  if (currentMod && currentMod.noAutoRefresh) return; // forms with unsaved input and signature pads
  await dispatch();
  window.scrollTo(0, y);
}
