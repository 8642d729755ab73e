/**
 * The request-line and header-section parser of the server (RFC 9112 §2–§5). It works on
 * the raw bytes of a complete head, with table lookups and fixed byte comparisons, and
 * classifies every error so the connection can answer with the right status.
 */
import { ERROR_CODES, type Http1ErrorCode } from '../errors.js';
import { FieldSection, parseFieldSection } from './field-parser.js';
import { internLatin1 } from './interned-latin1.js';
import { HOST, latin1, TARGET, TOKEN } from './token-table.js';

// Byte constants and tables are locals of the parser: a module-scope constant or an import
// is a context load plus a check at every use in optimised code; a local one is folded.

/** A parsed request head. */
export class RequestHead {
  method = '';
  target = '';
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor = 1;
  fields: FieldSection = new FieldSection();
}

/** Limits applied while parsing a head. */
export interface RequestHeadLimits {
  maxUrlBytes: number;
  maxHeaderCount: number;
}

/**
 * Parses `buf[start, end)`: the request line and the field lines, each ending in CRLF,
 * without the final empty line. Returns null or the error code.
 *
 * @see RFC 9112 §3 (request line), §3.2 (request-target forms), §2.3 (HTTP-version),
 *   §3.2 (Host: exactly one in HTTP/1.1)
 */
export function parseRequestHead(
  buf: Buffer,
  start: number,
  end: number,
  limits: RequestHeadLimits,
  out: RequestHead,
): Http1ErrorCode | null {
  const CR = 13;
  const LF = 10;
  const SP = 32;
  const targetTable = TARGET;
  let pos = start;
  // Method: 1*tchar. The common methods skip the string allocation.
  let method: string;
  const b0 = buf[pos]!;
  if (b0 === 0x47 && buf[pos + 1] === 0x45 && buf[pos + 2] === 0x54 && buf[pos + 3] === SP) {
    method = 'GET';
    pos += 4;
  } else if (
    b0 === 0x50 &&
    buf[pos + 1] === 0x4f &&
    buf[pos + 2] === 0x53 &&
    buf[pos + 3] === 0x54 &&
    buf[pos + 4] === SP
  ) {
    method = 'POST';
    pos += 5;
  } else {
    while (pos < end && TOKEN[buf[pos]!] !== 0) pos++;
    if (pos === start) {
      return buf[pos] === SP ? ERROR_CODES.INVALID_REQUEST_LINE : ERROR_CODES.INVALID_METHOD;
    }
    if (buf[pos] !== SP) {
      const c = buf[pos];
      if (c === CR || c === LF) return ERROR_CODES.INVALID_REQUEST_LINE;
      return ERROR_CODES.INVALID_METHOD;
    }
    method = latin1(buf, start, pos);
    pos++;
  }

  // request-target: one run of allowed bytes, then exactly one SP.
  const targetStart = pos;
  const maxTargetEnd = targetStart + limits.maxUrlBytes;
  while (pos < end && targetTable[buf[pos]!] === 1) {
    if (pos >= maxTargetEnd) return ERROR_CODES.URI_TOO_LONG;
    pos++;
  }
  if (pos === targetStart) {
    return buf[pos] === SP ? ERROR_CODES.INVALID_REQUEST_LINE : ERROR_CODES.INVALID_TARGET;
  }
  if (buf[pos] !== SP) {
    const c = buf[pos];
    // No version at all (HTTP/0.9 style `GET /\r\n`) is not a valid HTTP/1.x request line.
    if (c === CR || c === LF) return ERROR_CODES.INVALID_REQUEST_LINE;
    return ERROR_CODES.INVALID_TARGET;
  }
  const target = internLatin1(buf, targetStart, pos);
  pos++;

  // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3).
  if (
    buf[pos] !== 0x48 ||
    buf[pos + 1] !== 0x54 ||
    buf[pos + 2] !== 0x54 ||
    buf[pos + 3] !== 0x50 ||
    buf[pos + 4] !== 0x2f
  ) {
    return ERROR_CODES.INVALID_VERSION;
  }
  const major = buf[pos + 5]! - 48;
  const minor = buf[pos + 7]! - 48;
  if (major < 0 || major > 9 || buf[pos + 6] !== 0x2e || minor < 0 || minor > 9) {
    return ERROR_CODES.INVALID_VERSION;
  }
  pos += 8;
  if (buf[pos] !== CR) {
    return buf[pos] === LF ? ERROR_CODES.INVALID_LINE_ENDING : ERROR_CODES.INVALID_VERSION;
  }
  if (buf[pos + 1] !== LF) return ERROR_CODES.INVALID_LINE_ENDING;
  pos += 2;
  if (major !== 1) return ERROR_CODES.VERSION_NOT_SUPPORTED;

  const err = checkTarget(method, target);
  if (err !== null) return err;

  out.method = method;
  out.target = target;
  // HTTP/1.2+ are answered as 1.1 (RFC 9110 §6.2: same major, higher minor is compatible).
  out.minor = minor === 0 ? 0 : 1;
  const fields = out.fields;
  const fieldErr = parseFieldSection(buf, pos, end, limits.maxHeaderCount, fields);
  if (fieldErr !== null) return fieldErr;

  // RFC 9112 §3.2: a 1.1 request without Host, or any request with several, gets 400.
  if (fields.hostCount > 1 || (fields.hostCount === 0 && out.minor === 1)) {
    return ERROR_CODES.INVALID_HOST;
  }
  const host = fields.host;
  if (host !== null) {
    const hostTable = HOST;
    for (let i = 0; i < host.length; i++) {
      const c = host.charCodeAt(i);
      if (c > 255 || hostTable[c] === 0) return ERROR_CODES.INVALID_HOST;
    }
  }
  return null;
}

