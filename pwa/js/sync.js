// Flushing the outbox and pulling changes (docs/design/sync-protocol.md).
// One flush at a time; failures back off exponentially. DOM-free: the service
// worker runs flushMutations() for Background Sync when no page is open.
import * as store from './store.js';
import { db, ekey } from './store.js';
import { call, session, ApiError, AuthNeeded, DeviceRevoked } from './api.js';
import { rebaseIn, notify } from './outbox.js';
import { wipeAll } from './wipe.js';

const MAX_BODY = 900 * 1024;
export const state = { running: false, error: null, needPassword: false, retryAt: null, failures: 0 };
const listeners = new Set();
export const onState = (fn) => listeners.add(fn);
const emit = () => { listeners.forEach((fn) => { try { fn(state); } catch (e) { console.error(e); } }); notify(); };

let uploadHook = async () => {};
export const setUploadHook = (fn) => { uploadHook = fn; };

let inflight = null;
let again = false;
let timer = null;

/** Start a flush (or join the running one; a request during a flush runs one more pass after it). */
export function flush() {
  if (inflight) { again = true; return inflight; }
  clearTimeout(timer);
  timer = null;
  inflight = (async () => {
    try {
      do { again = false; await pass(true); } while (again);
    } finally { inflight = null; }
  })();
  return inflight;
}

/** For Background Sync in the worker: mutations and pull only (uploads need a page). A failure
 *  worth retrying (network, server busy) is thrown, so that the sync event fails and the browser
 *  fires it again later: the worker's own retry timer dies with the worker. */
export async function flushMutations() {
  const s = await session();
  if (!s || s.need_password) return;
  await pass(false);
  if (state.error && !state.needPassword && !state.revoked) throw new Error(state.error);
}

// One flush at a time across the page, other tabs and the service worker: a pull written
// over a concurrent push's acknowledgement would drop changes from the local view.
function exclusive(fn) {
  const locks = typeof navigator !== 'undefined' && navigator.locks;
  return locks ? locks.request('dsr-sync-flush', fn) : fn();
}

function pass(withUploads) { return exclusive(() => passLocked(withUploads)); }

async function passLocked(withUploads) {
  state.running = true; state.error = null; state.revoked = false; emit();
  try {
    await pushAll();
    await pullAll();
    if (withUploads) await uploadHook();
    state.failures = 0; state.retryAt = null; state.needPassword = false;
    await store.set('last_sync_at', new Date().toISOString());
  } catch (e) {
    if (e instanceof DeviceRevoked) { await wipeAll(); state.error = e.message; state.revoked = true; }
    else if (e instanceof AuthNeeded) { state.needPassword = true; state.error = e.message; }
    else {
      // Our server explains itself in Chinese; anything else (fetch, tus) is the network failing.
      state.error = e instanceof ApiError ? e.message : '网络不可用，稍后自动重试';
      schedule(e);
    }
  } finally {
    state.running = false;
    emit();
  }
}

function schedule(err) {
  state.failures += 1;
  let delay = Math.min(300000, 2000 * 2 ** (state.failures - 1)) * (0.75 + Math.random() * 0.5);
  const retryAfter = err instanceof ApiError && +err.problem.retry_after;
  if (retryAfter) delay = Math.max(delay, retryAfter * 1000);
  state.retryAt = Date.now() + delay;
  clearTimeout(timer);
  timer = setTimeout(() => { flush(); }, delay);
}

/** Give queued mutations their sync ids (consecutive, in queue order), persisted before sending
 *  (or before handing a section over: the server then knows each by (client, id)). */
export async function numberQueued() {
  const tx = (await db()).transaction(['outbox', 'kv'], 'readwrite');
  let next = (await tx.objectStore('kv').get('next_mid')) || 1;
  const rows = (await tx.objectStore('outbox').getAll()).filter((m) => !m.acked);
  for (const m of rows) {
    if (m.mid == null) { m.mid = next++; await tx.objectStore('outbox').put(m); }
  }
  await tx.objectStore('kv').put(next, 'next_mid');
  await tx.done;
  return rows;
}

async function pushAll() {
  const s = await session();
  for (let round = 0; round < 1000; round++) {
    const rows = await numberQueued();
    if (!rows.length) return;
    const limits = (await store.get('limits')) || { max_mutations: 100 };
    const batch = [];
    let size = 0;
    for (const m of rows) {
      const wire = { id: m.mid, name: m.name, client_time: m.client_time, args: m.args };
      const n = JSON.stringify(wire).length * 3;
      if (batch.length && (batch.length >= limits.max_mutations || size + n > MAX_BODY)) break;
      batch.push(wire); size += n;
    }
    const reply = await call('/api/v1/sync/push', { method: 'POST',
      body: { client_id: s.client_id, schema_version: 1, mutations: batch } });
    const progressed = await settle(rows, reply);
    if (!progressed) return;
  }
}

