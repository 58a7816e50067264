// What a mutation does to the phone's copy of a visit, mirroring the server's
// mutators (server/visits/mutations.py, sign.py), and the canonical content
// a signature binds (docs/field-contract.md, "Content hash").
import { jcs } from './jcs.js';
import { sha256Hex } from './ids.js';

const clone = (v) => JSON.parse(JSON.stringify(v));

export function emptyRecord() {
  return { arrival: null, present: [], credentials_shown_at: null, rights_informed_at: null, method: null, method_details: null,
    check_ended_at: null, answers: {},
    findings: [], media: [], outcome: null, signatures: [], sealed: null, amendments: [], review_comments: [], version: 0 };
}

// The evidence fields an outcome keeps, in the server's order (server/visits/rules.py OUTCOME_EVIDENCE_KEYS).
const EVIDENCE_KEYS = ['description', 'phone_attempt', 'refused_what', 'refused_how', 'witness', 'address_checked', 'neighbours_asked'];
const DETAIL_KEYS = ['documents_received', 'body', 'report_no', 'authority', 'document', 'document_date'];

/** A method's details as the server stores them (server/visits/methods.py stored_details). */
function methodDetails(d) {
  const out = { urls: (d.urls || []).map((u) => u.trim()).filter(Boolean) };
  for (const k of DETAIL_KEYS) out[k] = (d[k] || '').trim() || null;
  return out;
}

const APPLY = {
  'visit.arrive'(r, a) { r.arrival = { at: a.at, gps: a.gps }; r.method = 'onsite'; },
  'visit.method'(r, a) { r.method = a.method; r.method_details = a.method === 'onsite' ? null : methodDetails(a.details || {}); },
  'visit.end_check'(r, a) { r.check_ended_at = a.at; },
  'visit.present'(r, a) { r.present = [...new Set(a.inspector_ids)].sort((x, y) => x - y); },
  'visit.credentials_shown'(r, a) { r.credentials_shown_at = a.at; },
  'visit.rights_informed'(r, a) { r.rights_informed_at = a.at; },
  'answer.set'(r, a, ctx) {
    const key = `${a.item_id}:${a.checkpoint_key}`;
    const prev = r.answers[key];
    r.answers[key] = { ...(prev || {}), value: a.value, note: a.note, by: ctx.user_id, department_id: ctx.department_id,
      item_version: prev ? prev.item_version : ctx.itemVersion(a.item_id), version: (prev ? prev.version : 0) + 1 };
  },
  'finding.add'(r, a) {
    if (r.findings.some((f) => f.id === a.finding_id)) return;
    r.findings.push({ id: a.finding_id, item_id: a.item_id ?? null, checkpoint_key: a.checkpoint_key ?? null,
      description: a.description, legal_basis: a.legal_basis ?? null, measures: [...new Set(a.measures || [])].sort(),
      rectify_deadline: a.rectify_deadline ?? null, media_ids: a.media_ids || [], version: 1 });
  },
  'finding.update'(r, a) {
    const f = r.findings.find((x) => x.id === a.finding_id);
    if (!f) return;
    for (const k of ['description', 'legal_basis', 'measures', 'rectify_deadline', 'media_ids']) {
      if (k in a) f[k] = k === 'measures' ? [...new Set(a[k])].sort() : a[k];
    }
    f.version += 1;
  },
  'media.attach'(r, a) {
    if (r.media.some((m) => m.media_id === a.media_id)) return;
    r.media.push({ media_id: a.media_id, sha256: a.sha256, kind: a.kind, target: a.target, arrived: false });
  },
  'outcome.set'(r, a, ctx) {
    const codes = [...new Set(a.codes || [])];
    const attached = new Set(r.media.map((m) => m.media_id));
    const ev = a.evidence || {};
    const mediaIds = (ev.media_ids || []).filter((m) => attached.has(m)).sort();
    if (a.case) {
      const rc = ctx.outcomes[a.case]?.result_code;
      if (rc && !codes.includes(rc)) codes.unshift(rc);
    }
    if (a.case === 'unlicensed') {
      const fid = `unlicensed-${ctx.visit_id}`.slice(0, 36);
      if (!r.findings.some((f) => f.id === fid)) {
        r.findings.push({ id: fid, item_id: null, checkpoint_key: null, description: ev.description || '发现无证无照经营',
          legal_basis: null, measures: ['onsite_record'], rectify_deadline: null, media_ids: mediaIds, version: 1 });
      }
    }
    const pick = (k) => (ev[k] === undefined ? null : ev[k]);
    r.outcome = { codes, followup: a.followup, followup_note: a.followup_note ?? null, case: a.case ?? null,
      evidence: { ...Object.fromEntries(EVIDENCE_KEYS.map((k) => [k, pick(k)])), media_ids: mediaIds } };
  },
  'signature.capture'(r, a) {
    if (r.signatures.some((s) => s.id === a.signature_id)) return;
    r.signatures.push({ id: a.signature_id, role: a.role, kind: a.kind || 'signature', signer_name: a.signer_name,
      inspector_id: a.inspector_id ?? null, id_type: a.id_number ? (a.id_type || 'resident_id') : null,
      content_sha256: a.content_sha256, image_media_id: a.image_media_id ?? null, refused: !!a.refused,
      refusal_reason: a.refusal_reason ?? null, no_witness_reason: a.no_witness_reason ?? null, server_verified: false });
  },
  'visit.seal'(r, a) { r.sealed = { at: null, content_sha256: a.content_sha256, local: true }; },
  'amendment.add'(r, a, ctx) {
    if ((r.amendments || []).some((x) => x.id === a.amendment_id)) return;
    r.amendments = [...(r.amendments || []), { id: a.amendment_id, reason: a.reason, by: ctx.user_id, at: null, patch: a.patch, local: true }];
  },
};

