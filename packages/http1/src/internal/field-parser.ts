/**
 * The header-section parser shared by the HTTP/1.1 server and client (RFC 9112 §5, RFC 9110
 * §5). It works on raw bytes with table lookups (no regular expressions), lower-cases names,
 * trims values, and rejects everything that lets two parsers disagree about a message:
 * obs-fold, bare CR/LF, control characters, whitespace before the colon, invalid name
 * characters, and malformed or conflicting Content-Length values. It also summarises the
 * framing fields (Content-Length, Transfer-Encoding, Connection, Host, Expect, Upgrade) in
 * the same pass so callers never scan the list twice.
 */
import { ERROR_CODES, type Http1ErrorCode } from '../errors.js';
import {
  INTERNED,
  INTERNED_BYTES,
  internLatin1,
  internSlot,
  MAX_INTERNED_CHARS,
} from './interned-latin1.js';
import { KNOWN_NAMES, matchKnownFieldName } from './known-field-names.js';
import { FIELD_VALUE, TOKEN } from './token-table.js';

// The byte constants are declared in each function that uses them: a module-scope constant
// is a context load plus a type check at each use in optimised code, a local one is folded.

/**
 * Field lines are collected in one module-wide list (the parser never re-enters itself) and
 * copied out at the end in one exact-size allocation: pushing onto a fresh `[]` grows it to
 * 17 slots at the first field and again at the ninth.
 */
const SCRATCH: string[] = new Array<string>(128).fill('');

/**
 * For each known name (by its `KNOWN_NAMES` index), the intern slot its value was found in
 * last time. Most fields repeat their value from message to message (Host, User-Agent,
 * Server, Content-Type…), so the value's bytes are compared with that slot's while they are
 * scanned: a repeated value costs one pass, and no hashing. A different value (a Date, an
 * id) stops the comparison at its first differing byte and takes the hashed lookup.
 */
const VALUE_SLOT = new Int32Array(KNOWN_NAMES.length);

/** Keeps every Content-Length below 2^53, exact (as `parseContentLength` in @rws/core). */
const MAX_CONTENT_LENGTH_DIGITS = 15;

/** No Transfer-Encoding field. */
export const TE_ABSENT = 0;
/** Transfer-Encoding is exactly `chunked`. */
export const TE_CHUNKED = 1;
/** Other codings, then a final `chunked` (e.g. `gzip, chunked`): a server answers 501. */
export const TE_CODINGS_THEN_CHUNKED = 2;
/** The final coding is not `chunked` (e.g. `gzip`, `chunked, gzip`): a request gets 400. */
export const TE_NOT_CHUNKED = 3;
/** Malformed: empty, `chunked` twice, parameters on chunked, non-token codings. */
export const TE_INVALID = 4;

/** `Connection: close` was present. */
export const CONN_CLOSE = 1;
/** `Connection: keep-alive` was present. */
export const CONN_KEEP_ALIVE = 2;
/** `Connection: upgrade` was present. */
export const CONN_UPGRADE = 4;

/**
 * A parsed header section: the flat lower-cased `[name, value, …]` list (ready for
 * `Headers.fromTrustedList`) plus a summary of the framing fields. Reusable via `reset()`.
 */
export class FieldSection {
  /** Flat `[name, value, …]`; names lower-cased, values without surrounding whitespace. */
  list: string[] = [];
  /** The Content-Length value, or -1 when absent. */
  contentLength = -1;
  /** One of the `TE_*` constants. */
  transferEncoding: number = TE_ABSENT;
  /** `CONN_*` bits from the Connection field. */
  connection = 0;
  /** How many Host fields were present. */
  hostCount = 0;
  /** The (first) Host value, or null. */
  host: string | null = null;
  /** The Expect value (repeated fields joined with `, `), or null. */
  expect: string | null = null;
  /** The Upgrade value (repeated fields joined with `, `), or null. */
  upgrade: string | null = null;

  /** Clears the section for reuse with a fresh list. */
  reset(): void {
    this.list = [];
    this.contentLength = -1;
    this.transferEncoding = TE_ABSENT;
    this.connection = 0;
    this.hostCount = 0;
    this.host = null;
    this.expect = null;
    this.upgrade = null;
  }
}

/**
 * Parses the field lines in `buf[start, end)` into `out`. The region holds zero or more
 * complete field lines, each ending in CRLF; the empty line that ends the section is not part
 * of it. Returns null on success or the error code (see `ERROR_CODES`); after an error `out`
 * is partially filled and must not be used.
 *
 * @see RFC 9112 §5 (field syntax), §5.2 (obs-fold), §2.2 (bare CR), §6.3 (Content-Length)
 */
