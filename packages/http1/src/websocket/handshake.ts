import { createHash } from 'node:crypto';

/** The GUID every Sec-WebSocket-Accept is derived with (RFC 6455 §1.3). */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** True when `key` is base64 of exactly 16 bytes (RFC 6455 §4.2.1 item 5). */
export function isValidKey(key: string): boolean {
  if (key.length !== 24 || !key.endsWith('==')) return false;
  for (let i = 0; i < 22; i++) {
    const c = key.charCodeAt(i);
    const isB64 =
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
    if (!isB64) return false;
  }
  // The last character before the padding carries 2 bits: only A, Q, g, w are canonical.
  return 'AQgw'.includes(key[21] as string);
}

/** Comma-separated tokens of a header value, trimmed; lower-cased when `lower`. */
export function splitTokens(value: string | null, lower: boolean): string[] {
  if (value === null) return [];
  const out: string[] = [];
  for (const part of value.split(',')) {
    const t = part.trim();
    if (t !== '') out.push(lower ? t.toLowerCase() : t);
  }
  return out;
}