// What an amendment leaves as it is (server/visits/sign.py amendment_add): the record stays sealed.
const AFTER_SEAL = new Set(['amendment.add', 'media.attach']);

/** The visit as it will be once `mutations` (in order) are applied; never mutates `visit`. */
export function applyAll(visit, task, me, mutations) {
  const v = clone(visit);
  v.record = v.record || emptyRecord();
  const ctx = {
    user_id: me?.user_id, department_id: me?.department?.id, visit_id: v.id,
    outcomes: Object.fromEntries((me?.outcomes || []).map((o) => [o.code, o])),
    itemVersion: (itemId) => task?.items.find((i) => i.item_id === itemId)?.version ?? null,
  };
  for (const m of mutations) {
    if (m.name === 'handoff.section') {
      // A member's section scanned by the leader's phone: applied in the member's name.
      const member = v.team?.find((t) => t.user_id === m.args.member_user_id);
      const as = { ...ctx, user_id: m.args.member_user_id, department_id: member?.department_id };
      for (const inner of m.args.mutations) APPLY[inner.name]?.(v.record, inner.args, as);
      if (v.status === 'not_started') v.status = 'in_progress';
      continue;
    }
    if (m.name === 'schedule.set') {
      v.schedule = { ...v.schedule, date: m.args.date, time_from: m.args.time_from, time_to: m.args.time_to };
      continue;
    }
    const fn = APPLY[m.name];
    if (!fn) continue;
    fn(v.record, m.args, ctx);
    if (m.name === 'amendment.add') {
      // The record goes back to the queue of each department that sent it back (server: review.resubmit).
      v.review = (v.review || []).map((e) => (['returned', 'evidence_requested'].includes(e.status) ? { ...e, status: 'pending' } : e));
    }
    if (AFTER_SEAL.has(m.name) && v.status === 'sealed') continue;
    if (v.status === 'not_started') v.status = 'in_progress';
    if (m.name === 'visit.seal') v.status = 'sealed';
  }
  return v;
}

/** The canonical record (what a signature binds), from the phone's copy of the visit. */
export function canonical(visit) {
  const r = visit.record;
  const answers = Object.entries(r.answers).map(([key, a]) => {
    const i = key.indexOf(':');
    return { item_id: +key.slice(0, i), version: a.item_version, checkpoint_key: key.slice(i + 1), value: a.value, note: a.note ?? null };
  }).sort((a, b) => a.item_id - b.item_id || (a.checkpoint_key < b.checkpoint_key ? -1 : a.checkpoint_key > b.checkpoint_key ? 1 : 0));
  const byStr = (k) => (a, b) => (a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0);
  const body = {
    visit_id: visit.id, task_id: visit.task_id,
    object: { id: visit.object.id, name: visit.object.name, credit_code: visit.object.credit_code },
    arrival: r.arrival, present: [...r.present].sort((a, b) => a - b),
    credentials_shown_at: r.credentials_shown_at, rights_informed_at: r.rights_informed_at, method: r.method,
    answers,
    findings: r.findings.map((f) => ({ id: f.id, item_id: f.item_id, checkpoint_key: f.checkpoint_key, description: f.description,
      legal_basis: f.legal_basis, measures: f.measures, rectify_deadline: f.rectify_deadline, media_ids: f.media_ids }))
      .sort(byStr('id')),
    // Photos sent with an amendment after the seal are not part of the signed content (server/visits/content.py).
    media: r.media.filter((m) => m.kind !== 'signature' && m.target?.type !== 'amendment').map((m) => ({ media_id: m.media_id, sha256: m.sha256 })).sort(byStr('media_id')),
    outcome: r.outcome,
  };
  // Only once recorded: records sealed before check methods keep their content and hash.
  if (r.method_details != null) body.method_details = r.method_details;
  if (r.check_ended_at != null) body.check_ended_at = r.check_ended_at;
  return body;
}

export async function contentSha256(visit) {
  return sha256Hex(new TextEncoder().encode(jcs(canonical(visit))));
}
