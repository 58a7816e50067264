// The outbox: every local change is written to the visit's local copy and queued
// for the server in ONE IndexedDB transaction, so neither can exist without the other.
import { db, ekey } from './store.js';
import { applyAll } from './local.js';
import { isoNow } from './util.js';

const changed = new Set();
export const onChange = (fn) => changed.add(fn);
export const notify = () => changed.forEach((fn) => { try { fn(); } catch (e) { console.error(e); } });

async function contextIn(tx, visit) {
  const ents = tx.objectStore('entities');
  const task = visit ? (await ents.get(ekey('task', visit.task_id)))?.data : null;
  const meRows = await ents.index('entity').getAll('me');
  return { task, me: meRows[0]?.data };
}

/** What a sealed record still takes: an amendment (补正) and the photos sent with it. */
const amending = ({ name, args }) => name === 'amendment.add' || (name === 'media.attach' && args.target?.type === 'amendment');

/** Queue mutation `name(args)` for visit `visitId`, apply it locally; `media` rows are stored alongside. */
export function enqueue(visitId, name, args, media = []) {
  return enqueueMany(visitId, [{ name, args }], media);
}

/** Several mutations (in order) and their files in one transaction: all or nothing. `replace`: queued,
 *  unacknowledged mutations of the visit it matches are dropped in the same transaction (a newer
 *  handed-over section replaces the older one not yet sent). */
export async function enqueueMany(visitId, mutations, media = [], { replace = null } = {}) {
  const d = await db();
  const tx = d.transaction(['entities', 'outbox', 'media'], 'readwrite');
  const ents = tx.objectStore('entities');
  const row = await ents.get(ekey('visit', visitId));
  if (!row) { tx.abort(); throw new Error('本机没有该检查任务'); }
  if (row.data.status === 'sealed' && !mutations.every(amending)) { tx.abort(); throw new Error('该记录已封存，不能再修改'); }
  const { task, me } = await contextIn(tx, row.data);
  const queued = mutations.map(({ name, args }) => ({ name, args, visit_id: visitId, client_time: isoNow(), queued_at: Date.now() }));
  for (const file of media) await tx.objectStore('media').put(file);
  let replaced = false;
  if (replace) {
    for (const old of await tx.objectStore('outbox').getAll()) {
      if (!old.acked && old.visit_id === visitId && replace(old)) { await tx.objectStore('outbox').delete(old.seq); replaced = true; }
    }
  }
  for (const m of queued) await tx.objectStore('outbox').add(m);
  if (replaced) {
    await rebaseIn(tx, visitId);
    row.data = (await ents.get(ekey('visit', visitId))).data;
  } else {
    row.data = applyAll(row.data, task, me, queued);
    await ents.put(row);
  }
  await tx.done;
  notify();
  requestFlush();
  return row.data;
}

/** Recompute a visit's local view: the server's copy plus what is still queued for it. */
export async function rebaseIn(tx, visitId) {
  const ents = tx.objectStore('entities');
  const row = await ents.get(ekey('visit', visitId));
  if (!row) return;
  const pending = (await tx.objectStore('outbox').getAll()).filter((m) => m.visit_id === visitId);
  const { task, me } = await contextIn(tx, row.base);
  row.data = applyAll(row.base, task, me, pending);
  await ents.put(row);
}

let flushHook = () => {};
export const setFlushHook = (fn) => { flushHook = fn; };
export const requestFlush = () => flushHook();
