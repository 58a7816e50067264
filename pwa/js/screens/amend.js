// 补正: the team corrects a sealed record the reviewer sent back — a checkpoint, a finding, the
// outcome, or more photos — as one `amendment.add` (RFC 6902 patch over the record as it stands),
// queued offline like everything else; the server puts the record back in the reviewer's queue.
import { h, mount, setTitle, section, field, toast } from '../ui.js';
import { load, mine, deptName } from '../model.js';
import { enqueueMany } from '../outbox.js';
import { sha256Hex, uuid } from '../ids.js';
import { isoNow } from '../util.js';
import { VALUE_LABELS } from '/shared/labels.js';
import { REVIEW_LABELS, commentNotes, currentView, answerPatch, findingPatch, outcomePatch, shortDept, reviewEntries } from '../review.js';

/** Sync does not re-render this screen: it holds unsaved input. */
export const noAutoRefresh = true;

let draft = null; // {visitId, changes: [{label, patch?, photo?}], reason}

function targetLabel(task, visit, target) {
  if (target === 'general') return '整体意见';
  const [kind, ...rest] = target.split(':');
  if (kind === 'answer') {
    const [itemId, key] = rest;
    const item = task.items.find((i) => String(i.item_id) === itemId);
    const cp = item?.checkpoints.find((c) => c.key === key);
    return cp ? `检查要点：${cp.prompt}` : '检查要点';
  }
  if (kind === 'finding') return `发现的问题：${visit.record.findings.find((f) => f.id === rest.join(':'))?.description || ''}`;
  if (kind === 'media') return '照片';
  return '其他';
}

