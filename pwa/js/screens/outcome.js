// The outcome: normal result codes and follow-up, or an Art. 21 case with the
// evidence that case requires (server/visits/rules.py) before it can be saved.
import { h, mount, setTitle, section, field } from '../ui.js';
import { load, stepNav, sealedBanner, sealed, photosFor, onsite } from '../model.js';
import { enqueue } from '../outbox.js';
import { photoBlock } from './photos.js';
import { FACT_LABELS } from '/shared/labels.js';

/** Sync does not re-render this screen: it holds unsaved input. */
export const noAutoRefresh = true;

const EVIDENCE = FACT_LABELS;
// Facts worth stating although not required (they go into the summary the party or witness signs).
const OPTIONAL = { unreachable: ['neighbours_asked'], refused: ['witness', 'description'] };
const PLACEHOLDERS = { address_checked: '如：忻府区和平街 12 号（登记住所），现场为空置商铺', phone_attempt: '如：09:10 拨打登记电话 0350-1234567，无人接听',
  neighbours_asked: '如：询问隔壁商户，称该店已半年未营业', refused_what: '如：拒绝提供进货查验记录、拒绝进入后厨',
  refused_how: '如：负责人口头拒绝并锁闭后厨门', witness: '如：社区网格员 张三' };
const fieldsOf = (rule) => [...rule.requires.filter((k) => EVIDENCE[k]), ...(OPTIONAL[rule.code] || [])];
const PHOTO_NEEDS = { site_photos: '现场照片', documents: '证明材料（照片或截图）' };
let form = null; // {visitId, mode, codes, followup, note, case, evidence}

