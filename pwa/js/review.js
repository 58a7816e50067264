// What the back office decided about a sealed record, as the team's phones show it: each
// department's entry state (a joint record has one per department), the reviewer's comments
// beside what they concern, and the record as it stands with every amendment (补正) applied.
import { h } from './ui.js';
import { canonical } from './local.js';

export const REVIEW_LABELS = {
  pending: '待审核', returned: '已退回', evidence_requested: '需补充证据', approved: '已录入', published: '已公示',
  withheld: '已录入（不予公示）',
};
export const SENT_BACK = new Set(['returned', 'evidence_requested']);
const KIND_LABELS = { return: '退回意见', evidence: '补充证据要求' };

/** A department's name without the city prefix (short enough for a badge). */
export const shortDept = (name) => (name || '').replace(/^忻州市/, '');

export const reviewEntries = (visit) => visit.review || [];
export const sentBack = (visit) => reviewEntries(visit).some((r) => SENT_BACK.has(r.status));

/** Badges of the review state: one per department on a joint record. */
export function reviewBadges(visit) {
  const rows = reviewEntries(visit);
  const joint = rows.length > 1;
  return rows.map((r) => h('span', { class: `badge review ${r.status}`, 'data-department': r.department_code },
    joint ? `${shortDept(r.department_name)}：${REVIEW_LABELS[r.status] || '审核中'}` : REVIEW_LABELS[r.status] || '审核中'));
}

const deptNameOf = (visit, code) => shortDept(reviewEntries(visit).find((r) => r.department_code === code)?.department_name) || '审核部门';

/** The reviewer's comments on `target` ("general", "answer:<item>:<key>", "finding:<id>", "media:<id>"). */
export function commentsOn(visit, target) {
  return (visit.record?.review_comments || []).filter((c) => c.target === target);
}

/** The comments on `target` as notes to put beside the item they concern (nothing when none). */
export function commentNotes(visit, target) {
  const list = commentsOn(visit, target);
  if (!list.length) return null;
  return h('div', { class: 'review-comments', 'data-target': target }, list.map((c) => h('p', { class: 'banner review-comment' },
    h('strong', {}, `${deptNameOf(visit, c.department)}${KIND_LABELS[c.kind] || '审核意见'}${c.round > 1 ? `（第 ${c.round} 次）` : ''}：`), c.text)));
}

// ---- the record as it stands: the signed content with the amendments applied (server/visits/jsonpatch.py)

const unescape = (t) => t.replace(/~1/g, '/').replace(/~0/g, '~');
function parentOf(doc, path) {
  const tokens = path.split('/').slice(1).map(unescape);
  const last = tokens.pop();
  let node = doc;
  for (const t of tokens) {
    node = Array.isArray(node) ? node[+t] : node?.[t];
    if (node == null) throw new Error(`路径不存在：${path}`);
  }
  return [node, last];
}

export function applyPatch(doc, ops) {
  const out = JSON.parse(JSON.stringify(doc));
  for (const op of ops) {
    const [parent, key] = parentOf(out, op.path);
    const arr = Array.isArray(parent);
    if (op.op === 'test') {
      if (JSON.stringify(arr ? parent[+key] : parent[key]) !== JSON.stringify(op.value)) throw new Error(`不一致：${op.path}`);
    } else if (op.op === 'add') {
      if (arr) parent.splice(key === '-' ? parent.length : +key, 0, op.value); else parent[key] = op.value;
    } else if (op.op === 'replace') {
      if (arr) parent[+key] = op.value; else parent[key] = op.value;
    } else if (op.op === 'remove') {
      if (arr) parent.splice(+key, 1); else delete parent[key];
    }
  }
  return out;
}

/** The canonical record with every amendment (the server's and those still queued here) applied. */
export function currentView(visit) {
  let view = canonical(visit);
  for (const a of visit.record.amendments || []) {
    try { view = applyPatch(view, a.patch); } catch { /* a stale local amendment: the server will say */ }
  }
  return view;
}

/** JSON Patch operations replacing `fields` of the answer or finding at its current index, guarded by a test. */
export function answerPatch(view, itemId, key, fields) {
  const i = view.answers.findIndex((a) => a.item_id === itemId && a.checkpoint_key === key);
  if (i < 0) {
    return [{ op: 'add', path: '/answers/-', value: { item_id: itemId, version: null, checkpoint_key: key, value: null, note: null, ...fields } }];
  }
  return [{ op: 'test', path: `/answers/${i}/checkpoint_key`, value: key },
    ...Object.entries(fields).map(([k, v]) => ({ op: 'replace', path: `/answers/${i}/${k}`, value: v }))];
}

export function findingPatch(view, findingId, fields) {
  const i = view.findings.findIndex((f) => f.id === findingId);
  if (i < 0) return [];
  return [{ op: 'test', path: `/findings/${i}/id`, value: findingId },
    ...Object.entries(fields).map(([k, v]) => ({ op: 'replace', path: `/findings/${i}/${k}`, value: v }))];
}

export function outcomePatch(view, fields) {
  if (!view.outcome) return [{ op: 'add', path: '/outcome', value: { codes: [], followup: 'none', followup_note: null, case: null, evidence: null, ...fields } }];
  return Object.entries(fields).map(([k, v]) => ({ op: 'replace', path: `/outcome/${k}`, value: v }));
}