export async function render({ id }) {
  const ctx = await load(id);
  if (!ctx) { location.hash = '#/'; return; }
  const { visit, task, me } = ctx;
  setTitle('补正', `#/visit/${id}`);
  if (!draft || draft.visitId !== id) draft = { visitId: id, changes: [], reason: '' };
  const redo = () => render({ id });
  const view = currentView(visit);
  const err = h('p', { class: 'error', role: 'alert' });

  if (!visit.record.sealed) {
    mount(h('p', { class: 'card' }, '记录尚未签名封存，可直接在检查步骤中修改，无需补正。'),
      h('a', { class: 'button secondary', href: `#/visit/${id}` }, '返回'));
    return;
  }

  // The reviewer's comments, grouped by what they concern.
  const targets = [...new Set((visit.record.review_comments || []).map((c) => c.target))];
  const states = reviewEntries(visit);
  const opinions = section('审核意见',
    states.length ? h('p', {}, states.map((r) => `${shortDept(r.department_name)}：${REVIEW_LABELS[r.status] || '审核中'}`).join('；')) : null,
    targets.length ? targets.map((t) => h('div', { class: 'opinion' }, h('p', { class: 'muted' }, targetLabel(task, visit, t)), commentNotes(visit, t)))
      : h('p', {}, '审核人员没有留下意见。'));

  // The editor of one change.
  const kinds = [['answer', '检查要点'], ['finding', '发现的问题'], ['outcome', '检查结果'], ['photo', '补充照片']];
  const kind = h('select', { name: 'kind', 'aria-label': '补正项目' }, kinds.map(([v, t]) => h('option', { value: v, selected: draft.kind === v }, t)));
  kind.addEventListener('change', () => { draft.kind = kind.value; redo(); });
  const k = draft.kind || 'answer';
  let editor;
  let stage;
  if (k === 'answer') {
    const own = task.items.filter((i) => mine(ctx, i));
    const options = own.flatMap((i) => i.checkpoints.map((cp) => [`${i.item_id}:${cp.key}`, `${i.name.slice(0, 8)}… ${cp.prompt.slice(0, 22)}`, i, cp]));
    const commented = targets.filter((t) => t.startsWith('answer:')).map((t) => t.slice(7));
    const pick = h('select', { name: 'checkpoint' }, options.map(([v, t]) => h('option', { value: v, selected: draft.point ? draft.point === v : commented.includes(v) }, commented.includes(v) ? `⚑ ${t}` : t)));
    pick.addEventListener('change', () => { draft.point = pick.value; redo(); });
    const chosen = options.find(([v]) => v === pick.value);
    const now = chosen ? view.answers.find((a) => `${a.item_id}:${a.checkpoint_key}` === chosen[0]) : null;
    const cp = chosen?.[3];
    const value = cp && (cp.answer_type === 'pass_fail_na' || cp.answer_type === 'choice')
      ? h('select', { name: 'value' }, (cp.answer_type === 'choice' ? cp.choices.map((c) => [c, c]) : Object.entries(VALUE_LABELS))
        .map(([v, t]) => h('option', { value: v, selected: now?.value === v }, t)))
      : h('input', { name: 'value', value: now?.value ?? '' });
    const note = h('textarea', { rows: 2, name: 'note' }, now?.note || '');
    editor = options.length ? [field('检查要点', pick),
      chosen ? h('p', { class: 'muted' }, `现为：${now ? (VALUE_LABELS[now.value] || now.value || '未填') : '未填'}${now?.note ? `（备注：${now.note}）` : ''}`) : null,
      field('改为', value), field('备注', note)] : [h('p', {}, '本部门没有可补正的检查要点。')];
    stage = () => {
      if (!chosen) return null;
      const [, , item, c] = chosen;
      if (!value.value.trim()) { err.textContent = '请填写要点的结论。'; return null; }
      return { label: `检查要点“${c.prompt.slice(0, 20)}”改为“${VALUE_LABELS[value.value] || value.value}”`,
        patch: answerPatch(currentView(visit), item.item_id, c.key, { value: value.value.trim(), note: note.value.trim() || null }) };
    };
  } else if (k === 'finding') {
    const list = view.findings;
    const pick = h('select', { name: 'finding' }, list.map((f) => h('option', { value: f.id, selected: draft.finding === f.id }, f.description.slice(0, 30))));
    pick.addEventListener('change', () => { draft.finding = pick.value; redo(); });
    const f = list.find((x) => x.id === pick.value);
    const desc = h('textarea', { rows: 3, name: 'description' }, f?.description || '');
    const deadline = h('input', { type: 'date', name: 'rectify_deadline', value: f?.rectify_deadline || '' });
    editor = list.length ? [field('问题', pick), field('问题描述', desc), field('整改期限', deadline), commentNotes(visit, `finding:${f?.id}`)]
      : [h('p', {}, '记录中没有发现的问题。')];
    stage = () => {
      if (!f) return null;
      if (desc.value.trim().length < 2) { err.textContent = '请填写问题描述（至少 2 个字）。'; return null; }
      return { label: `问题“${f.description.slice(0, 16)}”：描述${deadline.value ? `、整改期限 ${deadline.value}` : ''}`,
        patch: findingPatch(currentView(visit), f.id, { description: desc.value.trim(), rectify_deadline: deadline.value || null }) };
    };
  } else if (k === 'outcome') {
    const codes = new Set(view.outcome?.codes || []);
    const boxes = (me.result_codes || []).map((c) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'codes', value: c.code, checked: codes.has(c.code) }), h('span', {}, c.label)));
    const note = h('textarea', { rows: 2, name: 'followup_note' }, view.outcome?.followup_note || '');
    editor = [h('fieldset', {}, h('legend', {}, '检查结果'), boxes), field('后续处置说明', note)];
    stage = () => {
      const chosen = boxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
      if (!chosen.length) { err.textContent = '请至少选择一项检查结果。'; return null; }
      const labels = (me.result_codes || []).filter((c) => chosen.includes(c.code)).map((c) => c.label);
      return { label: `检查结果改为“${labels.join('、')}”`,
        patch: outcomePatch(currentView(visit), { codes: chosen, followup_note: note.value.trim() || null }) };
    };
  } else {
    const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, name: 'photos' });
    editor = [field('拍照或选择照片', input, '照片原件保存在本机，联网后上传；补正只记录其校验值。')];
    stage = () => {
      if (!input.files.length) { err.textContent = '请先拍照或选择照片。'; return null; }
      return { label: `补充照片 ${input.files.length} 张`, photos: [...input.files] };
    };
  }

  const staged = draft.changes.length
    ? h('ul', { class: 'plain staged' }, draft.changes.map((c, i) => h('li', {}, h('span', {}, c.label),
      h('button', { type: 'button', class: 'secondary', onclick: () => { draft.changes.splice(i, 1); redo(); } }, '移除'))))
    : h('p', { class: 'muted' }, '尚未加入补正内容。');
  const reason = h('textarea', { rows: 3, name: 'reason', placeholder: '如：按审核意见补充现场核实情况' }, draft.reason);
  reason.addEventListener('input', () => { draft.reason = reason.value; });

  const submit = async (btn) => {
    if (!draft.changes.length) { err.textContent = '请先加入至少一项补正内容。'; return; }
    if (draft.reason.trim().length < 2) { err.textContent = '请填写补正说明（至少 2 个字）。'; reason.focus(); return; }
    btn.disabled = true;
    try {
      const aid = uuid();
      const mutations = [];
      const media = [];
      const patch = [];
      for (const c of draft.changes) {
        if (c.patch) patch.push(...c.patch);
        for (const file of c.photos || []) {
          const sha = await sha256Hex(file);
          const row = { media_id: uuid(), visit_id: id, blob: file, sha256: sha, type: file.type || 'image/jpeg',
            filename: file.name || 'photo.jpg', size: file.size, kind: 'photo', done: false, url: null, created_at: Date.now() };
          media.push(row);
          mutations.push({ name: 'media.attach', args: { visit_id: id, media_id: row.media_id, sha256: sha, kind: 'photo',
            target: { type: 'amendment', id: aid }, claim: { captured_at: isoNow(), filename: row.filename, size: row.size, device: 'pwa' } } });
          patch.push({ op: 'add', path: '/media/-', value: { media_id: row.media_id, sha256: sha } });
        }
      }
      mutations.push({ name: 'amendment.add', args: { visit_id: id, amendment_id: aid, reason: draft.reason.trim(), patch } });
      await enqueueMany(id, mutations, media);
      draft = null;
      toast('补正已保存，联网后自动同步，记录将重新进入审核队列。');
      location.hash = `#/visit/${id}`;
    } catch (e) {
      err.textContent = e.message || '补正未能保存';
      btn.disabled = false;
    }
  };

  mount(
    h('p', { class: 'banner warn' }, '记录已签名封存，原记录不会被改动；补正作为附加说明随记录一并审核。'),
    opinions,
    section('补正内容', field('补正项目', kind), ...editor,
      h('button', { type: 'button', class: 'secondary', onclick: () => {
        err.textContent = '';
        const c = stage();
        if (c) { draft.changes.push(c); redo(); }
      } }, '加入补正'),
      h('h3', {}, '本次补正'), staged),
    section('补正说明', field('说明', reason), err,
      h('button', { type: 'button', class: 'primary big', onclick: (e) => submit(e.currentTarget) }, '提交补正')),
    h('p', { class: 'hint' }, `由 ${me.display_name}（${deptName(task, me.department.id) || me.department.name}）提交`),
  );
}
