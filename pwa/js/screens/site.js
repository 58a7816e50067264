// On site: arrival (time + GPS), inspectors present (≥ 2), credentials shown, rights explained.
import { h, mount, setTitle, section, toast } from '../ui.js';
import { load, stepNav, sealedBanner, sealed, deptName } from '../model.js';
import { enqueue } from '../outbox.js';
import { isoNow, hhmm } from '../util.js';

function gps() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) { resolve(null); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy ?? null }),
      () => resolve(null), { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 });
  });
}

export async function render({ id }) {
  const ctx = await load(id);
  if (!ctx) { location.hash = '#/'; return; }
  const { visit, task } = ctx;
  const r = visit.record;
  const ro = sealed(visit);
  setTitle('现场检查', `#/visit/${id}`);
  const redo = () => render({ id });
  const step = (done, title, detail, button) => h('li', { class: `step ${done ? 'done' : ''}` },
    h('span', { class: 'tick', 'aria-hidden': 'true' }, done ? '✔' : '○'),
    h('div', {}, h('strong', {}, title), detail ? h('p', {}, detail) : null, ro ? null : button));

  const arriveBtn = h('button', { type: 'button', class: 'primary big', onclick: async (e) => {
    e.target.disabled = true; e.target.textContent = '正在获取定位…';
    const pos = await gps();
    await enqueue(id, 'visit.arrive', { visit_id: id, at: isoNow(), gps: pos, method: 'onsite' });
    if (!pos) toast('未能获取定位，已记录到达时间');
    redo();
  } }, r.arrival ? '重新记录到达' : '已到达现场');
  const gpsText = r.arrival?.gps ? `定位 ${r.arrival.gps.lat.toFixed(5)}, ${r.arrival.gps.lon.toFixed(5)}（±${Math.round(r.arrival.gps.accuracy || 0)} 米）` : '无定位';

  const boxes = visit.team.map((m) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'present', value: String(m.inspector_id), checked: r.present.includes(m.inspector_id), disabled: ro }),
    h('span', {}, `${m.name}（${deptName(task, m.department_id)}，证号 ${m.cert_no || '—'}）`)));
  const presentMsg = h('p', { class: 'error', role: 'alert' });
  const presentBtn = h('button', { type: 'button', class: 'primary', onclick: async () => {
    const ids = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => +i.value);
    if (ids.length < 2) { presentMsg.textContent = '现场检查的执法人员不得少于 2 人（第二十条）。'; return; }
    await enqueue(id, 'visit.present', { visit_id: id, inspector_ids: ids });
    redo();
  } }, '确认在场人员');

  const moment = (name, label) => h('button', { type: 'button', class: 'primary', onclick: async () => {
    await enqueue(id, name, { visit_id: id, at: isoNow() });
    redo();
  } }, label);

  mount(
    stepNav(visit, '/site'), sealedBanner(visit),
    h('ol', { class: 'steps-list' },
      step(!!r.arrival, '1. 到达现场', r.arrival ? `${hhmm(r.arrival.at)} · ${gpsText}` : '记录到达时间和定位', arriveBtn),
      step(r.present.length >= 2, '2. 在场执法人员（至少 2 人）',
        r.present.length ? `已记录 ${r.present.length} 人` : null,
        h('fieldset', {}, h('legend', {}, '勾选在场的检查组成员'), boxes, presentMsg, presentBtn)),
      step(!!r.credentials_shown_at, '3. 出示执法证件', r.credentials_shown_at ? `已出示 ${hhmm(r.credentials_shown_at)}` : null,
        moment('visit.credentials_shown', '已出示执法证件')),
      step(!!r.rights_informed_at, '4. 告知权利义务', r.rights_informed_at ? `已告知 ${hhmm(r.rights_informed_at)}` : '告知被检查对象依法享有的权利和应履行的义务',
        moment('visit.rights_informed', '已告知权利义务'))),
    section('无法正常检查？', h('p', {}, '对象在登记地址无法联系、拒不配合等情形（第二十一条），请直接填写检查结果并提供证据。'),
      h('a', { class: 'button secondary', href: `#/visit/${id}/outcome` }, '填写特殊情形')),
    h('a', { class: 'button primary big', href: `#/visit/${id}/check` }, '下一步：逐项检查'),
  );
}
