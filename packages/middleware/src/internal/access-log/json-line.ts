/**
 * The default access-log line as a string: one JSON object, exactly the text `JSON.stringify`
 * of the record gives.
 */
// Imported rather than read from the global: Node's global `Buffer` is a getter, a call per use.
import { Buffer } from 'node:buffer';
import type { LogEntry } from './format.js';
import { isoTime } from './iso-time.js';
import { REQUEST_ID_PREFIX, slotPrefix } from './json-field-prefix.js';
import { jsonNumber } from './json-number.js';

/** Values up to this long are checked by a loop, longer ones by `NEEDS_ESCAPE`. */
const SHORT_VALUE = 8;
/** What JSON escapes or this line leaves to `JSON.stringify`: controls, `"`, `\`, non-ASCII. */
const NEEDS_ESCAPE = /[\x00-\x1f"\\\x7f-\uffff]/;

/**
 * The inside of a JSON string literal (no quotes). Printable ASCII without `"` and `\`
 * (addresses, methods, most paths and user agents) is returned as it is, allocating nothing;
 * anything else goes through `JSON.stringify`. The caller writes the quotes into its own
 * literal text: a `"${s}"` per value made two strings more per field of every line.
 */
function jsonInner(s: string): string {
  // A charCodeAt loop costs ~45 instructions a character in callgrind (each read dispatches on
  // the string's representation); the regular expression ~240 for the call and ~14 a
  // character: the loop for short values (method, a short path), the test for longer ones
  // (request ids, user agents, addresses).
  if (s.length > SHORT_VALUE) {
    return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).slice(1, -1) : s;
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s).slice(1, -1);
  }
  return s;
}

/*
 * Each concatenation adds a node to the line's rope, and the sink flattens the rope node by
 * node (issue #10: `StringAdd` and `WriteToFlat` were the line's largest costs). Most values
 * repeat from one line to the next (the millisecond, the client, the method, protocol and
 * status, the user agent, the gateway's upstream), so a value's whole piece, key and
 * punctuation included, is kept while the same value comes again: a `===` instead of the
 * escape check and two or three concatenations. Every piece is a pure function of the values
 * it is kept for, so the text is the same as building it afresh.
 */

/** `{"time":"…","remote_addr":"` of the millisecond `timeSec`/`timeMilli` (as `isoTime` splits it). */
let timeSec = Number.NaN;
let timeMilli = Number.NaN;
let timePiece = '';

function headPiece(ms: number): string {
  const sec = Math.floor(ms / 1000);
  const milli = Math.floor(ms - sec * 1000);
  if (sec !== timeSec || milli !== timeMilli) {
    // Built before the key is kept: a time `toISOString` rejects throws on every line.
    timePiece = `{"time":"${isoTime(ms)}","remote_addr":"`;
    timeSec = sec;
    timeMilli = milli;
  }
  return timePiece;
}

let lastRemote = '';
let remoteInner = '';

function remotePiece(remote: string): string {
  if (remote !== lastRemote) {
    lastRemote = remote;
    remoteInner = jsonInner(remote);
  }
  return remoteInner;
}

/** `","method":"GET","path":"` of `lastMethod`. */
let lastMethod = '';
let methodPieceText = '","method":"","path":"';

function methodPiece(method: string): string {
  if (method !== lastMethod) {
    lastMethod = method;
    methodPieceText = `","method":"${jsonInner(method)}","path":"`;
  }
  return methodPieceText;
}

/** `","protocol":"HTTP/1.1","status":200,"bytes":` of `lastProtocol` and `lastStatus`. */
let lastProtocol = '';
let lastStatus = Number.NaN;
let statusPieceText = '';

function statusPiece(protocol: string, status: number): string {
  if (protocol !== lastProtocol || status !== lastStatus) {
    lastProtocol = protocol;
    lastStatus = status;
    statusPieceText = `","protocol":"${jsonInner(protocol)}","status":${jsonNumber(status)},"bytes":`;
  }
  return statusPieceText;
}

/** `512,"duration_ms":` of `lastBytes` (a gateway or static server sends the same sizes again). */
let lastBytes = Number.NaN;
let bytesPieceText = '';

function bytesPiece(bytes: number): string {
  if (bytes !== lastBytes) {
    lastBytes = bytes;
    bytesPieceText = `${jsonNumber(bytes)},"duration_ms":`;
  }
  return bytesPieceText;
}

/** `,"user_agent":"…"` of `lastAgent`. */
let lastAgent: string | null = null;
let agentPieceText = ',"user_agent":null';

function agentPiece(agent: string | null): string {
  if (agent !== lastAgent) {
    lastAgent = agent;
    agentPieceText = agent === null ? ',"user_agent":null' : `,"user_agent":"${jsonInner(agent)}"`;
  }
  return agentPieceText;
}

