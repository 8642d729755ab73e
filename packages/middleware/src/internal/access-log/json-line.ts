/**
 * The default access-log line: one JSON object, exactly the text `JSON.stringify` of the
 * record gives, encoded as UTF-8 straight into a buffer (the log sink's batch). Built as a
 * string, a line was a rope of ~25 concatenations that the sink then flattened and encoded
 * again (issue #10: `StringAdd`, `WriteToFlat` and `convert_latin1_to_utf8` were the line's
 * largest costs); here each piece's bytes are written once, where they end up.
 */
// Imported rather than read from the global: Node's global `Buffer` is a getter, a call per use.
import { Buffer } from 'node:buffer';
import { writeUtf8 } from './byte-writes.js';
import type { LogEntry } from './format.js';
import { isoSecondPrefix } from './iso-time.js';
import { type FieldPrefix, REQUEST_ID_PREFIX, slotPrefix } from './json-field-prefix.js';
import { MAX_NUMBER_BYTES, writeJsonNumber } from './json-number.js';

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

const DURATION_KEY = utf8(',"duration_ms":');
const NO_AGENT_NO_REFERER = utf8(',"user_agent":null,"referer":null');
const NO_AGENT_NO_REFERER_ID = utf8(',"user_agent":null,"referer":null,"request_id":');
const AGENT_KEY = utf8(',"user_agent":');
const REFERER_KEY = utf8(',"referer":');
const NULL = utf8('null');
const REQUEST_ID_KEY = utf8(',"request_id":');

/** Bytes of a line besides its strings' and extra fields' (keys, numbers, punctuation, time). */
const FIXED_MAX_BYTES = 512;

/** Most bytes a string takes as a JSON literal: `\u001f` is 6 bytes for one UTF-16 unit. */
function stringMax(s: string): number {
  return 6 * s.length + 2;
}

/**
 * Most bytes `encodeJsonLine` writes for these arguments: the room a caller gives it, so the
 * encoder never checks for space.
 */
export function jsonLineMaxBytes(
  e: LogEntry,
  keys: readonly string[],
  values: readonly unknown[],
): number {
  let n =
    FIXED_MAX_BYTES +
    stringMax(e.remoteAddress) +
    stringMax(e.method) +
    stringMax(e.target) +
    stringMax(e.protocol);
  if (e.userAgent !== null) n += stringMax(e.userAgent);
  if (e.referer !== null) n += stringMax(e.referer);
  if (e.requestId !== null) n += stringMax(e.requestId);
  for (let i = 0; i < keys.length; i++) {
    const value = values[i];
    n +=
      stringMax(keys[i]!) +
      2 +
      (typeof value === 'string' ? stringMax(value) : MAX_NUMBER_BYTES);
  }
  return n;
}

/**
 * Copies `piece` to `pos`; returns the end. A loop: the pieces are a few dozen bytes, and
 * `out.set(piece, pos)` cost ~215 instructions a call in callgrind (its builtin checks both
 * arrays before a `memmove`).
 */
function put(out: Buffer, pos: number, piece: Uint8Array): number {
  const n = piece.length;
  for (let i = 0; i < n; i++) out[pos + i] = piece[i]!;
  return pos + n;
}

/**
 * Writes `s` as a JSON string literal, quotes included, at `pos`; returns the end. Printable
 * ASCII without `"` and `\` (addresses, methods, most paths, request ids) is its own literal:
 * one UTF-8 write and a check of the bytes written, cheaper than a check of the string (a
 * `charCodeAt` dispatches on the string's representation per character). Anything else is
 * written again over it from `JSON.stringify`, whose text this must equal.
 */
function writeString(out: Buffer, pos: number, s: string): number {
  out[pos] = 0x22;
  const start = pos + 1;
  const end = start + writeUtf8(out, s, start);
  for (let i = start; i < end; i++) {
    const b = out[i]!;
    if (b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c) {
      return pos + writeUtf8(out, JSON.stringify(s), pos);
    }
  }
  out[end] = 0x22;
  return end + 1;
}

/*
 * Pieces, keys and punctuation included, are kept while their values come again (issue #10):
 * the second's text, the client and method, the protocol and status, an upstream's name
 * repeat from one line to the next, and a kept piece is one copy instead of a few writes and
 * the checks of the values. Each is a pure function of the values it is kept for, so the text
 * is the same as building it afresh. Paths and request ids, new on every line, are written
 * directly.
 */

/** `{"time":"2026-11-21T23:40:00.` of the second `headSec`. */
let headSec = Number.NaN;
let headBytes: Buffer = Buffer.alloc(0);

function headPiece(sec: number): Buffer {
  if (sec !== headSec) {
    // Built before the key is kept: a time `toISOString` rejects throws on every line.
    headBytes = utf8(`{"time":"${isoSecondPrefix(sec)}`);
    headSec = sec;
  }
  return headBytes;
}

/** `Z","remote_addr":"127.0.0.1","method":"GET","path":` of `lastRemote` and `lastMethod`. */
let lastRemote = '';
let lastMethod = '';
let clientBytes: Buffer = utf8('Z","remote_addr":"","method":"","path":');

function clientPiece(remote: string, method: string): Buffer {
  if (remote !== lastRemote || method !== lastMethod) {
    clientBytes = utf8(
      `Z","remote_addr":${JSON.stringify(remote)},"method":${JSON.stringify(method)},"path":`,
    );
    lastRemote = remote;
    lastMethod = method;
  }
  return clientBytes;
}

/** `,"protocol":"HTTP/1.1","status":200,"bytes":` of `lastProtocol` and `lastStatus`. */
let lastProtocol = '';
let lastStatus = Number.NaN;
let statusBytes: Buffer = Buffer.alloc(0);

