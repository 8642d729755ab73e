/**
 * Hop-by-hop (connection-specific) header fields: they describe one connection, not the
 * message, so an intermediary never forwards them (RFC 9110 §7.6.1).
 */
import { Headers } from './headers.js';

const FIXED: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/**
 * The fields that are always hop-by-hop: RFC 9110 §7.6.1 names `Connection`, `Proxy-Connection`,
 * `Keep-Alive`, `TE`, `Transfer-Encoding` and `Upgrade`; `Trailer` announces a chunked-coding
 * detail of one hop, and `Proxy-Authenticate` / `Proxy-Authorization` are consumed by the proxy
 * they address (RFC 9110 §11.7).
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set(FIXED);

/** `HOP_BY_HOP_HEADERS` plus `close`: what the common `Connection: close` makes hop-by-hop. */
const WITH_CLOSE: ReadonlySet<string> = new Set([...FIXED, 'close']);

/**
 * True when `name` (lower-case) is in `HOP_BY_HOP_HEADERS`. A proxy asks this for every field
 * of every message: switching on the length first settles most names without a string compare
 * or a hash lookup.
 */
export function isHopByHopHeader(name: string): boolean {
  switch (name.length) {
    case 2:
      return name === 'te';
    case 7:
      return name === 'upgrade' || name === 'trailer';
    case 10:
      return name === 'connection' || name === 'keep-alive';
    case 16:
      return name === 'proxy-connection';
    case 17:
      return name === 'transfer-encoding';
    case 18:
      return name === 'proxy-authenticate';
    case 19:
      return name === 'proxy-authorization';
    default:
      return false;
  }
}

/** What one Connection option adds to the fixed set. */
const ADDS_NOTHING = 0;
const ADDS_CLOSE = 1;
const ADDS_OTHER = 2;

/** True when `value[start, end)` is `lower` ignoring ASCII case (`lower` is lower-case). */
function equalsIgnoreCase(value: string, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = value.charCodeAt(start + i);
    if (c >= 65 && c <= 90) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Classifies the option `value[start, end)` without making a string of it: `close` adds only
 * itself, a fixed hop-by-hop name (`keep-alive`, `upgrade`, in any case) adds nothing.
 * `equalsIgnoreCase` compares lengths first, so most names cost one comparison.
 */
function classifyOption(value: string, start: number, end: number): number {
  if (end === start) return ADDS_NOTHING;
  if (equalsIgnoreCase(value, start, end, 'close')) return ADDS_CLOSE;
  for (const name of FIXED) if (equalsIgnoreCase(value, start, end, name)) return ADDS_NOTHING;
  return ADDS_OTHER;
}

/** What a Connection value adds: the most of its options' classes. */
function classifyConnection(value: string): number {
  let result = ADDS_NOTHING;
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(',', start);
    if (end === -1) end = value.length;
    let s = start;
    let e = end;
    // Optional whitespace around list elements (RFC 9110 §5.6.1).
    while (s < e && (value.charCodeAt(s) === 32 || value.charCodeAt(s) === 9)) s++;
    while (e > s && (value.charCodeAt(e - 1) === 32 || value.charCodeAt(e - 1) === 9)) e--;
    const kind = classifyOption(value, s, e);
    if (kind === ADDS_OTHER) return ADDS_OTHER;
    if (kind > result) result = kind;
    start = end + 1;
  }
  return result;
}

/**
 * The hop-by-hop field names of a message: `HOP_BY_HOP_HEADERS` plus every field named in its
 * `Connection` header (lower-cased). `Connection: close, x-secret` makes `x-secret` hop-by-hop.
 * When Connection names nothing beyond the fixed fields (`keep-alive`, `upgrade`) the result is
 * `HOP_BY_HOP_HEADERS` itself, so a caller can test names with `isHopByHopHeader` instead.
 *
 * @see RFC 9110 §7.6.1
 */
export function hopByHopFields(headers: Headers): ReadonlySet<string> {
  const list = headers.toList();
  // The common cases (no Connection field, or one naming only keep-alive, close or other
  // fields that are hop-by-hop anyway) allocate nothing: nginx answers every response with
  // `Connection: keep-alive`, and copying the set for it cost ~1,100 instructions per response.
  let result = HOP_BY_HOP_HEADERS;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] !== 'connection') continue;
    const value = list[i + 1]!;
    // The values nearly every message carries, settled by one compare each.
    if (value === 'keep-alive') continue;
    if (value === 'close') {
      result = WITH_CLOSE;
      continue;
    }
    const kind = classifyConnection(value);
    if (kind === ADDS_OTHER) return collect(list);
    if (kind === ADDS_CLOSE) result = WITH_CLOSE;
  }
  return result;
}

/** The general case: a new set with every option of every Connection field. */
function collect(list: readonly string[]): ReadonlySet<string> {
  const names = new Set(HOP_BY_HOP_HEADERS);
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] !== 'connection') continue;
    for (const part of list[i + 1]!.split(',')) {
      const name = part.trim().toLowerCase();
      if (name.length > 0) names.add(name);
    }
  }
  return names;
}

/**
 * A copy of `headers` without its hop-by-hop fields (`hopByHopFields`), for forwarding a
 * message to the next hop.
 */
export function withoutHopByHop(headers: Headers): Headers {
  const drop = hopByHopFields(headers);
  const list = headers.toList();
  const out: string[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (drop === HOP_BY_HOP_HEADERS ? isHopByHopHeader(name) : drop.has(name)) continue;
    out.push(name, list[i + 1]!);
  }
  return Headers.fromTrustedList(out);
}