/** `,"referer":"…"` of `lastReferer`. */
let lastReferer: string | null = null;
let refererPieceText = ',"referer":null';

function refererPiece(referer: string | null): string {
  if (referer !== lastReferer) {
    lastReferer = referer;
    refererPieceText = referer === null ? ',"referer":null' : `,"referer":"${jsonInner(referer)}"`;
  }
  return refererPieceText;
}

/** Per position of a `fields` object: the prefix and value of the piece kept there. */
const MAX_FIELD_MEMOS = 16;
const memoPrefixes: unknown[] = new Array(MAX_FIELD_MEMOS).fill(null);
const memoValues: (string | number | null | undefined)[] = new Array(MAX_FIELD_MEMOS).fill(
  undefined,
);
const memoPieces: string[] = new Array(MAX_FIELD_MEMOS).fill('');

function fieldPiece(prefix: { bare: string; quoted: string }, value: unknown): string {
  return typeof value === 'string'
    ? `${prefix.quoted}${jsonInner(value)}"`
    : `${prefix.bare}${typeof value === 'number' ? jsonNumber(value) : 'null'}`;
}

/** The kept pieces of slots 0 .. `runSlots - 1` as one string, while all of them stay kept. */
let runSlots = 0;
let runText = '';

/**
 * One JSON object per line; `request_id` only when there is one; extra fields as keys of
 * their own after the standard ones. Built as a string (the same text `JSON.stringify` of the
 * record gives), without an intermediate object per line.
 */
export function formatJson(e: LogEntry): string {
  const fields = e.fields;
  if (fields === null) return `${standardPieces(e)}}`;
  // The values in the same order as the keys, from one builtin: `fields[key]` with a
  // different key each time is a megamorphic keyed load (~100 instructions each, issue #10).
  return formatJsonFields(e, Object.keys(fields), Object.values(fields));
}

/**
 * `formatJson` with the extra fields as keys declared once (`defineLogFields`) and this line's
 * values in the same order: no `Object.keys`/`Object.values` per line. `e.fields` is ignored.
 */
export function formatJsonFields(
  e: LogEntry,
  keys: readonly string[],
  values: readonly unknown[],
): string {
  let out = standardPieces(e);
  let slot = 0;
  if (runSlots > 0) {
    // The kept run holds when each of its slots would write its kept piece again.
    let holds = keys.length >= runSlots;
    for (let i = 0; holds && i < runSlots; i++) {
      const prefix = slotPrefix(i, keys[i]!);
      holds =
        prefix !== null &&
        !(prefix === REQUEST_ID_PREFIX && e.requestId !== null) &&
        memoPrefixes[i] === prefix &&
        memoValues[i] === values[i];
    }
    if (holds) {
      // One node of the line's rope for the whole run (issue #10: each node is a
      // concatenation and a step of the sink's flattening).
      out += runText;
      slot = runSlots;
    } else runSlots = 0;
  }
  // Kept pieces written from slot 0 on, one after the other: a run to keep for next lines.
  let hits = slot === 0 ? 0 : -1;
  for (; slot < keys.length; slot++) {
    const key = keys[slot]!;
    const prefix = slotPrefix(slot, key);
    // A standard key is never replaced; `request_id` comes from a field only when the
    // request has none.
    if (prefix === null || (prefix === REQUEST_ID_PREFIX && e.requestId !== null)) continue;
    const value = values[slot];
    if (slot >= MAX_FIELD_MEMOS) {
      out += fieldPiece(prefix, value);
    } else if (memoPrefixes[slot] === prefix && memoValues[slot] === value) {
      if (hits === slot) hits++;
      out += memoPieces[slot];
    } else {
      const piece = fieldPiece(prefix, value);
      memoPrefixes[slot] = prefix;
      memoValues[slot] = value as string | number | null | undefined;
      memoPieces[slot] = piece;
      out += piece;
    }
  }
  if (hits >= 2) {
    let text = '';
    for (let i = 0; i < hits; i++) text += memoPieces[i];
    // Flat: as a rope of its pieces it would still be a step of the flattening per piece.
    runText = Buffer.from(text, 'utf8').toString('utf8');
    runSlots = hits;
  }
  return `${out}}`;
}

/** The standard keys of a line, `request_id` included, without the closing brace. */
function standardPieces(e: LogEntry): string {
  const out =
    headPiece(e.startMs) +
    remotePiece(e.remoteAddress) +
    methodPiece(e.method) +
    jsonInner(e.target) +
    statusPiece(e.protocol, e.status) +
    bytesPiece(e.bytes) +
    jsonNumber(Math.round(e.durationMs * 1000) / 1000) +
    agentPiece(e.userAgent) +
    refererPiece(e.referer);
  return e.requestId === null ? out : `${out},"request_id":"${jsonInner(e.requestId)}"`;
}
