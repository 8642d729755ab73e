import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../src/internal/access-log/format.js';
import { isoTime } from '../src/internal/access-log/iso-time.js';
import { formatJson, formatJsonFields } from '../src/internal/access-log/json-line.js';
import { jsonNumber } from '../src/internal/access-log/json-number.js';

// Issue #11: JSON lines are built as strings, without an object and JSON.stringify per line;
// they must be exactly what JSON.stringify of the record gives, for every kind of value.

function entry(over: Partial<LogEntry>): LogEntry {
  return {
    startMs: Date.UTC(2026, 10, 21, 23, 40, 5, 7),
    remoteAddress: '203.0.113.9',
    method: 'GET',
    target: '/a?b=1',
    protocol: 'HTTP/1.1',
    status: 200,
    bytes: 512,
    durationMs: 1.23456,
    userAgent: 'curl/8.5.0',
    referer: null,
    requestId: null,
    fields: null,
    ...over,
  };
}

function reference(e: LogEntry): string {
  const record: Record<string, unknown> = {
    time: new Date(e.startMs).toISOString(),
    remote_addr: e.remoteAddress,
    method: e.method,
    path: e.target,
    protocol: e.protocol,
    status: e.status,
    bytes: e.bytes,
    duration_ms: Math.round(e.durationMs * 1000) / 1000,
    user_agent: e.userAgent,
    referer: e.referer,
  };
  if (e.requestId !== null) record['request_id'] = e.requestId;
  for (const key of Object.keys(e.fields ?? {})) {
    if (!Object.hasOwn(record, key)) record[key] = e.fields![key] ?? null;
  }
  return JSON.stringify(record);
}

// Any entry: printable ASCII (the fast paths), every escape JSON has, non-ASCII and lone
// surrogates, numbers of every magnitude and sign, extra fields named like the standard keys.
const text = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', '127.0.0.1', 'GET', '/1k.bin', 'HTTP/1.1', '\ud800', 'a"\\\u2028'),
);
const number = fc.oneof(
  fc.integer({ min: 0, max: 600 }),
  // Durations rounded to the microsecond (issue #10: the gateway's duration fields).
  fc.integer({ min: 0, max: 2 ** 32 }).map((k) => k / 1000),
  fc.double(),
  fc.double({ min: 0, max: 1e7, noNaN: true }),
);
// Not array-index names ("0", "12"): the reference's record would move them before `time`,
// while the line keeps every extra field after the standard keys, as documented.
const key = fc.oneof(
  fc.string({ maxLength: 8 }).filter((k) => !/^(0|[1-9][0-9]*)$/.test(k)),
  fc.constantFrom('status', 'request_id', 'time'),
);
const entryArb: fc.Arbitrary<LogEntry> = fc.record({
  startMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  remoteAddress: text,
  method: text,
  target: text,
  protocol: text,
  status: number,
  bytes: number,
  durationMs: number,
  userAgent: fc.option(text),
  referer: fc.option(text),
  requestId: fc.option(text),
  fields: fc.option(fc.dictionary(key, fc.oneof(text, number, fc.constant(null)), { maxKeys: 4 })),
});

