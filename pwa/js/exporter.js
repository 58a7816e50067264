// "导出未发送数据": the outbox, the items needing attention and every file not yet
// uploaded, as one JSON file (files base64-encoded) the inspector can hand over.
import { all, get, unsent } from './store.js';

async function base64(blob) {
  const buf = new Uint8Array(await blob.arrayBuffer());
  let s = '';
  for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000));
  return btoa(s);
}

export async function exportUnsent() {
  const session = await get('session');
  const media = (await all('media')).filter((m) => !m.done);
  const data = {
    format: 'dsr-unsent-v1', exported_at: new Date().toISOString(), username: session?.username, client_id: session?.client_id,
    outbox: await unsent(), attention: await all('attention'),
    media: await Promise.all(media.map(async (m) => ({ media_id: m.media_id, visit_id: m.visit_id, sha256: m.sha256, kind: m.kind,
      content_type: m.type, filename: m.filename, size: m.size, data_base64: await base64(m.blob) }))),
  };
  const blob = new Blob([JSON.stringify(data)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `未发送数据-${session?.username || ''}-${data.exported_at.slice(0, 19).replace(/[:T]/g, '')}.json`;
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  return data;
}
