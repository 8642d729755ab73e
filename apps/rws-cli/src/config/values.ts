/**
 * Reading one raw value (a flag or env string, or a TOML value) as its `ValueType`.
 */
import { isIP } from 'node:net';
import { isToken } from '@rws/core';
import { parseStorageSource } from '@rws/proxy';
import type { ConfigKey } from './config-key.js';
import { isSecretRef } from './secret-refs.js';

/** A converted value, or why it could not be converted. */
export type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

const TRUE = new Set(['true', 'on', 'yes', '1']);
const FALSE = new Set(['false', 'off', 'no', '0']);

/** `true`/`on`/`yes`/`1` or `false`/`off`/`no`/`0`, case-insensitive; else null. */
export function parseBoolean(raw: string): boolean | null {
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return null;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * A byte size: `1048576`, `10mb`, `512 KiB`, `1.5g`. Units are binary (1 kb = 1024 bytes),
 * as in nginx's `client_max_body_size`. Returns null when unreadable.
 */
function parseSize(raw: string): number | null {
  const v = raw.trim().toLowerCase();
  let i = 0;
  while (i < v.length && ((v[i]! >= '0' && v[i]! <= '9') || v[i] === '.')) i++;
  const num = v.slice(0, i);
  const unit = v.slice(i).trim();
  if (num.length === 0 || num.startsWith('.') || num.endsWith('.')) return null;
  if (num.indexOf('.') !== num.lastIndexOf('.')) return null;
  const factor = SIZE_UNITS[unit];
  if (factor === undefined) return null;
  const bytes = Math.floor(Number(num) * factor);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** `9100`, `host:9100`, `[::1]:9100` → host and port (host 127.0.0.1 when omitted); else null. */
function parseAddress(raw: string): { host: string; port: number } | null {
  let host = '127.0.0.1';
  let port = raw;
  const colon = raw.lastIndexOf(':');
  if (colon !== -1) {
    host = raw.slice(0, colon);
    port = raw.slice(colon + 1);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    if (isIP(host) === 0 && host !== 'localhost') return null;
  }
  if (!isDigits(port)) return null;
  const n = Number(port);
  return n <= 65535 ? { host, port: n } : null;
}

/** A comma-separated list, trimmed, empty items dropped. */
function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a table';
  return String(value);
}

/**
 * Converts a raw value for `key`. Strings come from flags and env vars and are parsed;
 * TOML values (`isFromFile`) must already have the right type, except that strings are also
 * accepted where a human would write one (`"10mb"`, `"on"`, `"auto"`, a comma list) — never
 * for a port or a plain number.
 */
export function coerce(key: ConfigKey, raw: unknown, isFromFile = false): Coerced {
  const bad = (expected: string): Coerced => ({
    ok: false,
    message: `must be ${expected}, got ${describe(raw)}`,
  });
  switch (key.type) {
    case 'string':
    case 'path':
      if (typeof raw !== 'string' || raw.length === 0) return bad('a non-empty string');
      return { ok: true, value: raw };
    case 'ip': {
      if (typeof raw !== 'string') return bad('an IP address');
      const v = raw.trim();
      const unbracketed = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
      if (isIP(unbracketed) === 0 && unbracketed !== 'localhost') {
        return bad('an IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::)');
      }
      return { ok: true, value: unbracketed };
    }
    case 'port':
    case 'integer': {
      const expected = key.type === 'port' ? 'a port number from 0 to 65535' : 'a whole number ≥ 0';
      // A quoted number in TOML is a string: say so instead of accepting it silently, since
      // the JSON Schema (and so the editor) rejects it too.
      if (isFromFile && typeof raw === 'string') {
        return {
          ok: false,
          message: `must be ${expected}, got the string ${describe(raw)} (write it without quotes)`,
        };
      }
      let n: number;
      if (typeof raw === 'number' || typeof raw === 'bigint') n = Number(raw);
      else if (typeof raw === 'string' && isDigits(raw.trim())) n = Number(raw.trim());
      else return bad(expected);
      if (!Number.isSafeInteger(n) || n < 0) return bad(expected);
      if (key.type === 'port' && n > 65535) return bad(expected);
      return { ok: true, value: n };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (typeof raw === 'string') {
        const b = parseBoolean(raw);
        if (b !== null) return { ok: true, value: b };
      }
      return bad('true or false (or on/off)');
    }
    case 'list': {
      if (typeof raw === 'string') return { ok: true, value: parseList(raw) };
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) {
        return { ok: true, value: raw.map((s) => s.trim()).filter((s) => s.length > 0) };
      }
      return bad('a list of strings (array or comma-separated)');
    }
    case 'size': {
      if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) {
        return { ok: true, value: raw };
      }
      if (typeof raw === 'string') {
        const n = parseSize(raw);
        if (n !== null) return { ok: true, value: n };
      }
      return bad('a byte size such as 1048576, "10mb" or "512k"');
    }
    case 'enum': {
      if (typeof raw === 'string' && key.values.includes(raw.trim().toLowerCase())) {
        return { ok: true, value: raw.trim().toLowerCase() };
      }
      return bad(`one of ${key.values.join(', ')}`);
    }
    case 'workers': {
      if (typeof raw === 'string' && raw.trim().toLowerCase() === 'auto') {
        return { ok: true, value: 'auto' };
      }
      const n =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && isDigits(raw.trim())
            ? Number(raw)
            : NaN;
      if (!Number.isSafeInteger(n) || n < 1 || n > 1024)
        return bad('a number from 1 to 1024, or auto');
      return { ok: true, value: n };
    }
    case 'address': {
      const parsed = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw : '';
      const address = parseAddress(parsed.trim());
      if (address === null) {
        return bad('a port or host:port (e.g. 9100, 127.0.0.1:9100, [::1]:9100)');
      }
      return { ok: true, value: address };
    }
    case 'endpoint': {
      if (raw === false) return { ok: true, value: false };
      if (typeof raw === 'string') {
        const v = raw.trim();
        if (parseBoolean(v) === false) return { ok: true, value: false };
        if (v.startsWith('/') && !v.includes(' ')) return { ok: true, value: v };
      }
      return bad('a path starting with / or off');
    }
    case 'headers':
      return coerceHeaders(raw, describe, isFromFile);
    case 'credentials':
      return coerceCredentials(raw, isFromFile);
    case 'storage':
      return isFromFile ? coerceStorage(raw) : bad('a TOML table ({ driver = "s3", … })');
    default:
      return bad('a valid value');
  }
}