export function parseFieldSection(
  buf: Uint8Array,
  start: number,
  end: number,
  maxCount: number,
  out: FieldSection,
): Http1ErrorCode | null {
  const CR = 13;
  const LF = 10;
  const SP = 32;
  const HTAB = 9;
  const COLON = 58;
  // Locals, not the imported bindings: each use of an import is a load through the module's
  // cell plus a hole check, and the optimizing compiler does not hoist it out of the loops.
  const maxInterned = MAX_INTERNED_CHARS;
  const token = TOKEN;
  const fieldValue = FIELD_VALUE;
  const scratch = SCRATCH;
  const knownNames = KNOWN_NAMES;
  const valueSlot = VALUE_SLOT;
  const interned = INTERNED;
  const internedBytes = INTERNED_BYTES;
  let pos = start;
  let count = 0;
  let te: string | null = null;
  while (pos < end) {
    const nameStart = pos;
    let c = buf[pos]!;
    if (c === SP || c === HTAB) {
      // RFC 9112 §5.2: a line starting with whitespace continues the previous one (obs-fold);
      // before the first field it is forbidden outright (§2.2). Either way: reject.
      return count > 0 ? ERROR_CODES.OBS_FOLD : ERROR_CODES.INVALID_HEADER;
    }
    // Most names are common ones: matched, validated and named in one pass over their bytes.
    const known = matchKnownFieldName(buf, pos, end);
    let name: string;
    if (known >= 0) {
      name = knownNames[known]!;
      pos += name.length;
      c = COLON;
    } else {
      let kind = 0;
      for (;;) {
        const t = token[c]!;
        if (t === 0) break;
        kind |= t;
        if (++pos === end) return ERROR_CODES.INVALID_HEADER;
        c = buf[pos]!;
      }
      // RFC 9112 §5.1: no whitespace between the name and the colon; a name is 1*tchar.
      if (c !== COLON || pos === nameStart) {
        if (c === CR && buf[pos + 1] !== LF) return ERROR_CODES.INVALID_LINE_ENDING;
        if (c === LF) return ERROR_CODES.INVALID_LINE_ENDING;
        return ERROR_CODES.INVALID_HEADER;
      }
      // Not a known name (those matched above): a string of its own, lower-cased if needed.
      name = internLatin1(buf, nameStart, pos);
      if ((kind & 2) !== 0) name = name.toLowerCase();
    }
    pos++;
    c = buf[pos]!;
    while (c === SP || c === HTAB) c = buf[++pos]!;
    const valueStart = pos;
    // One table load per byte; the trailing whitespace is trimmed once at the end instead of
    // tracking the last non-blank byte inside the loop.
    let slot = -1;
    if (known >= 0) {
      // Scan and compare with the slot this name's value used last time (see VALUE_SLOT),
      // within the slot's bytes; the plain scan below finishes a value that differs.
      slot = valueSlot[known]!;
      const delta = (slot * maxInterned - valueStart) | 0;
      const limit = valueStart + maxInterned;
      while (pos < limit && fieldValue[c] === 1 && c === internedBytes[(pos + delta) | 0]) {
        c = buf[++pos]!;
      }
      if (fieldValue[c] === 1) slot = -1;
    }
    while (fieldValue[c] === 1) c = buf[++pos]!;
    if (pos >= end) return ERROR_CODES.INVALID_HEADER;
    if (c !== CR) return c === LF ? ERROR_CODES.INVALID_LINE_ENDING : ERROR_CODES.INVALID_HEADER;
    if (buf[pos + 1] !== LF) return ERROR_CODES.INVALID_LINE_ENDING;
    let valueEnd = pos;
    while (valueEnd > valueStart) {
      const b = buf[valueEnd - 1];
      if (b !== SP && b !== HTAB) break;
      valueEnd--;
    }
    pos += 2;
    if (++count > maxCount) return ERROR_CODES.TOO_MANY_HEADERS;

    let value: string;
    // Every byte up to the end of the value matched the slot's: a hit if the lengths agree.
    if (slot !== -1 && interned[slot]!.length === valueEnd - valueStart) value = interned[slot]!;
    else {
      value = internLatin1(buf, valueStart, valueEnd);
      const n = valueEnd - valueStart;
      if (known >= 0 && n > 0 && n <= maxInterned) {
        valueSlot[known] = internSlot(buf, valueStart, valueEnd);
      }
    }
    const at = 2 * count - 2;
    // The scratch list is preallocated and packed: no growth of a fresh array per field.
    if (at < scratch.length) {
      scratch[at] = name;
      scratch[at + 1] = value;
    } else {
      scratch.push(name, value);
    }

    // Only a handful of names matter for framing; the length switch keeps the common case to
    // one integer comparison.
    switch (name.length) {
      case 4:
        if (name === 'host') {
          if (out.hostCount++ === 0) out.host = value;
        }
        break;
      case 14:
        if (name === 'content-length') {
          const n = contentLength(buf, valueStart, valueEnd);
          if (n < 0) return ERROR_CODES.INVALID_CONTENT_LENGTH;
          // RFC 9112 §6.3 item 5: differing repeated values are unrecoverable.
          if (out.contentLength !== -1 && out.contentLength !== n) {
            return ERROR_CODES.INVALID_CONTENT_LENGTH;
          }
          out.contentLength = n;
        }
        break;
      case 17:
        if (name === 'transfer-encoding') te = te === null ? value : `${te}, ${value}`;
        break;
      case 10:
        if (name === 'connection') out.connection |= parseConnection(value);
        break;
      case 6:
        if (name === 'expect') out.expect = out.expect === null ? value : `${out.expect}, ${value}`;
        break;
      case 7:
        if (name === 'upgrade')
          out.upgrade = out.upgrade === null ? value : `${out.upgrade}, ${value}`;
        break;
    }
  }
  out.list = takeList(scratch, count);
  if (te !== null) out.transferEncoding = classifyTransferEncoding(te);
  return null;
}

