// The local store (IndexedDB through idb). Stores:
//   kv        settings and session (key → value)
//   entities  pulled entities: {key: "entity:id", entity, id, base (server copy), data (local view)}
//   outbox    queued mutations {seq (local order), mid (sync id, once sent), name, args, visit_id, client_time}
//   attention rejected mutations, as the server explained them (kept until retried or discarded)
//   media     captured files {media_id, visit_id, blob, sha256, type, filename, size, sent, url, done, error}
import { openDB, deleteDB } from '/vendor/idb/index.js';

export const DB_NAME = 'dsr-field';
let dbp = null;

export function db() {
  if (!dbp) {
    dbp = openDB(DB_NAME, 1, {
      upgrade(d) {
        d.createObjectStore('kv');
        d.createObjectStore('entities', { keyPath: 'key' }).createIndex('entity', 'entity');
        d.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
        d.createObjectStore('attention', { keyPath: 'mid' });
        d.createObjectStore('media', { keyPath: 'media_id' }).createIndex('visit', 'visit_id');
      },
      blocking() { close(); },
    });
  }
  return dbp;
}

export function close() {
  if (dbp) dbp.then((d) => d.close()).catch(() => {});
  dbp = null;
}

// After a wipe nothing is read back (which would recreate an empty database) until
// the next login writes again.
let wiped = false;

export async function destroy() {
  close();
  wiped = true;
  await deleteDB(DB_NAME, { blocked() {} });
}

export const ekey = (entity, id) => `${entity}:${id}`;

export async function get(key) { return wiped ? undefined : (await db()).get('kv', key); }
export async function set(key, value) { wiped = false; return (await db()).put('kv', value, key); }

export async function entity(entity, id) {
  const row = await (await db()).get('entities', ekey(entity, id));
  return row ? row.data : null;
}

export async function entities(entity) {
  if (wiped) return [];
  const rows = await (await db()).getAllFromIndex('entities', 'entity', entity);
  return rows.map((r) => r.data);
}

/** Queued mutations not yet acknowledged by the server (acknowledged ones wait for the next pull). */
export async function unsent() { return (await all('outbox')).filter((m) => !m.acked); }

export async function all(store) { return wiped ? [] : (await db()).getAll(store); }
export async function count(store) { return wiped ? 0 : (await db()).count(store); }
