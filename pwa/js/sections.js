// Each member's section of a joint visit, as the leader sees it: their department, whether their
// checkpoints are complete and synced (what the server knows: GET /api/v1/visits/<id>/sections,
// kept here for offline use), and whether their section was handed over to this phone.
import * as api from './api.js';
import * as store from './store.js';

// The handoff feature (QR codes between phones) registers where this phone keeps the sections it
// received: fn(visit) → {inspector_id: {handed_over_at}}. Until then nothing is "handed over".
const handoverSources = [];
export function registerHandoverSource(fn) { if (!handoverSources.includes(fn)) handoverSources.push(fn); }

export async function localHandovers(visit) {
  const out = {};
  for (const fn of handoverSources) {
    try { Object.assign(out, await fn(visit)); } catch (e) { console.warn('handover source', e); }
  }
  return out;
}

const key = (visitId) => `sections:${visitId}`;

/** The server's view of the visit's sections: fetched when online, else the last one kept. */
export async function serverSections(visitId, { fetchNow = navigator.onLine } = {}) {
  if (fetchNow) {
    try {
      const rows = await api.call(`/api/v1/visits/${visitId}/sections`);
      const kept = { at: new Date().toISOString(), rows };
      await store.set(key(visitId), kept);
      return kept;
    } catch { /* offline or refused: what was kept */ }
  }
  return (await store.get(key(visitId))) || null;
}
