// RFC 8785 (JSON Canonicalization Scheme) for our payloads: object keys sorted by
// UTF-16 code units, numbers in ECMAScript form (which JSON.stringify already uses).
export function jcs(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(jcs).join(',')}]`;
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${jcs(value[k])}`).join(',')}}`;
}
