// The handoff payload (docs/field-contract.md, "Handoff by QR code"), DOM-free: a member's section
// of a visit → JSON → raw DEFLATE (CompressionStream) → frames of at most MAX_CODE_BYTES, each with
// a per-chunk SHA-256 and the whole section's SHA-256 → Base45 (RFC 9285) in QR alphanumeric mode,
// which the browser's BarcodeDetector and jsQR both return unchanged as text.
import { jcs } from './jcs.js';
import { sha256Hex } from './ids.js';

export const FORMAT = 1;
export const PREFIX = 'DSRH1:';
/** Compressed bytes per code: ≈1,100 Base45 characters, a version-20 code at level M. */
export const MAX_CODE_BYTES = 760;
const HEADER = 3 + 32 + 8; // format, index, count; section SHA-256; chunk SHA-256 (first 8 bytes)
const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

export function b45encode(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      let n = bytes[i] * 256 + bytes[i + 1];
      const c = n % 45; n = (n - c) / 45;
      const d = n % 45; const e = (n - d) / 45;
      out += B45[c] + B45[d] + B45[e];
    } else {
      const n = bytes[i];
      out += B45[n % 45] + B45[Math.floor(n / 45)];
    }
  }
  return out;
}

export function b45decode(text) {
  const vals = [...text].map((ch) => B45.indexOf(ch));
  if (vals.some((v) => v < 0) || text.length % 3 === 1) throw new Error('base45');
  const out = [];
  for (let i = 0; i < vals.length; i += 3) {
    if (i + 2 < vals.length) {
      const n = vals[i] + vals[i + 1] * 45 + vals[i + 2] * 2025;
      if (n > 65535) throw new Error('base45');
      out.push(n >> 8, n & 255);
    } else {
      const n = vals[i] + vals[i + 1] * 45;
      if (n > 255) throw new Error('base45');
      out.push(n);
    }
  }
  return new Uint8Array(out);
}

async function pipe(bytes, stream) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
}
const deflate = (b) => pipe(b, new CompressionStream('deflate-raw'));
const inflate = (b) => pipe(b, new DecompressionStream('deflate-raw'));
const hexBytes = (hex) => new Uint8Array(hex.match(/../g).map((x) => parseInt(x, 16)));
const bytesHex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

/** What the section's SHA-256 covers (the server checks the same: server/visits/handoff.py). */
export function sectionBody(s) {
  return { v: s.v, visit_id: s.visit_id, member_user_id: s.member_user_id, client_id: s.client_id, seq: s.seq,
    handed_at: s.handed_at, mutations: s.mutations };
}
export const sectionSha256 = (s) => sha256Hex(new TextEncoder().encode(jcs(sectionBody(s))));

/** The section as QR texts (one per code), with its SHA-256 and sizes. */
export async function encodeSection(section) {
  const sha = await sectionSha256(section);
  // visit_id is said once: every mutation's args carry the same one.
  const wire = { ...sectionBody(section), mutations: section.mutations.map(({ args, ...m }) => {
    const { visit_id: _, ...rest } = args;
    return { ...m, args: rest };
  }) };
  const json = new TextEncoder().encode(JSON.stringify(wire));
  const z = await deflate(json);
  const count = Math.max(1, Math.ceil(z.length / MAX_CODE_BYTES));
  if (count > 255) throw new Error('交接内容过大');
  const size = Math.ceil(z.length / count);
  const frames = [];
  for (let i = 0; i < count; i++) {
    const payload = z.slice(i * size, (i + 1) * size);
    const frame = new Uint8Array(HEADER + payload.length);
    frame.set([FORMAT, i, count]);
    frame.set(hexBytes(sha), 3);
    frame.set(hexBytes(await sha256Hex(payload)).slice(0, 8), 35);
    frame.set(payload, HEADER);
    frames.push(PREFIX + b45encode(frame));
  }
  return { frames, sha256: sha, json_bytes: json.length, deflated_bytes: z.length };
}

/** One scanned text → {index, count, sha256, payload}, or null when it is no valid frame of ours. */
export async function parseFrame(text) {
  if (typeof text !== 'string' || !text.startsWith(PREFIX)) return null;
  let bytes;
  try { bytes = b45decode(text.slice(PREFIX.length)); } catch { return null; }
  if (bytes.length <= HEADER || bytes[0] !== FORMAT || bytes[1] >= bytes[2]) return null;
  const payload = bytes.slice(HEADER);
  if ((await sha256Hex(payload)).slice(0, 16) !== bytesHex(bytes.slice(35, 43))) return null; // damaged chunk
  return { index: bytes[1], count: bytes[2], sha256: bytesHex(bytes.slice(3, 35)), payload };
}

/** Collects frames as they are scanned, in any order; resolves a section once all of it is there. */
export class Collector {
  constructor() { this.parts = new Map(); this.finished = new Set(); }

  /** → {state: 'ignored'|'finished'|'repeat'|'partial'|'done'|'corrupt', have, count, section?}
   *  ('finished': a frame of a section already completed in this scan, which the camera still sees) */
  async add(text) {
    const f = await parseFrame(text);
    if (!f) return { state: 'ignored' };
    if (this.finished.has(f.sha256)) return { state: 'finished', sha256: f.sha256 };
    const got = this.parts.get(f.sha256) || { count: f.count, chunks: new Map() };
    this.parts.set(f.sha256, got);
    if (got.chunks.has(f.index)) return { state: 'repeat', have: got.chunks.size, count: got.count, sha256: f.sha256 };
    got.chunks.set(f.index, f.payload);
    if (got.chunks.size < got.count) return { state: 'partial', have: got.chunks.size, count: got.count, sha256: f.sha256 };
    this.parts.delete(f.sha256);
    const z = new Uint8Array([...Array(got.count).keys()].flatMap((i) => [...got.chunks.get(i)]));
    try {
      const wire = JSON.parse(new TextDecoder().decode(await inflate(z)));
      const section = { ...wire, mutations: wire.mutations.map((m) => ({ ...m, args: { visit_id: wire.visit_id, ...m.args } })) };
      if (wire.v !== FORMAT || (await sectionSha256(section)) !== f.sha256) throw new Error('sha');
      this.finished.add(f.sha256);
      return { state: 'done', have: got.count, count: got.count, section: { ...section, section_sha256: f.sha256 } };
    } catch {
      return { state: 'corrupt', have: 0, count: got.count };
    }
  }
}
