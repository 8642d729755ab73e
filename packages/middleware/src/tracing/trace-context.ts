/** W3C Trace Context (https://www.w3.org/TR/trace-context/) header parsing and formatting. */
import { randomBytes } from 'node:crypto';

/** The trace a request belongs to and the span this server created for it. */
export interface TraceContext {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** This server's span: 16 lower-case hex digits. */
  readonly spanId: string;
  /** The caller's span from `traceparent`, or null for a trace that starts here. */
  readonly parentSpanId: string | null;
  /** True when the trace is sampled (flag bit 0). */
  readonly isSampled: boolean;
  /** The `tracestate` to pass on (validated), or null. */
  readonly tracestate: string | null;
  /** `traceparent` for calls this request makes: `00-<traceId>-<spanId>-<flags>`. */
  readonly traceparent: string;
}

/** A parsed, valid `traceparent`. */
export interface ParsedTraceparent {
  traceId: string;
  parentSpanId: string;
  isSampled: boolean;
}

const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Parses `traceparent` (§3.2): `version-traceid-parentid-flags`, lower-case hex only. Version
 * `ff`, all-zero ids and, for version 00, anything after the flags are invalid; a later
 * version may append fields, which are ignored (§4.3). Null when invalid: the request then
 * starts a new trace.
 */
export function parseTraceparent(value: string | null): ParsedTraceparent | null {
  if (value === null) return null;
  const v = value.trim();
  if (v.length < 55) return null;
  const version = v.slice(0, 2);
  if (!HEX.test(version) || version === 'ff') return null;
  if (version === '00' ? v.length !== 55 : v.length > 55 && v[55] !== '-') return null;
  if (v[2] !== '-' || v[35] !== '-' || v[52] !== '-') return null;
  const traceId = v.slice(3, 35);
  const parentSpanId = v.slice(36, 52);
  const flags = v.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(parentSpanId) || !HEX.test(flags)) return null;
  if (traceId === ZERO_TRACE || parentSpanId === ZERO_SPAN) return null;
  return { traceId, parentSpanId, isSampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

// key = simple-key / tenant@system; value = printable ASCII except "," and "=", no trailing space.
const MEMBER =
  /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * Validates `tracestate` (§3.3): at most 32 list members, each `key=value`, keys unique.
 * Returns it re-joined (empty members dropped), or null when invalid or empty.
 */
export function parseTracestate(lines: readonly string[]): string | null {
  const members: string[] = [];
  const keys = new Set<string>();
  for (const line of lines) {
    for (const raw of line.split(',')) {
      const member = raw.trim();
      if (member === '') continue;
      if (!MEMBER.test(member)) return null;
      const key = member.slice(0, member.indexOf('='));
      if (keys.has(key)) return null;
      keys.add(key);
      members.push(member);
    }
  }
  if (members.length === 0 || members.length > 32) return null;
  return members.join(',');
}

/** Fresh random ids (never all zero). */
export function newTraceId(): string {
  for (;;) {
    const id = randomBytes(16).toString('hex');
    if (id !== ZERO_TRACE) return id;
  }
}

export function newSpanId(): string {
  for (;;) {
    const id = randomBytes(8).toString('hex');
    if (id !== ZERO_SPAN) return id;
  }
}

/** `00-<traceId>-<spanId>-<flags>`. */
export function formatTraceparent(traceId: string, spanId: string, isSampled: boolean): string {
  return `00-${traceId}-${spanId}-${isSampled ? '01' : '00'}`;
}