/**
 * Headers rws computes itself: setting them from the configuration would break the framing
 * or the encoding of responses.
 */
const COMPUTED_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'content-encoding',
  'content-range',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
]);

function headerProblem(name: string, value: string): string | null {
  if (!isToken(name)) return `${JSON.stringify(name)} is not a valid header name`;
  if (COMPUTED_HEADERS.has(name.toLowerCase())) {
    return `${name} is set by rws itself and cannot be configured`;
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 9) || c === 0x7f) return `the value of ${name} has a control character`;
  }
  return null;
}

/**
 * `Name: value` (a flag; an env var holds one per line) or a TOML table of strings. Names
 * keep their spelling; a later one with the same name (any case) replaces the earlier.
 */
function coerceHeaders(
  raw: unknown,
  describe: (v: unknown) => string,
  isFromFile: boolean,
): Coerced {
  const out: Record<string, string> = {};
  const put = (name: string, value: string): string | null => {
    const problem = headerProblem(name, value);
    if (problem !== null) return problem;
    for (const k of Object.keys(out)) if (k.toLowerCase() === name.toLowerCase()) delete out[k];
    out[name] = value;
    return null;
  };
  // In the file, headers are a [headers] table; `Name: value` strings are for flags and env.
  if (typeof raw === 'string' && !isFromFile) {
    for (const line of raw.split('\n')) {
      if (line.trim() === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) {
        return {
          ok: false,
          message: `must be "Name: value", got ${describe(line)}`,
        };
      }
      const problem = put(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      if (problem !== null) return { ok: false, message: problem };
    }
    return { ok: true, value: out };
  }
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !(raw instanceof Date)) {
    for (const [name, value] of Object.entries(raw)) {
      if (typeof value !== 'string') {
        return { ok: false, message: `${name} must be a string, got ${describe(value)}` };
      }
      const problem = put(name, value.trim());
      if (problem !== null) return { ok: false, message: problem };
    }
    return { ok: true, value: out };
  }
  return { ok: false, message: `must be a table of header names to values, got ${describe(raw)}` };
}