export async function render({ id }) {
  const ctx = await load(id);
  if (!ctx) { location.hash = '#/'; return; }
  const { visit, me } = ctx;
  const r = visit.record;
  setTitle('检查结果', `#/visit/${id}`);
  const ro = sealed(visit);
  const redo = () => render({ id });
  if (!form || form.visitId !== id) {
    const o = r.outcome;
    form = { visitId: id, mode: o?.case ? 'case' : 'normal', codes: o?.case ? [] : [...(o?.codes || [])], followup: o?.followup || 'none',
      note: o?.followup_note || '', case: o?.case || null, evidence: { ...(o?.evidence || {}) } };
  }
  // Cases established by photos of the site only fit a check on the premises (server: ONSITE_CASES).
  const outcomes = onsite(visit) ? me.outcomes : me.outcomes.filter((o) => !o.requires.includes('site_photos'));
  const current = outcomes.find((o) => o.code === form.case);
  const err = h('p', { class: 'error', role: 'alert' });

  const modeSwitch = h('div', { class: 'answers two', role: 'group', 'aria-label': '检查情形' },
    h('button', { type: 'button', class: 'answer', 'aria-pressed': String(form.mode === 'normal'), disabled: ro, onclick: () => { form.mode = 'normal'; form.case = null; redo(); } }, '正常检查'),
    h('button', { type: 'button', class: 'answer', 'aria-pressed': String(form.mode === 'case'), disabled: ro, onclick: () => { form.mode = 'case'; redo(); } }, '特殊情形'));

  let body;
  if (form.mode === 'normal') {
    const special = new Set(outcomes.map((o) => o.result_code));
    body = [
      h('fieldset', {}, h('legend', {}, '检查结果（可多选）'), me.result_codes.filter((c) => !special.has(c.code) || c.code === 'D').map((c) =>
        h('label', { class: 'check' }, h('input', { type: 'checkbox', value: c.code, checked: form.codes.includes(c.code), disabled: ro,
          onchange: (e) => { form.codes = form.codes.filter((x) => x !== c.code).concat(e.target.checked ? [c.code] : []); } }), h('span', {}, c.label)))),
      h('fieldset', {}, h('legend', {}, '后续处置'), me.followups.map((f) =>
        h('label', { class: 'check' }, h('input', { type: 'radio', name: 'followup', value: f.code, checked: form.followup === f.code, disabled: ro,
          onchange: () => { form.followup = f.code; } }), h('span', {}, f.label)))),
      field('处置说明（可选）', h('textarea', { rows: 2, disabled: ro, oninput: (e) => { form.note = e.target.value; } }, form.note)),
    ];
  } else {
    body = [
      h('p', { class: 'hint' }, '第二十一条：已注销、无法联系、拒不配合等情形，凭证据直接形成检查结果。'),
      h('fieldset', {}, h('legend', {}, '情形'), outcomes.map((o) =>
        h('label', { class: 'check' }, h('input', { type: 'radio', name: 'case', value: o.code, checked: form.case === o.code, disabled: ro,
          onchange: () => { form.case = o.code; redo(); } }), h('span', {}, o.label)))),
      current ? h('div', { class: 'evidence' },
        h('p', { class: 'hint' }, `须提供：${current.requires.map((k) => EVIDENCE[k] || PHOTO_NEEDS[k]).join('、')}`),
        fieldsOf(current).map((k) => field(current.requires.includes(k) ? EVIDENCE[k] : `${EVIDENCE[k]}（可选）`,
          h(k === 'witness' ? 'input' : 'textarea', { rows: 2, name: k, value: form.evidence[k] || '', disabled: ro,
            placeholder: PLACEHOLDERS[k] || '', oninput: (e) => { form.evidence[k] = e.target.value; } }, k === 'witness' ? null : form.evidence[k] || ''))),
        current.requires.some((k) => PHOTO_NEEDS[k])
          ? [h('p', {}, PHOTO_NEEDS[current.requires.find((k) => PHOTO_NEEDS[k])]), photoBlock(ctx, { type: 'outcome', id: form.case }, { readOnly: ro, onChange: redo })]
          : null) : null,
    ];
  }

  const save = h('button', { type: 'button', class: 'primary big', hidden: ro, onclick: async () => {
    const photos = form.case ? photosFor(r, 'outcome', form.case).map((m) => m.media_id) : [];
    if (form.mode === 'case') {
      if (!current) { err.textContent = '请选择情形。'; return; }
      const missing = current.requires.filter((k) => (PHOTO_NEEDS[k] ? photos.length < 1 : !(form.evidence[k] || '').trim()))
        .map((k) => EVIDENCE[k] || PHOTO_NEEDS[k]);
      if (missing.length) { err.textContent = `“${current.label}”须提供：${missing.join('、')}。`; return; }
    } else {
      if (!form.codes.length) { err.textContent = '请选择检查结果。'; return; }
      if (form.codes.includes('1') && form.codes.length > 1) { err.textContent = '“未发现问题”不能与其他结果同时选择。'; return; }
    }
    const ev = form.mode === 'case' ? Object.fromEntries(fieldsOf(current).filter((k) => (form.evidence[k] || '').trim())
      .map((k) => [k, form.evidence[k].trim()])) : {};
    await enqueue(id, 'outcome.set', { visit_id: id, codes: form.mode === 'case' ? [] : form.codes,
      followup: form.mode === 'case' ? (form.followup === 'none' ? 'routine' : form.followup) : form.followup,
      followup_note: form.note.trim() || null, case: form.mode === 'case' ? form.case : null,
      evidence: { ...ev, media_ids: photos } });
    form = null;
    location.hash = `#/visit/${id}/sign`;
  } }, '保存检查结果');

  const saved = r.outcome ? h('p', { class: 'banner ok', role: 'status' }, `已保存：${r.outcome.codes.map((c) => me.result_codes.find((x) => x.code === c)?.label || c).join('、')}`) : null;
  mount(stepNav(visit, '/outcome'), sealedBanner(visit), saved, section('检查情形', modeSwitch, ...body.flat()), err, save,
    h('a', { class: 'button secondary big', href: `#/visit/${id}/sign` }, '下一步：核对与签名'));
}