/**
 * A fresh `[name, value, …]` of the first `count` fields of `scratch`. Up to 8 fields (most
 * heads) by an array literal: one exact-size packed allocation, where `slice` is a builtin
 * call that costs a few hundred instructions more.
 */
function takeList(s: string[], count: number): string[] {
  switch (count) {
    case 0:
      return [];
    case 1:
      return [s[0]!, s[1]!];
    case 2:
      return [s[0]!, s[1]!, s[2]!, s[3]!];
    case 3:
      return [s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!];
    case 4:
      return [s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!, s[7]!];
    case 5:
      return [s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!, s[7]!, s[8]!, s[9]!];
    case 6:
      return [s[0]!, s[1]!, s[2]!, s[3]!, s[4]!, s[5]!, s[6]!, s[7]!, s[8]!, s[9]!, s[10]!, s[11]!];
    case 7:
      return [
        s[0]!,
        s[1]!,
        s[2]!,
        s[3]!,
        s[4]!,
        s[5]!,
        s[6]!,
        s[7]!,
        s[8]!,
        s[9]!,
        s[10]!,
        s[11]!,
        s[12]!,
        s[13]!,
      ];
    case 8:
      return [
        s[0]!,
        s[1]!,
        s[2]!,
        s[3]!,
        s[4]!,
        s[5]!,
        s[6]!,
        s[7]!,
        s[8]!,
        s[9]!,
        s[10]!,
        s[11]!,
        s[12]!,
        s[13]!,
        s[14]!,
        s[15]!,
      ];
    default:
      return s.slice(0, 2 * count);
  }
}

/**
 * `parseContentLength` over the value's bytes (same rule: 1 to 15 ASCII digits and nothing
 * else), so the length is read without walking the string a second time.
 * @see RFC 9110 §8.6
 */
function contentLength(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len === 0 || len > MAX_CONTENT_LENGTH_DIGITS) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function parseConnection(value: string): number {
  // Fast paths for the values real clients send.
  if (value === 'keep-alive' || value === 'Keep-Alive') return CONN_KEEP_ALIVE;
  if (value === 'close' || value === 'Close') return CONN_CLOSE;
  let bits = 0;
  const lower = value.toLowerCase();
  let i = 0;
  const len = lower.length;
  while (i < len) {
    let j = lower.indexOf(',', i);
    if (j === -1) j = len;
    const token = trimOws(lower, i, j);
    if (token === 'close') bits |= CONN_CLOSE;
    else if (token === 'keep-alive') bits |= CONN_KEEP_ALIVE;
    else if (token === 'upgrade') bits |= CONN_UPGRADE;
    i = j + 1;
  }
  return bits;
}

/**
 * Classifies a (joined) Transfer-Encoding value.
 * @see RFC 9112 §6.1 (chunked only once, last), §6.3 item 4, §7 (transfer-coding syntax)
 */
export function classifyTransferEncoding(value: string): number {
  let chunked = 0;
  let others = 0;
  let lastIsChunked = false;
  const len = value.length;
  let i = 0;
  while (i <= len) {
    let j = value.indexOf(',', i);
    if (j === -1) j = len;
    const element = trimOws(value, i, j);
    i = j + 1;
    // RFC 9110 §5.6.1: empty list elements are ignored.
    if (element.length === 0) continue;
    if (element.length === 7 && element.toLowerCase() === 'chunked') {
      chunked++;
      lastIsChunked = true;
      continue;
    }
    // transfer-coding = token *( OWS ";" OWS transfer-parameter ): check the coding name.
    const semi = element.indexOf(';');
    const coding = semi === -1 ? element : trimOws(element, 0, semi);
    for (let k = 0; k < coding.length; k++) {
      const c = coding.charCodeAt(k);
      if (c > 255 || TOKEN[c] === 0) return TE_INVALID;
    }
    if (coding.length === 0 || coding.toLowerCase() === 'chunked') return TE_INVALID;
    others++;
    lastIsChunked = false;
  }
  if (chunked > 1 || chunked + others === 0) return TE_INVALID;
  if (!lastIsChunked) return TE_NOT_CHUNKED;
  return others > 0 ? TE_CODINGS_THEN_CHUNKED : TE_CHUNKED;
}

function trimOws(s: string, start: number, end: number): string {
  const SP = 32;
  const HTAB = 9;
  while (start < end) {
    const c = s.charCodeAt(start);
    if (c !== SP && c !== HTAB) break;
    start++;
  }
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== SP && c !== HTAB) break;
    end--;
  }
  return s.slice(start, end);
}
