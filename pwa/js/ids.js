// Identifiers: client UUIDs and the GB 11643-1999 resident ID checksum.
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

export async function sha256Hex(data) {
  const buf = data instanceof Blob ? await data.arrayBuffer() : data;
  const digest = await crypto.subtle.digest('SHA-256', buf);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