/** `user:password` split at the first colon (a user name cannot hold one, RFC 7617 §2). */
function credentialProblem(user: string, password: string): string | null {
  if (user === '') return 'the user name is empty';
  if (password === '') return `the password of ${JSON.stringify(user)} is empty`;
  for (const s of [user, password]) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x7f)
        return `the entry of ${JSON.stringify(user)} has a control character`;
    }
  }
  return null;
}

/**
 * Basic-auth users: `user:password` (a flag; an env var holds one per line), or in the file a
 * list of such strings or a table user → password. A later entry for a user replaces the
 * earlier. Messages never show a password.
 */
function coerceCredentials(raw: unknown, isFromFile: boolean): Coerced {
  const out: Record<string, string> = {};
  const fromLines = (lines: readonly unknown[], label: (i: number) => string): Coerced => {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (typeof line !== 'string') {
        return {
          ok: false,
          message: `${label(i)}must be a "user:password" string, got ${describe(line)}`,
        };
      }
      if (line.trim() === '') continue;
      const colon = line.indexOf(':');
      if (colon === -1) {
        // The value is not echoed: without a colon it may be a bare password.
        return { ok: false, message: `${label(i)}must be "user:password" (no colon found)` };
      }
      const user = line.slice(0, colon).trim();
      const password = line.slice(colon + 1);
      const problem = credentialProblem(user, password);
      if (problem !== null) return { ok: false, message: `${label(i)}${problem}` };
      out[user] = password;
    }
    return { ok: true, value: out };
  };
  if (typeof raw === 'string' && !isFromFile) return fromLines(raw.split('\n'), () => '');
  if (Array.isArray(raw)) return fromLines(raw, (i) => `item ${i + 1} `);
  if (typeof raw === 'object' && raw !== null && !(raw instanceof Date)) {
    for (const [user, password] of Object.entries(raw)) {
      if (typeof password !== 'string') {
        return {
          ok: false,
          message: `${user} must be a password string, got ${describe(password)}`,
        };
      }
      const problem = credentialProblem(user, password);
      if (problem !== null) return { ok: false, message: problem };
      out[user] = password;
    }
    return { ok: true, value: out };
  }
  return {
    ok: false,
    message: `must be a list of "user:password" strings or a table of user = password, got ${
      typeof raw === 'string' ? 'a string' : describe(raw)
    }`,
  };
}

/** Table keys of a storage source that hold secrets: only references may be written there. */
const STORAGE_SECRET_KEYS = ['access_key_id', 'secret_access_key', 'session_token', 'account_key'];

/**
 * A `{ driver = … }` table, checked by @rws/proxy's `parseStorageSource` (the gateway's own
 * reader); its key pairs must be secret references so the file never holds a secret.
 */
function coerceStorage(raw: unknown): Coerced {
  const { source, problems } = parseStorageSource(raw, { isCredentialAllowed: true });
  const messages = problems.map((p) => {
    const hint = p.hint === undefined ? '' : ` (${p.hint})`;
    return p.key === '' ? `${p.message}${hint}` : `${p.key}: ${p.message}${hint}`;
  });
  const table = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  for (const name of STORAGE_SECRET_KEYS) {
    const v = table[name];
    if (typeof v === 'string' && !isSecretRef(v)) {
      messages.push(
        `${name}: must be a secret reference (env://NAME, file:///path, vault://, aws-sm://, azkv://), not the secret itself`,
      );
    }
  }
  return messages.length === 0
    ? { ok: true, value: source }
    : { ok: false, message: messages.join('; ') };
}
