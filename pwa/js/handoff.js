// A joint team's handoff with no network (docs/field-contract.md, "Handoff by QR code").
// Member: its section of a visit is its own queued mutations of it (answers, findings, photo and
// video SHA-256s with their metadata; never the bytes), each with its sync id. Leader: a scanned
// section is queued as `handoff.section`, which the local view applies in the member's name, so
// the summary the party signs, and the content hash, cover every department.
import * as store from './store.js';
import { registerHandoverSource } from './sections.js';
import { session } from './api.js';
import { enqueueMany } from './outbox.js';
import { numberQueued } from './sync.js';
import { jcs } from './jcs.js';
import { sha256Hex } from './ids.js';
import { isoNow } from './util.js';
import { FORMAT } from './handoff-codec.js';

export const MEMBER_MUTATIONS = new Set(['answer.set', 'finding.add', 'finding.update', 'media.attach']);
const mineKey = (visitId) => `handover:${visitId}`;
const receivedKey = (visitId) => `handoffs:${visitId}`;

const isSection = (m) => MEMBER_MUTATIONS.has(m.name) && !(m.name === 'media.attach' && m.args.kind === 'signature');

async function ownMutations(visitId) {
  await numberQueued(); // each gets its sync id now: the server knows it by (client, id) later
  return (await store.all('outbox')).filter((m) => m.visit_id === visitId && isSection(m)).sort((a, b) => a.mid - b.mid)
    .map((m) => ({ id: m.mid, name: m.name, client_time: m.client_time, args: m.args }));
}

const contentKey = async (mutations) => sha256Hex(new TextEncoder().encode(jcs(mutations)));

/** The member's section of a visit as it stands now (a new `seq` when it changed since the last handover). */
export async function buildSection(visitId, me) {
  const mutations = await ownMutations(visitId);
  const last = await store.get(mineKey(visitId));
  const key = await contentKey(mutations);
  const same = last && last.content_key === key;
  const s = await session();
  return { v: FORMAT, visit_id: visitId, member_user_id: me.user_id, client_id: s.client_id,
    seq: same ? last.seq : (last?.seq || 0) + 1, handed_at: same ? last.handed_at : isoNow(), mutations, content_key: key };
}

/** Remember what was shown for handing over (the member's phone says so afterwards). */
export async function markShown(section, sha256, codes) {
  await store.set(mineKey(section.visit_id), { seq: section.seq, handed_at: section.handed_at, content_key: section.content_key,
    sha256, count: section.mutations.length, codes });
}

/** {last handover, changed since?} for the member's screens. */
export async function handoverState(visitId) {
  const last = await store.get(mineKey(visitId));
  if (!last) return { last: null, changed: false, pending: (await ownMutations(visitId)).length };
  const now = await ownMutations(visitId);
  return { last, changed: (await contentKey(now)) !== last.content_key, pending: now.length };
}

export async function receivedSections(visitId) { return (await store.get(receivedKey(visitId))) || {}; }

/** The leader's phone takes a scanned section: the newest per member is kept, and says so.
 *  → {state: 'new'|'newer'|'same'|'older', previous, section} */
export async function receiveSection(visit, meRow, section) {
  const member = visit.team.find((m) => m.user_id === section.member_user_id);
  if (section.visit_id !== visit.id) throw new Error('这是另一个检查任务的交接码。');
  if (!member) throw new Error('交接人不是本检查组成员。');
  if (member.user_id === meRow.user_id) throw new Error('这是本机自己的交接码。');
  const all = await receivedSections(visit.id);
  const previous = all[member.user_id] || null;
  if (previous && previous.sha256 === section.section_sha256) return { state: 'same', previous, section };
  if (previous && previous.seq > section.seq) return { state: 'older', previous, section };
  const { content_key: _, ...args } = section;
  // The newer section carries the member's whole queue: an older one not yet sent is dropped with it.
  await enqueueMany(visit.id, [{ name: 'handoff.section', args }], [],
    { replace: (m) => m.name === 'handoff.section' && m.args.member_user_id === section.member_user_id });
  all[member.user_id] = { seq: section.seq, sha256: section.section_sha256, handed_at: section.handed_at,
    count: section.mutations.length, received_at: isoNow(), name: member.name, department_id: member.department_id };
  await store.set(receivedKey(visit.id), all);
  return { state: previous ? 'newer' : 'new', previous, section };
}

export const isJoint = (visit) => new Set(visit.team.map((m) => m.department_id)).size > 1;


// The leader's view of the team (screens/team.js) shows which members' sections reached this phone.
registerHandoverSource(async (visit) => {
  const got = await receivedSections(visit.id);
  const out = {};
  for (const m of visit.team) if (got[m.user_id]) out[m.inspector_id] = { handed_over_at: got[m.user_id].handed_at };
  return out;
});
