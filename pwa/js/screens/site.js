// How the visit is checked (Art. 19: on site, documentary, online, a professional body, another
// authority's conclusion: chosen by the plan task or, before the visit starts, by the team leader
// — PUT /api/v1/visits/{id}/method, online only), then that method's steps only: on site, arrival (time + GPS), inspectors
// present (≥ 2), credentials shown, rights explained; away from the premises, the inspectors who
// did it and the method's own evidence (documents, URLs and captures, the body's report, the
// other authority's document).
import { h, mount, setTitle, section, toast, field } from '../ui.js';
import { load, stepNav, sealedBanner, sealed, deptName, methodOf, methodMissing, METHOD_EVIDENCE, isLeader } from '../model.js';
import { photoBlock } from './photos.js';
import { METHOD_LABELS } from '/shared/labels.js';
import { enqueue } from '../outbox.js';
import { call } from '../api.js';
import { flush } from '../sync.js';
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
    await enqueue(id, 'visit.arrive', { visit_id: id, at: isoNow(), gps: pos });
    if (!pos) toast('未能获取定位，已记录到达时间');
    redo();
  } }, r.arrival ? '重新记录到达' : '已到达现场');
  const gpsText = r.arrival?.gps ? `定位 ${r.arrival.gps.lat.toFixed(5)}, ${r.arrival.gps.lon.toFixed(5)}（±${Math.round(r.arrival.gps.accuracy || 0)} 米）` : '无定位';

  const method = methodOf(visit);
  const chooser = methodChooser(ctx, redo, ro);
  const boxes = visit.team.map((m) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'present', value: String(m.inspector_id), checked: r.present.includes(m.inspector_id), disabled: ro }),
    h('span', {}, `${m.name}（${deptName(task, m.department_id)}，证号 ${m.cert_no || '—'}）`)));
  const presentMsg = h('p', { class: 'error', role: 'alert' });
  const presentBtn = h('button', { type: 'button', class: 'primary', onclick: async () => {
    const ids = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => +i.value);
    if (method === 'onsite' && ids.length < 2) { presentMsg.textContent = '现场检查的执法人员不得少于 2 人（第二十条）。'; return; }
    if (!ids.length) { presentMsg.textContent = '请勾选实施检查的执法人员。'; return; }
    await enqueue(id, 'visit.present', { visit_id: id, inspector_ids: ids });
    redo();
  } }, '确认在场人员');

  const moment = (name, label) => h('button', { type: 'button', class: 'primary', onclick: async () => {
    await enqueue(id, name, { visit_id: id, at: isoNow() });
    redo();
  } }, label);

  if (method !== 'onsite') {
    mount(stepNav(visit, '/site'), sealedBanner(visit), chooser,
      h('ol', { class: 'steps-list' },
        step(r.present.length >= 1, '1. 实施检查的执法人员', r.present.length ? `已记录 ${r.present.length} 人` : null,
          h('fieldset', {}, h('legend', {}, '勾选实施检查的检查组成员'), boxes, presentMsg, presentBtn)),
        step(!methodMissing(visit).length, '2. 检查依据材料', null, evidenceForm(ctx, method, redo, ro))),
      h('a', { class: 'button primary big', href: `#/visit/${id}/check` }, '下一步：逐项检查'));
    return;
  }

  mount(
    stepNav(visit, '/site'), sealedBanner(visit), chooser,
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


/** The method of this visit, as the plan task or the leader chose it; the leader may choose
 *  another one before the visit starts (online: the server refuses once it has started). */
function methodChooser(ctx, redo, ro) {
  const { visit, me } = ctx;
  const r = visit.record;
  const current = methodOf(visit);
  const who = visit.planned_method?.source === 'visit' ? '由检查组组长确定' : '由计划任务确定';
  const hint = current === 'onsite' ? '实地核查：到达现场、出示证件、告知权利义务后逐项检查。'
    : '非现场检查：无需到达现场和出示证件，须提供下列依据材料。';
  const started = visit.status !== 'not_started' || r.arrival || r.present.length || r.method || r.outcome;
  let change = null;
  if (!ro && !started && isLeader(visit, me)) {
    const select = h('select', { name: 'method' },
      Object.entries(METHOD_LABELS).map(([code, label]) => h('option', { value: code, selected: code === current }, label)));
    const msg = h('p', { class: 'error', role: 'alert' });
    const apply = h('button', { type: 'button', class: 'secondary', onclick: async () => {
      apply.disabled = true; msg.textContent = '';
      try {
        await call(`/api/v1/visits/${visit.id}/method`, { method: 'PUT', body: { method: select.value } });
        await flush();
        redo();
      } catch (e) {
        msg.textContent = e.status ? e.message : '更改检查方式须联网，请稍后再试。';
        apply.disabled = false;
      }
    } }, '确定');
    change = h('details', { class: 'method-change' }, h('summary', {}, '更改检查方式（组长，检查开始前，须联网）'),
      field('新的检查方式', select), msg, apply);
  }
  return section('检查方式', h('p', { class: 'method-current' }, h('strong', {}, METHOD_LABELS[current] || current), `（${who}）`),
    h('p', { class: 'hint' }, hint), change);
}

const DETAIL_FIELDS = {
  documentary: [['documents_received', '收到的书面材料（名称、份数、提交日期）', 'textarea']],
  online: [['urls', '检查的网址（每行一个，http:// 或 https:// 开头）', 'textarea']],
  delegated_body: [['body', '专业机构名称', 'input'], ['report_no', '报告编号（可选）', 'input']],
  other_authority: [['authority', '作出结论的部门', 'input'], ['document', '结论文书名称及文号', 'input'],
    ['document_date', '结论文书日期', 'date']],
};
const MEDIA_LABELS = { documentary: '拍摄或扫描书面材料', online: '网页截图', delegated_body: '拍摄报告', other_authority: '拍摄结论文书' };

// What was typed and not yet saved survives a re-render (a photo taken, a sync): {visitId, values}.
let draft = null;

/** The method's own evidence: its fields (saved with visit.method) and its photos (target "method"). */
function evidenceForm(ctx, method, redo, ro) {
  const d = ctx.visit.record.method_details || {};
  if (draft?.visitId !== ctx.visit.id) draft = { visitId: ctx.visit.id, values: {} };
  const inputs = {};
  const rows = (DETAIL_FIELDS[method] || []).map(([key, label, kind]) => {
    const saved = key === 'urls' ? (d.urls || []).join('\n') : d[key] || '';
    const value = draft.values[key] ?? saved;
    const keep = (e) => { draft.values[key] = e.target.value; };
    const el = kind === 'textarea' ? h('textarea', { rows: 3, name: key, disabled: ro, oninput: keep }, value)
      : h('input', { name: key, type: kind === 'date' ? 'date' : 'text', value, disabled: ro, oninput: keep, onchange: keep });
    inputs[key] = el;
    return field(label, el);
  });
  const msg = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { type: 'button', class: 'primary', hidden: ro, onclick: async () => {
    const details = {};
    for (const [key, el] of Object.entries(inputs)) {
      details[key] = key === 'urls' ? el.value.split('\n').map((u) => u.trim()).filter(Boolean) : (el.value.trim() || null);
    }
    const bad = (details.urls || []).find((u) => !/^https?:\/\/[^\s/]+/.test(u));
    if (bad) { msg.textContent = `网址“${bad}”须以 http:// 或 https:// 开头。`; return; }
    await enqueue(ctx.visit.id, 'visit.method', { visit_id: ctx.visit.id, method, details });
    draft = null;
    redo();
  } }, '保存依据材料');
  const missing = methodMissing(ctx.visit);
  return h('div', {}, rows, h('p', {}, (METHOD_EVIDENCE[method] || []).find(([k]) => k === 'media')?.[1] || ''),
    photoBlock(ctx, { type: 'method', id: null }, { readOnly: ro, onChange: redo, label: MEDIA_LABELS[method] || '拍照' }),
    missing.length ? h('p', { class: 'hint' }, `尚缺：${missing.join('、')}`) : h('p', { class: 'hint' }, '依据材料已齐全'), msg, save);
}
