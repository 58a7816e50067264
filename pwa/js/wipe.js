// Wiping the device: the local database and every cache of this origin.
import { destroy } from './store.js';

export async function wipeAll() {
  await destroy();
  if (typeof caches !== 'undefined') {
    for (const key of await caches.keys()) await caches.delete(key);
  }
  if (typeof localStorage !== 'undefined') localStorage.clear();
}

/** After a wipe the worker is unregistered too: the next online start installs a fresh shell. */
export async function unregisterWorkers() {
  if (typeof navigator === 'undefined' || !navigator.serviceWorker) return;
  for (const reg of await navigator.serviceWorker.getRegistrations()) await reg.unregister();
}
