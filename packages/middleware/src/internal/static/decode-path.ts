/**
 * Turns a request path (still percent-encoded) into safe file-system segments, or a rejection.
 * Rules, each chosen so that no request can name a file outside the root:
 * - malformed percent-encoding, bytes outside ASCII, control characters, NUL (raw or `%00`)
 *   and invalid or overlong UTF-8 (`%c0%ae`) → 400: the target cannot be interpreted
 *   (RFC 3986 §2.1, RFC 3629 §3 forbids overlong forms);
 * - `..` segments (raw or encoded), encoded separators (`%2f`, `%5c`), raw backslashes and
 *   drive-letter or stream (`:`) segments → 403: they only exist to step out of a directory.
 * Empty and `.` segments are dropped (nginx merges slashes the same way).
 */

/** A decoded path ready to join onto the root. */
export interface DecodedPath {
  readonly ok: true;
  /** Decoded segments, none empty, none `.` or `..`, none containing `/` or `\`. */
  readonly segments: string[];
  /** True when the raw path ended with `/`. */
  readonly hasTrailingSlash: boolean;
}

/** Why a path was refused. */
export interface RejectedPath {
  readonly ok: false;
  readonly status: 400 | 403;
  readonly reason: string;
}

// Drive letters (`C:`) and NTFS streams (`file::$DATA`) only mean something on Windows; on
// POSIX a colon is an ordinary file-name character.
const IS_WINDOWS = process.platform === 'win32';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Decodes and validates a request path; see the module comment for the rules. */
export function decodePath(rawPath: string): DecodedPath | RejectedPath {
  if (rawPath.length === 0 || rawPath.charCodeAt(0) !== 47) {
    return { ok: false, status: 400, reason: 'path does not start with /' };
  }
  const segments: string[] = [];
  let start = 1;
  const len = rawPath.length;
  while (start <= len) {
    let end = rawPath.indexOf('/', start);
    if (end === -1) end = len;
    if (end > start) {
      const decoded = decodeSegment(rawPath, start, end);
      if (typeof decoded !== 'string') return decoded;
      if (decoded === '..') return { ok: false, status: 403, reason: 'path contains ..' };
      if (decoded.length > 0 && decoded !== '.') segments.push(decoded);
    }
    start = end + 1;
  }
  return { ok: true, segments, hasTrailingSlash: rawPath.charCodeAt(len - 1) === 47 };
}

function decodeSegment(raw: string, start: number, end: number): string | RejectedPath {
  let hasEscape = false;
  for (let i = start; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return { ok: false, status: 400, reason: 'invalid character' };
    if (c === 92) return { ok: false, status: 403, reason: 'path contains a backslash' };
    if (c === 58 && IS_WINDOWS) return { ok: false, status: 403, reason: 'path contains a colon' };
    if (c === 37) hasEscape = true;
  }
  if (!hasEscape) return raw.slice(start, end);
  const bytes = new Uint8Array(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (c !== 37) {
      bytes[n++] = c;
      continue;
    }
    const hi = i + 2 < end ? hexValue(raw.charCodeAt(i + 1)) : -1;
    const lo = i + 2 < end ? hexValue(raw.charCodeAt(i + 2)) : -1;
    if (hi < 0 || lo < 0) return { ok: false, status: 400, reason: 'invalid percent-encoding' };
    const b = (hi << 4) | lo;
    if (b < 0x20 || b === 0x7f) return { ok: false, status: 400, reason: 'encoded control byte' };
    if (b === 47 || b === 92) {
      return { ok: false, status: 403, reason: 'path contains an encoded separator' };
    }
    if (b === 58 && IS_WINDOWS) return { ok: false, status: 403, reason: 'path contains a colon' };
    bytes[n++] = b;
    i += 2;
  }
  try {
    // fatal: overlong forms (%c0%ae for '.') and truncated sequences throw instead of
    // becoming U+FFFD, so a decoder elsewhere cannot read them differently.
    return utf8.decode(bytes.subarray(0, n));
  } catch {
    return { ok: false, status: 400, reason: 'invalid UTF-8' };
  }
}
