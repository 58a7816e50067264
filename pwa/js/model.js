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

// Mirrors of server/visits/seal.py and rules.py: the phone explains before signing what the
// server would refuse at the seal.
const NO_PARTY = new Set(['unreachable', 'liquidating', 'deregistered', 'revoked', 'cancelled', 'moved_out']);
const MET_CASES = new Set(['refused', 'no_activity', 'unlicensed']);
const PROBLEM_CODES = new Set(['A', 'B', 'C', 'D', '5', 'E']);
export const PARTY_ROLES = ['legal_rep', 'person_in_charge'];
export const METHOD_EVIDENCE = {
  documentary: [['documents_received', '收到的书面材料'], ['media', '书面材料的照片或扫描件']],
  online: [['urls', '检查的网址'], ['media', '带时间和指纹的网页截图']],
  delegated_body: [['body', '专业机构名称'], ['media', '专业机构出具的报告']],
  other_authority: [['authority', '作出结论的部门'], ['document', '结论文书名称及文号'], ['document_date', '结论文书日期'],
    ['media', '结论文书的照片或扫描件']],
};
// The method recorded, else the one the plan task or the leader chose for the visit (planned_method).
export const methodOf = (visit) => visit.record.method || visit.planned_method?.code || 'onsite';
export const onsite = (visit) => methodOf(visit) === 'onsite';

/** Labels of the method's own evidence still missing (none for an on-site check). */
export function methodMissing(visit) {
  const r = visit.record;
  const d = r.method_details || {};
  const media = photosFor(r, 'method').length;
  return (METHOD_EVIDENCE[methodOf(visit)] || []).filter(([k]) => (k === 'media' ? media < 1
    : k === 'urls' ? !(d.urls || []).length : !(d[k] || '').trim())).map(([, label]) => label);
}

/** Conflicts between the result codes, the checkpoint answers and the findings (server code result_inconsistent). */
export function consistencyProblems(visit) {
  const r = visit.record;
  const codes = r.outcome?.codes || [];
  const failed = Object.values(r.answers).filter((a) => a.value === 'fail').length;
  const findings = r.findings.length;
  const out = [];
  if (codes.includes('1')) {
    if (failed) out.push(`检查结果为“未发现问题”，但有 ${failed} 个检查要点为“不合格”`);
    if (findings) out.push(`检查结果为“未发现问题”，但记录了 ${findings} 个发现的问题`);
  }
  if (codes.some((c) => PROBLEM_CODES.has(c)) && !failed && !findings) out.push('检查结果为发现问题，但没有不合格的检查要点，也没有记录发现的问题');
  return out;
}

/** What must still happen before signing (the record's content) — mirrors server/visits/seal.py. */
export function contentProblems(visit, task) {
  const r = visit.record;
  const site = onsite(visit);
  const c = r.outcome?.case;
  const out = [];
  if (site && r.present.length < 2) out.push('现场检查的执法人员不得少于 2 人');
  if (!site && r.present.length < 1) out.push('请记录实施检查的执法人员');
  if (!r.outcome) out.push('请先填写检查结果');
  if (site && (!c || MET_CASES.has(c))) {
    if (!r.arrival) out.push('未记录到达现场');
    if (!r.credentials_shown_at) out.push('未记录出示执法证件');
    if (!c && !r.rights_informed_at) out.push('未记录告知权利义务');
  }
  const missing = methodMissing(visit);
  if (missing.length) out.push(`须提供：${missing.join('、')}`);
  if (!c) {
    const p = progressOf(visit, task);
    if (p.answered < p.total) out.push(`还有 ${p.total - p.answered} 个检查要点未填写`);
    if (site && p.needPhoto.length) out.push(`${p.needPhoto.length} 个要点须拍照留证`);
  }
  if (r.outcome) out.push(...consistencyProblems(visit));
  return out;
}

/** The party has confirmed (signature or stamp), or refused with a witness or the reason none was necessary. */
export function partyDone(visit, bound) {
  if (!partyNeeded(visit)) return true;
  const party = bound.filter((s) => PARTY_ROLES.includes(s.role));
  if (party.some((s) => !s.refused)) return true;
  const refused = party.filter((s) => s.refused);
  return refused.length > 0 && (bound.some((s) => s.role === 'witness') || refused.some((s) => (s.no_witness_reason || '').trim()));
}

export const inspectorsNeeded = (visit) => (onsite(visit) ? 2 : 1);

/** Signatures still missing, given the current content hash. */
export function signatureProblems(visit, hash) {
  const r = visit.record;
  const bound = r.signatures.filter((s) => s.content_sha256 === hash);
  const out = [];
  if (r.signatures.length > bound.length) out.push('签名之后记录又被修改，须重新签名');
  if (!partyDone(visit, bound)) {
    out.push(bound.some((s) => s.refused) ? '当事人拒绝签字：须由见证人签名，或由组长注明无需见证的原因'
      : '须由法定代表人（负责人）签字或者加盖公章确认；拒绝签字的须注明原因');
  }
  const n = inspectorsNeeded(visit);
  const insp = new Set(bound.filter((s) => s.role === 'inspector').map((s) => signerInspector(visit, s)));
  if ([...insp].filter((i) => r.present.includes(i)).length < n) out.push(`须由至少 ${n} 名${n === 2 ? '在场' : '实施检查的'}执法人员签名`);
  return out;
}

/** The inspector who gave a signature: by its inspector_id (pulled and local signatures carry it);
 *  by the signer's name within the team only when the id is missing (a copy pulled from an older server). */
export const signerInspector = (visit, s) => (s.inspector_id != null ? s.inspector_id
  : visit.team.find((m) => m.name === s.signer_name)?.inspector_id ?? null);

export const partyNeeded = (visit) => onsite(visit) && !NO_PARTY.has(visit.record.outcome?.case);

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
    ? h('p', { class: 'banner sealed', role: 'status' }, '记录已签名封存，不能再修改；如需更正，请在“简介”页提交补正。')
    : null;
}