describe('formatJson (issue #11)', () => {
  it.each<[string, Partial<LogEntry>]>([
    ['plain', {}],
    ['quotes and backslashes', { userAgent: 'a "b" \\c', target: '/"x"' }],
    ['control characters', { userAgent: 'a\nb\tc\u0000', referer: '\u001b[31m' }],
    ['non-ASCII and lone surrogates', { target: '/caf\u00e9/\u{1f600}', userAgent: '\ud800x' }],
    ['request id and fields', { requestId: 'id-1', fields: { upstream: 'api', n: 3, e: null } }],
    ['a field named like a standard key', { fields: { status: 'x', request_id: 'from-field' } }],
    ['non-finite numbers', { durationMs: Number.NaN, bytes: Number.POSITIVE_INFINITY }],
    // Issue #10: quotes come from the line's literal text; escaped values must still match.
    ['no user agent or referer', { userAgent: null, referer: null }],
    [
      'escapes in the request id, field names and field values',
      { requestId: 'a"b\\', fields: { 'we"ird\n': 'v\u00e9"\\', plain: 'x', n: -1.5 } },
    ],
    ['a request id from a field with escapes', { fields: { request_id: 'x\ty' } }],
    // Values longer than 8 characters are checked by a regular expression, shorter by a loop.
    [
      'long values needing escapes at either end',
      { requestId: '"0123456789', userAgent: 'Mozilla/5.0 \u00e9', target: '/0123456789\u007f' },
    ],
  ])('%s: the same text as JSON.stringify of the record', (_name, over) => {
    const e = entry(over);
    expect(formatJson(e)).toBe(reference(e));
    expect(JSON.parse(formatJson(e))).toEqual(JSON.parse(reference(e)));
  });

  it('any entry: the same text as JSON.stringify of the record (property)', () => {
    fc.assert(
      fc.property(entryArb, (e) => {
        expect(formatJson(e)).toBe(reference(e));
      }),
      { numRuns: 2000 },
    );
  });

  it('runs of lines repeating and changing values: the same text as JSON.stringify (the kept pieces, property)', () => {
    // Issue #10: a value's piece is kept while the same value comes again. Values drawn from a
    // few each make lines that reuse some pieces and rebuild others, in every order: a status
    // kept with a new protocol, a field position whose key or value type changes, the same
    // millisecond and the next, null after a string.
    const few = <T>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);
    const t0 = Date.UTC(2026, 10, 21, 23, 40, 5, 7);
    const repeating: fc.Arbitrary<LogEntry> = fc.record({
      startMs: few(t0, t0 + 0.4, t0 + 1, t0 + 1000, t0 + 999.9, -1, 8.64e15 + 1000),
      remoteAddress: few('127.0.0.1', '203.0.113.9', 'a"b', ''),
      method: few('GET', 'POST', 'G\\T', ''),
      target: few('/', '/1k.bin'),
      protocol: few('HTTP/1.1', 'HTTP/2.0', 'h"'),
      status: few(200, 502, 200.5, Number.NaN, -0),
      bytes: few(0, 512),
      durationMs: few(0.25, 1.5),
      userAgent: few<string | null>(null, 'curl/8.5.0', 'Mozilla/5.0 \u00e9', ''),
      referer: few<string | null>(null, 'http://x/', 'r\n'),
      requestId: few<string | null>(null, 'id-1'),
      fields: few<LogEntry['fields']>(
        null,
        { upstream: 'api', backend: 'b1', attempts: 1, proxy_error: null, upstream_header_ms: 0.5 },
        { upstream: 'api', backend: 'b2', attempts: 2, proxy_error: 'X', upstream_header_ms: null },
        { upstream: 1, backend: null, attempts: 'one', proxy_error: null, upstream_header_ms: 0.5 },
        { backend: 'api', upstream: 'b1', request_id: 'f', status: 'x' },
        { up: 'api', backend: 'b1', attempts: 1 },
        // Issue #10: the kept run of leading fields, cut short, skipped into or broken.
        { upstream: 'api', backend: 'b1' },
        { upstream: 'api', request_id: 'f', attempts: 1, proxy_error: null },
        { upstream: 'api', backend: 'b1', attempts: 1, proxy_error: 'X', upstream_header_ms: 2 },
      ),
    });
    fc.assert(
      fc.property(fc.array(repeating, { minLength: 1, maxLength: 30 }), (es) => {
        for (const e of es) {
          let want: string;
          try {
            want = reference(e);
          } catch (err) {
            // A time toISOString rejects: formatJson throws too, on every such line.
            expect(() => formatJson(e)).toThrow((err as Error).constructor as ErrorConstructor);
            continue;
          }
          expect(formatJson(e)).toBe(want);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('declared keys and values by position (defineLogFields): the same text as the record, mixed with record lines (property)', () => {
    // The declared form and the record form share the per-position caches: lines of both,
    // interleaved, must each be JSON.stringify's text of the record.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(entryArb, fc.boolean()), { minLength: 1, maxLength: 10 }),
        (runs) => {
          for (const [e, declared] of runs) {
            const line =
              declared && e.fields !== null
                ? formatJsonFields(
                    { ...e, fields: null },
                    Object.keys(e.fields),
                    Object.values(e.fields),
                  )
                : formatJson(e);
            expect(line).toBe(reference(e));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('fields keys that move between positions from line to line (the per-position prefix cache)', () => {
    // Issue #10: each position remembers its last key's prefix; a standard key landing where a
    // custom key was (and back), a request_id field with and without a request id, and more
    // fields than positions remembered must all still give JSON.stringify's text.
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    const lines: Partial<LogEntry>[] = [
      { fields: { upstream: 'a', backend: 'b', attempts: 1 } },
      { fields: { status: 'x', upstream: 'a', backend: 'b' } },
      { fields: { upstream: 'a', status: 'x', attempts: 2 } },
      { requestId: 'id-1', fields: { request_id: 'f', upstream: 'a' } },
      { fields: { request_id: 'f', upstream: 'a' } },
      { fields: many },
      { fields: { ...many, k3: 'three', method: 'POST' } },
      { fields: { upstream: 'a', backend: 'b', attempts: 1 } },
    ];
    for (let round = 0; round < 2; round++) {
      for (const over of lines) {
        const e = entry(over);
        expect(formatJson(e)).toBe(reference(e));
      }
    }
  });

  it('jsonNumber is JSON.stringify of any number, integers and thousandths included (issue #10)', () => {
    // The fast path writes integers and numbers of at most three decimals without V8's
    // double-to-string; everything else (and its edges) must still match JSON.stringify.
    const edges = [0, -0, 1, 0.001, 0.1, 0.5, 0.999, 1.25, 2 ** 31 - 0.001, 2 ** 31, 2 ** 53, -1.5];
    for (const n of edges) expect(jsonNumber(n)).toBe(JSON.stringify(n));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 2 ** 33 }).map((k) => k / 1000),
          fc.double({ min: 0, max: 2 ** 32, noNaN: true }).map((d) => Math.round(d * 1000) / 1000),
          fc.double(),
        ),
        (n) => {
          expect(jsonNumber(n)).toBe(JSON.stringify(n));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('isoTime is toISOString, the seconds part cached', () => {
    for (const ms of [0, 999, 1000, 1_764_000_000_123.9, 1_764_000_000_999, 1_764_000_001_000]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
