// Reading a visit with its task and the caller, and what a record still lacks.
import { db, ekey, entities } from './store.js';
import { h } from './ui.js';

export async function me() { return (await entities('me'))[0] || null; }

export async function load(visitId) {
  const d = await db();
  const row = await d.get('entities', ekey('visit', visitId));
  if (!row) return null;
  const visit = row.data;
  const task = (await d.get('entities', ekey('task', visit.task_id)))?.data;
  const media = await d.getAllFromIndex('media', 'visit', visitId);
  return { visit, base: row.base, task, me: await me(), media };
}

export const sealed = (visit) => visit.status === 'sealed' || !!visit.record.sealed;
export const mine = (ctx, item) => item.department_id === ctx.me?.department?.id;
export const deptName = (task, id) => task.departments.find((d) => d.id === id)?.name || '';
export const memberName = (visit, inspectorId) => visit.team.find((m) => m.inspector_id === inspectorId)?.name || `执法人员 ${inspectorId}`;
export const isLeader = (visit, meRow) => visit.team.some((m) => m.user_id === meRow?.user_id && m.role === 'leader');

export function photosFor(record, type, id) {
  return record.media.filter((m) => m.target?.type === type && (id == null || m.target.id === id));
}

/** Checkpoints answered / total, and the photo-required ones still without a photo. */
export function progressOf(visit, task) {
  let total = 0, answered = 0;
  const needPhoto = [];
  for (const item of task?.items || []) {
    for (const cp of item.checkpoints) {
      total += 1;
      const a = visit.record.answers[`${item.item_id}:${cp.key}`];
      if (a && a.value != null && a.value !== '') {
        answered += 1;
        if (cp.photo_required && a.value !== 'na' && !photosFor(visit.record, 'answer', `${item.item_id}:${cp.key}`).length) {
          needPhoto.push(cp.prompt);
        }
      }
    }
  }
  return { total, answered, needPhoto };
}

const NO_PARTY = new Set(['unreachable', 'deregistered', 'revoked', 'cancelled', 'moved_out']);

/** What must still happen before signing (the record's content) — mirrors server/visits/seal.py. */
export function contentProblems(visit, task) {
  const r = visit.record;
  const out = [];
  if (r.present.length < 2) out.push('现场检查的执法人员不得少于 2 人');
  if (!r.outcome) out.push('请先填写检查结果');
  if (!r.outcome?.case) {
    if (!r.arrival) out.push('未记录到达现场');
    if (!r.credentials_shown_at) out.push('未记录出示执法证件');
    if (!r.rights_informed_at) out.push('未记录告知权利义务');
    const p = progressOf(visit, task);
    if (p.answered < p.total) out.push(`还有 ${p.total - p.answered} 个检查要点未填写`);
    if (p.needPhoto.length) out.push(`${p.needPhoto.length} 个要点须拍照留证`);
  }
  return out;
}

/** Signatures still missing, given the current content hash. */
export function signatureProblems(visit, hash) {
  const r = visit.record;
  const bound = r.signatures.filter((s) => s.content_sha256 === hash);
  const out = [];
  if (r.signatures.length > bound.length) out.push('签名之后记录又被修改，须重新签名');
  if (!NO_PARTY.has(r.outcome?.case)) {
    const party = bound.filter((s) => ['legal_rep', 'person_in_charge'].includes(s.role));
    const ok = party.some((s) => !s.refused) || (party.some((s) => s.refused) && bound.some((s) => s.role === 'witness'));
    if (!ok) out.push('须由法定代表人（负责人）签名；拒绝签名的须注明原因并由见证人签名');
  }
  const insp = new Set(bound.filter((s) => s.role === 'inspector').map((s) => signerInspector(visit, s)));
  if ([...insp].filter((i) => r.present.includes(i)).length < 2) out.push('须由至少 2 名在场执法人员签名');
  return out;
}

/** The inspector who gave a signature: by its inspector_id (pulled and local signatures carry it);
 *  by the signer's name within the team only when the id is missing (a copy pulled from an older server). */
export const signerInspector = (visit, s) => (s.inspector_id != null ? s.inspector_id
  : visit.team.find((m) => m.name === s.signer_name)?.inspector_id ?? null);

export const partyNeeded = (visit) => !NO_PARTY.has(visit.record.outcome?.case);

const STEPS = [['', '简介'], ['/site', '到场'], ['/check', '要点'], ['/findings', '问题'], ['/outcome', '结果'], ['/sign', '签名']];
export function stepNav(visit, active) {
  return h('nav', { class: 'steps', 'aria-label': '检查步骤' },
    STEPS.map(([suffix, label]) => h('a', { href: `#/visit/${visit.id}${suffix}`, 'aria-current': suffix === active ? 'step' : null }, label)));
}

// A directory feed found the object deregistered, revoked or moved out while the visit was open:
// the leader may form the result directly (Art. 21).
export function closedBanner(visit) {
  const c = visit.object_closed;
  return c && !sealed(visit)
    ? h('p', { class: 'banner warn object-closed', role: 'alert' },
      `名录数据显示该对象已${c.status_label}${c.on ? `（${c.on}）` : ''}。${c.note}`)
    : null;
}

export function sealedBanner(visit) {
  return sealed(visit)
    ? h('p', { class: 'banner sealed', role: 'status' }, '记录已签名封存，不能再修改（如需更正请在后台提交补正）。')
    : null;
}
