// Identifiers: client UUIDs, the GB 11643-1999 resident ID checksum, and SHA-256 of
// what the phone records (record content, photos, videos, signature images).
import { sha256 } from '/vendor/noble-hashes/sha2.js';

export const uuid = () => crypto.randomUUID();

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** null when `raw` is a valid 18-character resident ID number, else a Chinese message. */
export function idNumberProblem(raw) {
  const s = (raw || '').trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(s)) return '身份证号码须为 18 位（最后一位可为 X）。';
  const y = +s.slice(6, 10), m = +s.slice(10, 12), d = +s.slice(12, 14);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d || date > new Date()) {
    return '身份证号码中的出生日期无效。';
  }
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * +s[i], 0);
  if (CHECK[sum % 11] !== s[17]) return '身份证号码校验位不正确，请核对。';
  return null;
}

/**
 * Bytes read from a Blob at a time: a 500 MB video is never held whole in memory. Hashing
 * one slice blocks the main thread (≈30 ms per MiB measured in desktop Chromium, more on a
 * phone); 1 MiB keeps each block short at the same throughput as 4 MiB.
 */
export const HASH_SLICE = 1024 * 1024;

const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * SHA-256 (hex) of a Blob or File, read slice by slice into an incremental hasher
 * (@noble/hashes): crypto.subtle has no streaming digest, and reading a phone video
 * whole into one ArrayBuffer can crash the tab. Each slice read is awaited, so the
 * page stays responsive; `onProgress(done, total)` follows every slice.
 */
export async function sha256Blob(blob, { onProgress = null, slice = HASH_SLICE } = {}) {
  const hasher = sha256.create();
  for (let at = 0; at < blob.size; at += slice) {
    const end = Math.min(at + slice, blob.size);
    hasher.update(new Uint8Array(await blob.slice(at, end).arrayBuffer()));
    if (onProgress) onProgress(end, blob.size);
  }
  return hex(hasher.digest());
}

/** SHA-256 (hex) of bytes (ArrayBuffer or typed array) with crypto.subtle, or of a Blob in slices. */
export async function sha256Hex(data, options) {
  if (data instanceof Blob) return sha256Blob(data, options);
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
}

/** Identity documents a party's representative may sign with (server/identifiers.py ID_DOCUMENT_TYPES). */
export const ID_TYPES = {
  resident_id: '居民身份证', hmt_residence: '港澳台居民居住证', hk_mo_permit: '港澳居民来往内地通行证',
  tw_permit: '台湾居民来往大陆通行证', passport: '护照',
};

/** null when `raw` fits the document type's format (the server checks again), else a Chinese message. */
export function idDocumentProblem(type, raw) {
  const s = (raw || '').trim().toUpperCase();
  const label = ID_TYPES[type] || '证件';
  if (!s) return `请输入${label}号码。`;
  if (type === 'resident_id' || !type) return idNumberProblem(s);
  if (type === 'hmt_residence') {
    if (!/^8[123]0000/.test(s)) return `${label}号码应以 810000（香港）、820000（澳门）或 830000（台湾）开头。`;
    const p = idNumberProblem(s);
    return p ? p.replace('身份证号码', `${label}号码`) : null;
  }
  if (type === 'hk_mo_permit') return /^[HM]\d{8}(\d{2})?$/.test(s) ? null : `${label}号码应为 H（香港）或 M（澳门）加 8 位数字（2013 年前签发的为 10 位数字）。`;
  if (type === 'tw_permit') return /^\d{8}(\d{2})?$/.test(s) ? null : `${label}号码应为 8 位数字（2015 年前签发的为 10 位数字）。`;
  return /^[A-Z0-9]{5,9}$/.test(s) && /\d/.test(s) ? null : `${label}号码应为 5–9 位字母和数字（含数字）。`;
}
