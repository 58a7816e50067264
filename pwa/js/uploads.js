// Sending captured files with tus (tus-js-client, vendored): resumable, with byte
// progress. The upload URL is saved as soon as it exists, so a resumed upload
// (after a dropped connection or an app restart) continues from the server's offset.
import { db, all } from './store.js';
import { token, refresh } from './api.js';
import { notify } from './outbox.js';

export const CHUNK = 256 * 1024;
export const progress = new Map(); // media_id → {sent, total}
let running = null;

export async function pendingMedia() {
  return (await all('media')).filter((m) => !m.done);
}

async function save(mediaId, patch) {
  const tx = (await db()).transaction('media', 'readwrite');
  const row = await tx.store.get(mediaId);
  if (row) await tx.store.put({ ...row, ...patch });
  await tx.done;
}

function uploadOne(m) {
  return new Promise((resolve, reject) => {
    const up = new window.tus.Upload(m.blob, {
      endpoint: '/api/v1/uploads/',
      uploadUrl: m.url || null,
      chunkSize: CHUNK,
      retryDelays: [0, 1000, 3000],
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: true,
      metadata: { media_id: m.media_id, sha256: m.sha256, content_type: m.type || 'application/octet-stream',
        filename: m.filename || `${m.media_id}.bin`, kind: m.kind },
      async onBeforeRequest(req) { req.setHeader('Authorization', `Bearer ${await token()}`); },
      onShouldRetry(err, attempt) {
        const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        if (status === 401) { refresh().catch(() => {}); return attempt < 2; }
        return !status || status >= 500 || status === 423;
      },
      onUploadUrlAvailable() { save(m.media_id, { url: up.url }); },
      onProgress(sent, total) { progress.set(m.media_id, { sent, total }); notify(); },
      onSuccess() { resolve(); },
      onError(err) { reject(err); },
    });
    up.start();
  });
}

/** Upload every file not yet on the server, one at a time; stops at the first network failure. */
export function uploadPending() {
  if (running) return running;
  running = (async () => {
    try {
      for (const m of await pendingMedia()) {
        if (m.failed) continue;
        try {
          await uploadOne(m);
          progress.delete(m.media_id);
          await save(m.media_id, { done: true, sent: m.size, error: null });
        } catch (err) {
          const resp = err.originalResponse;
          const status = resp ? resp.getStatus() : 0;
          if (status === 404 || status === 410) { await save(m.media_id, { url: null }); throw err; } // start again next time
          if (status >= 400 && status < 500 && status !== 401 && status !== 423) {
            let detail = '';
            try { detail = JSON.parse(resp.getBody()).detail; } catch { /* not JSON */ }
            await save(m.media_id, { failed: true, error: detail || `上传被拒绝（${status}）` });
            continue;
          }
          throw err;
        } finally { notify(); }
      }
    } finally { running = null; }
  })();
  return running;
}

export async function retryMedia(mediaId) { await save(mediaId, { failed: false, error: null, url: null }); }