/** Apply a push reply: rejected mutations go to "needs attention"; applied ones stay in the outbox,
 *  marked acknowledged, until the next complete pull brings their effects (until then the local
 *  view keeps replaying them, so nothing the inspector did flickers out of view). */
async function settle(rows, reply) {
  const byMid = new Map(rows.map((m) => [m.mid, m]));
  const tx = (await db()).transaction(['outbox', 'attention', 'entities', 'kv', 'media'], 'readwrite');
  const visits = new Set();
  let progressed = false;
  for (const r of reply.results) {
    const m = byMid.get(r.id);
    if (!m) continue;
    const rejected = r.status === 'rejected' || (r.status === 'duplicate' && r.original_status === 'rejected');
    if (rejected) {
      await tx.objectStore('attention').put({ mid: m.mid, name: m.name, args: m.args, visit_id: m.visit_id,
        client_time: m.client_time, problem: r.problem || {}, at: new Date().toISOString() });
      await tx.objectStore('outbox').delete(m.seq);
      visits.add(m.visit_id);
    } else {
      await tx.objectStore('outbox').put({ ...m, acked: true });
    }
    progressed = true;
  }
  if (!progressed && reply.stopped_at_gap) {
    // Our numbering ran ahead of the server's: renumber what is still queued from its last id.
    let next = reply.last_mutation_id + 1;
    for (const m of rows) { m.mid = next++; await tx.objectStore('outbox').put(m); }
    await tx.objectStore('kv').put(next, 'next_mid');
    progressed = true;
  }
  for (const v of visits) if (v) await rebaseIn(tx, v);
  await tx.done;
  notify();
  return progressed;
}

async function pullAll() {
  const s = await session();
  for (let page = 0; page < 1000; page++) {
    const cursor = await store.get('cursor');
    const q = new URLSearchParams({ client_id: s.client_id, limit: '500' });
    if (cursor) q.set('cursor', cursor);
    const body = await call(`/api/v1/sync/pull?${q}`);
    await applyPull(body);
    if (!body.more) return;
  }
}

async function applyPull(body) {
  const tx = (await db()).transaction(['entities', 'outbox', 'kv', 'media'], 'readwrite');
  const ents = tx.objectStore('entities');
  if (body.reset) await ents.clear(); // the outbox stays: it is replayed on the fresh copy
  const visits = [];
  for (const ch of body.changes) {
    const key = ekey(ch.entity, ch.id);
    if (ch.op === 'del') { await ents.delete(key); continue; }
    await ents.put({ key, entity: ch.entity, id: ch.id, base: ch.data, data: ch.data });
    if (ch.entity === 'visit') visits.push(ch.id);
  }
  if (!body.more) {
    // The server's copy now includes every acknowledged mutation: stop replaying them.
    const box = tx.objectStore('outbox');
    for (const m of await box.getAll()) {
      if (m.acked) { await box.delete(m.seq); if (m.visit_id && !visits.includes(m.visit_id)) visits.push(m.visit_id); }
    }
  }
  for (const id of visits) await rebaseIn(tx, id);
  const kv = tx.objectStore('kv');
  await kv.put(body.cursor, 'cursor');
  await kv.put(body.limits, 'limits');
  const next = (await kv.get('next_mid')) || 1;
  if (next <= body.last_mutation_id) await kv.put(body.last_mutation_id + 1, 'next_mid');
  await tx.done;
}

/** Put a rejected mutation back in the queue (as a new mutation), or drop it for good. */
export async function retryRejected(mid) {
  const tx = (await db()).transaction(['attention', 'outbox', 'entities', 'media'], 'readwrite');
  const item = await tx.objectStore('attention').get(mid);
  if (item) {
    await tx.objectStore('attention').delete(mid);
    await tx.objectStore('outbox').add({ name: item.name, args: item.args, visit_id: item.visit_id,
      client_time: item.client_time, queued_at: Date.now() });
    if (item.visit_id) await rebaseIn(tx, item.visit_id);
  }
  await tx.done;
  notify();
  return flush();
}

export async function discardRejected(mid) {
  await (await db()).delete('attention', mid);
  notify();
}
