// The checklist: the own department's items are editable, the others read-only
// ("who checks, who enters"); big 合格 / 不合格 / 不涉及 buttons; photo-required enforced.
import { h, mount, setTitle } from '../ui.js';
import { load, stepNav, sealedBanner, sealed, mine, deptName, progressOf, photosFor, onsite } from '../model.js';
import { enqueue } from '../outbox.js';
import { VALUE_LABELS } from '/shared/labels.js';
import { photoBlock } from './photos.js';
import { commentNotes } from '../review.js';

export async function render({ id }) {
  const ctx = await load(id);
  if (!ctx) { location.hash = '#/'; return; }
  const { visit, task, base } = ctx;
  const r = visit.record;
  setTitle('逐项检查', `#/visit/${id}`);
  const redo = () => render({ id });
  const p = progressOf(visit, task);

  const answer = async (item, cp, value, note) => {
    const key = `${item.item_id}:${cp.key}`;
    const prev = r.answers[key];
    await enqueue(id, 'answer.set', { visit_id: id, item_id: item.item_id, checkpoint_key: cp.key, value,
      note: note === undefined ? prev?.note ?? null : note, base_version: base?.record?.answers?.[key]?.version ?? null });
    redo();
  };

  const checkpoint = (item, cp, editable) => {
    const key = `${item.item_id}:${cp.key}`;
    const a = r.answers[key];
    const photos = photosFor(r, 'answer', key);
    // Photos of the premises are an on-site matter: a check away from them is not asked for any.
    const needsPhoto = cp.photo_required && onsite(visit);
    const missingPhoto = needsPhoto && a && a.value && a.value !== 'na' && !photos.length;
    let control;
    if (!editable) {
      control = h('p', { class: 'readonly-value' }, a?.value != null ? (VALUE_LABELS[a.value] || a.value) : '（对方部门尚未填写）');
    } else if (cp.answer_type === 'pass_fail_na' || cp.answer_type === 'choice') {
      const opts = cp.answer_type === 'choice' ? cp.choices.map((c) => [c, c]) : Object.entries(VALUE_LABELS);
      control = h('div', { class: 'answers', role: 'group', 'aria-label': cp.prompt }, opts.map(([v, label]) =>
        h('button', { type: 'button', class: `answer ${v}`, 'aria-pressed': String(a?.value === v), onclick: () => answer(item, cp, v) }, label)));
    } else {
      const input = cp.answer_type === 'number'
        ? h('input', { type: 'text', inputmode: 'decimal', value: a?.value ?? '', 'aria-label': `${cp.prompt}（${cp.unit || '数值'}）` })
        : h('textarea', { rows: 2, 'aria-label': cp.prompt }, a?.value ?? '');
      const err = h('p', { class: 'error', role: 'alert' });
      control = h('div', { class: 'row' }, input, cp.unit ? h('span', {}, cp.unit) : null,
        h('button', { type: 'button', class: 'primary', onclick: () => {
          const v = input.value.trim();
          if (cp.answer_type === 'number' && !/^-?\d+(\.\d+)?$/.test(v)) { err.textContent = '须为数字。'; return; }
          answer(item, cp, v);
        } }, '保存'), err);
    }
    const note = editable && a ? h('details', { class: 'note' }, h('summary', {}, a.note ? `备注：${a.note}` : '添加备注'),
      h('div', { class: 'row' }, h('textarea', { rows: 2, 'aria-label': '备注', id: `note-${key}` }, a.note || ''),
        h('button', { type: 'button', class: 'secondary', onclick: () => answer(item, cp, a.value, document.getElementById(`note-${key}`).value.trim() || null) }, '保存备注')))
      : (a?.note ? h('p', { class: 'muted' }, `备注：${a.note}`) : null);
    return h('li', { class: `checkpoint ${a?.value ? 'answered' : ''}`, 'data-key': key },
      h('p', { class: 'prompt' }, cp.prompt),
      commentNotes(visit, `answer:${key}`),
      cp.legal_basis ? h('p', { class: 'basis' }, `依据：${cp.legal_basis}`) : null,
      needsPhoto ? h('p', { class: `badge ${missingPhoto ? 'need' : ''}` }, missingPhoto ? '⚠ 须拍照留证' : '须拍照留证') : null,
      control, note,
      photos.length || (editable && (needsPhoto || a?.value === 'fail'))
        ? photoBlock(ctx, { type: 'answer', id: key }, { readOnly: !editable, onChange: redo }) : null);
  };

  const ro = sealed(visit);
  mount(
    stepNav(visit, '/check'), sealedBanner(visit),
    h('p', { class: 'progress-line', role: 'status' }, `已填写 ${p.answered}/${p.total} 个要点`, p.needPhoto.length ? `，${p.needPhoto.length} 个须补拍照片` : ''),
    ...task.items.map((item) => {
      const editable = mine(ctx, item) && !ro;
      return h('section', { class: `card item ${editable ? 'mine' : 'other'}` },
        h('h2', {}, item.name),
        h('p', { class: 'muted' }, `${deptName(task, item.department_id)} · ${editable ? '本部门填写' : '只读（由该部门人员填写）'}`),
        h('ol', { class: 'checkpoints' }, item.checkpoints.map((cp) => checkpoint(item, cp, editable))));
    }),
    h('a', { class: 'button primary big', href: `#/visit/${id}/findings` }, '下一步：发现问题'),
  );
}
