// Findings (problems found) with the on-site measures taken, and their photos.
import { h, mount, setTitle, section, field } from '../ui.js';
import { load, stepNav, sealedBanner, sealed, mine, photosFor } from '../model.js';
import { enqueue } from '../outbox.js';
import { uuid } from '../ids.js';
import { MEASURE_LABELS } from '../util.js';
import { photoBlock } from './photos.js';
import { commentNotes } from '../review.js';

/** Sync does not re-render this screen: it holds unsaved input. */
export const noAutoRefresh = true;

let draftId = null;
let draft = {};
const keep = (el, k) => { if (draft[k] != null) el.value = draft[k]; el.addEventListener('input', () => { draft[k] = el.value; }); return el; };

export async function render({ id }) {
  const ctx = await load(id);
  if (!ctx) { location.hash = '#/'; return; }
  const { visit, task } = ctx;
  const r = visit.record;
  setTitle('发现问题', `#/visit/${id}`);
  const ro = sealed(visit);
  if (!draftId || r.findings.some((f) => f.id === draftId)) { draftId = uuid(); draft = {}; }
  const redo = () => render({ id });

  const list = r.findings.length ? h('ul', { class: 'cards' }, r.findings.map((f) => h('li', { class: 'card finding' },
    h('p', { class: 'prompt' }, f.description),
    commentNotes(visit, `finding:${f.id}`),
    f.legal_basis ? h('p', { class: 'basis' }, `依据：${f.legal_basis}`) : null,
    h('p', {}, `现场措施：${f.measures.map((m) => MEASURE_LABELS[m] || m).join('、') || '无'}`),
    f.rectify_deadline ? h('p', {}, `整改期限：${f.rectify_deadline}`) : null,
    h('p', { class: 'muted' }, `照片 ${f.media_ids.length} 张`)))) : h('p', { class: 'card' }, '尚未记录问题。没有发现问题可直接进入下一步。');

  let form = null;
  if (!ro) {
    const cps = task.items.filter((i) => mine(ctx, i)).flatMap((i) => i.checkpoints.map((cp) => [`${i.item_id}:${cp.key}`, `${i.name.slice(0, 10)}… ${cp.prompt.slice(0, 24)}`]));
    const desc = keep(h('textarea', { rows: 3, required: true, name: 'description' }), 'desc');
    const point = h('select', { name: 'checkpoint' }, h('option', { value: '' }, '（不对应具体要点）'), cps.map(([v, t]) => h('option', { value: v }, t)));
    keep(point, 'point'); point.addEventListener('change', () => { draft.point = point.value; });
    const basis = keep(h('input', { name: 'legal_basis' }), 'basis');
    const deadline = keep(h('input', { type: 'date', name: 'rectify_deadline' }), 'deadline');
    deadline.addEventListener('change', () => { draft.deadline = deadline.value; });
    const measures = Object.entries(MEASURE_LABELS).map(([v, t]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'measures', value: v, checked: (draft.measures || []).includes(v), onchange: (e) => { draft.measures = (draft.measures || []).filter((x) => x !== v).concat(e.target.checked ? [v] : []); } }), h('span', {}, t)));
    const err = h('p', { class: 'error', role: 'alert' });
    form = section('记录新问题',
      field('问题描述', desc), field('对应检查要点', point), field('法律依据（可选）', basis),
      h('fieldset', {}, h('legend', {}, '现场采取的措施'), measures),
      field('整改期限（可选）', deadline),
      h('p', {}, '问题照片'), photoBlock(ctx, { type: 'finding', id: draftId }, { onChange: redo }),
      err,
      h('button', { type: 'button', class: 'primary big', onclick: async () => {
        if (desc.value.trim().length < 2) { err.textContent = '请填写问题描述（至少 2 个字）。'; desc.focus(); return; }
        const [itemId, cpKey] = point.value ? point.value.split(':') : [null, null];
        await enqueue(id, 'finding.add', { visit_id: id, finding_id: draftId, item_id: itemId ? +itemId : null, checkpoint_key: cpKey,
          description: desc.value.trim(), legal_basis: basis.value.trim() || null,
          measures: measures.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
          rectify_deadline: deadline.value || null, media_ids: photosFor(r, 'finding', draftId).map((m) => m.media_id) });
        draftId = null; draft = {};
        redo();
      } }, '保存问题'));
  }
  mount(stepNav(visit, '/findings'), sealedBanner(visit), list, form,
    h('a', { class: 'button primary big', href: `#/visit/${id}/outcome` }, '下一步：检查结果'));
}
