import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { ERROR_CODES, OrmError } from './errors.js';

function encodeValue(v: unknown): unknown {
  if (v instanceof Date) return { $d: v.toISOString() };
  if (typeof v === 'bigint') return { $b: v.toString() };
  return v;
}

function decodeValue(v: unknown): unknown {
  if (typeof v === 'object' && v !== null) {
    const o = v as { $d?: unknown; $b?: unknown };
    if (typeof o.$d === 'string') return new Date(o.$d);
    if (typeof o.$b === 'string') return BigInt(o.$b);
  }
  return v;
}

// createHmac with raw bytes imports them as a new KeyObject on every call, which costs more
// than the HMAC of a short cursor; the key is imported once per secret instead.
const KEYS = new WeakMap<Uint8Array, KeyObject>();

function sign(secret: Uint8Array, payload: string): Buffer {
  let key = KEYS.get(secret);
  if (key === undefined) KEYS.set(secret, (key = createSecretKey(secret)));
  return createHmac('sha256', key).update(payload).digest();
}

/**
 * Encodes the sort-key values of the last row of a page into an opaque cursor:
 * `base64url(JSON).base64url(HMAC-SHA256)`. `scope` (table and ordering) is signed too, so a
 * cursor from another ordering or table is rejected.
 */
export function encodeCursor(
  secret: Uint8Array,
  scope: string,
  values: readonly unknown[],
): string {
  const payload = Buffer.from(JSON.stringify(values.map(encodeValue))).toString('base64url');
  return `${payload}.${sign(secret, `${scope}\n${payload}`).toString('base64url')}`;
}

/** Verifies and decodes a cursor from `encodeCursor`; throws RWS_ORM_INVALID_CURSOR (400). */
export function decodeCursor(
  secret: Uint8Array,
  scope: string,
  cursor: string,
  count: number,
): unknown[] {
  const invalid = (why: string) =>
    new OrmError(ERROR_CODES.INVALID_CURSOR, `pagination cursor is invalid: ${why}`, {
      status: 400,
    });
  const dot = cursor.indexOf('.');
  if (dot <= 0) throw invalid('malformed');
  const payload = cursor.slice(0, dot);
  const mac = Buffer.from(cursor.slice(dot + 1), 'base64url');
  const expected = sign(secret, `${scope}\n${payload}`);
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected))
    throw invalid('signature does not match (tampered, or from another ordering or key)');
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid('malformed');
  }
  if (!Array.isArray(values) || values.length !== count) throw invalid('wrong number of values');
  return values.map(decodeValue);
}