function statusPiece(protocol: string, status: number): Buffer {
  if (protocol !== lastProtocol || status !== lastStatus) {
    const head = utf8(`,"protocol":${JSON.stringify(protocol)},"status":`);
    const tail = utf8(',"bytes":');
    const buf = Buffer.alloc(head.length + MAX_NUMBER_BYTES + tail.length);
    let end = put(buf, 0, head);
    end = writeJsonNumber(buf, end, status);
    end = put(buf, end, tail);
    statusBytes = buf.subarray(0, end);
    lastProtocol = protocol;
    lastStatus = status;
  }
  return statusBytes;
}

/** Per position of the extra fields: the prefix and string or null value of the piece kept there. */
const MAX_FIELD_MEMOS = 16;
const memoPrefixes: unknown[] = new Array(MAX_FIELD_MEMOS).fill(null);
const memoValues: unknown[] = new Array(MAX_FIELD_MEMOS).fill(undefined);
const memoPieces: Buffer[] = new Array(MAX_FIELD_MEMOS).fill(NULL);

/** `,"key":"value"` or `,"key":null` at position `slot`. */
function fieldPiece(slot: number, prefix: FieldPrefix, value: string | null): Buffer {
  if (memoPrefixes[slot] !== prefix || memoValues[slot] !== value) {
    memoPieces[slot] = utf8(`${prefix.text}${value === null ? 'null' : JSON.stringify(value)}`);
    memoPrefixes[slot] = prefix;
    memoValues[slot] = value;
  }
  return memoPieces[slot]!;
}

/**
 * Writes one line at `pos` in `out` (up to its closing brace, no newline) and returns its
 * end; `out` has `jsonLineMaxBytes` of room there. `request_id` only when there is one; extra
 * fields (`keys[i]` = `values[i]`) as keys of their own after the standard ones, a standard
 * key never replaced. Throws, having written part of a line, for a time `toISOString` rejects.
 */
export function encodeJsonLine(
  out: Buffer,
  pos: number,
  e: LogEntry,
  keys: readonly string[],
  values: readonly unknown[],
): number {
  const ms = e.startMs;
  const sec = Math.floor(ms / 1000);
  // A time without ISO text (NaN, past year 275760) throws here, as `toISOString` does.
  let end = put(out, pos, headPiece(sec));
  const milli = Math.floor(ms - sec * 1000);
  const m1 = Math.floor(milli / 100);
  const m2 = Math.floor(milli / 10) - m1 * 10;
  out[end++] = 0x30 + m1;
  out[end++] = 0x30 + m2;
  out[end++] = 0x30 + (milli - Math.floor(milli / 10) * 10);
  end = put(out, end, clientPiece(e.remoteAddress, e.method));
  end = writeString(out, end, e.target);
  end = put(out, end, statusPiece(e.protocol, e.status));
  end = writeJsonNumber(out, end, e.bytes);
  end = put(out, end, DURATION_KEY);
  end = writeJsonNumber(out, end, Math.round(e.durationMs * 1000) / 1000);
  const agent = e.userAgent;
  const referer = e.referer;
  const requestId = e.requestId;
  if (agent === null && referer === null) {
    // The usual line of an API client: one piece up to the request id's value.
    end = put(out, end, requestId === null ? NO_AGENT_NO_REFERER : NO_AGENT_NO_REFERER_ID);
  } else {
    end = put(out, end, AGENT_KEY);
    end = agent === null ? put(out, end, NULL) : writeString(out, end, agent);
    end = put(out, end, REFERER_KEY);
    end = referer === null ? put(out, end, NULL) : writeString(out, end, referer);
    if (requestId !== null) end = put(out, end, REQUEST_ID_KEY);
  }
  if (requestId !== null) end = writeString(out, end, requestId);
  for (let slot = 0; slot < keys.length; slot++) {
    const prefix = slotPrefix(slot, keys[slot]!);
    // `request_id` comes from a field only when the request has none.
    if (prefix === null || (prefix === REQUEST_ID_PREFIX && requestId !== null)) continue;
    const value = values[slot];
    if (typeof value === 'number') {
      end = put(out, end, prefix.bytes);
      end = writeJsonNumber(out, end, value);
    } else if (slot < MAX_FIELD_MEMOS) {
      end = put(out, end, fieldPiece(slot, prefix, typeof value === 'string' ? value : null));
    } else {
      end = put(out, end, prefix.bytes);
      end = typeof value === 'string' ? writeString(out, end, value) : put(out, end, NULL);
    }
  }
  out[end++] = 0x7d;
  return end;
}

/** Where the string forms are encoded before they are decoded again; grows to the longest line. */
let scratch = Buffer.allocUnsafeSlow(4096);

/**
 * `encodeJsonLine` as a string, for a `write` function that takes strings: the extra fields
 * as keys declared once (`defineLogFields`) and this line's values in the same order.
 * `e.fields` is ignored.
 */
export function formatJsonFields(
  e: LogEntry,
  keys: readonly string[],
  values: readonly unknown[],
): string {
  const max = jsonLineMaxBytes(e, keys, values);
  if (scratch.length < max) scratch = Buffer.allocUnsafeSlow(max);
  const end = encodeJsonLine(scratch, 0, e, keys, values);
  return scratch.toString('utf8', 0, end);
}

const NO_KEYS: readonly string[] = [];

/**
 * One JSON object per line (see `encodeJsonLine`), as a string. The extra fields' values in
 * the same order as the keys come from one builtin: `fields[key]` with a different key each
 * time is a megamorphic keyed load (~100 instructions each, issue #10).
 */
export function formatJson(e: LogEntry): string {
  const fields = e.fields;
  return fields === null
    ? formatJsonFields(e, NO_KEYS, NO_KEYS)
    : formatJsonFields(e, Object.keys(fields), Object.values(fields));
}