/**
 * RFC 9112 §3.2: origin-form (`/path`), absolute-form (`scheme://…`), authority-form (only
 * for CONNECT) and asterisk-form (only for OPTIONS).
 */
function checkTarget(method: string, target: string): Http1ErrorCode | null {
  const c0 = target.charCodeAt(0);
  if (method === 'CONNECT') {
    // authority-form = uri-host ":" port; no userinfo, path or scheme (so not `*` and not
    // origin- or absolute-form either).
    const colon = target.lastIndexOf(':');
    if (colon <= 0 || colon === target.length - 1 || c0 === 0x2f) return ERROR_CODES.INVALID_TARGET;
    if (!isPort(target, colon + 1)) return ERROR_CODES.INVALID_TARGET;
    // The HOST table has no `@` or `/`: userinfo and paths fall out here.
    for (let i = 0; i < colon; i++) {
      if (HOST[target.charCodeAt(i)] === 0) return ERROR_CODES.INVALID_TARGET;
    }
    return null;
  }
  if (c0 === 0x2f) return null;
  if (target === '*') return method === 'OPTIONS' ? null : ERROR_CODES.INVALID_TARGET;
  // absolute-form: scheme ":" hier-part, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
  const isAlpha = (c0 >= 0x41 && c0 <= 0x5a) || (c0 >= 0x61 && c0 <= 0x7a);
  if (!isAlpha) return ERROR_CODES.INVALID_TARGET;
  for (let i = 1; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x3a) {
      // `host:443` parses as scheme `host` with path `443`, but it is authority-form, which
      // only CONNECT may use (RFC 9112 §3.2.3): reject rather than guess.
      if (i + 1 >= target.length || isPort(target, i + 1)) return ERROR_CODES.INVALID_TARGET;
      return null;
    }
    const ok =
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2b ||
      c === 0x2d ||
      c === 0x2e;
    if (!ok) return ERROR_CODES.INVALID_TARGET;
  }
  return ERROR_CODES.INVALID_TARGET;
}

/** True when `s[from..]` is one or more digits. */
function isPort(s: string, from: number): boolean {
  if (from >= s.length) return false;
  for (let i = from; i < s.length; i++) {
    const d = s.charCodeAt(i);
    if (d < 48 || d > 57) return false;
  }
  return true;
}
