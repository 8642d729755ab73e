import { describe, expect, it } from 'vitest';
import { negotiate } from '../src/internal/compress/negotiate.js';
import {
  parseEtagList,
  parseHttpDate,
  strongMatch,
  weakMatch,
} from '../src/internal/static/conditional.js';
import { formatSize } from '../src/internal/static/listing.js';
import { parseRange } from '../src/internal/static/range.js';

describe('parseRange (RFC 9110 §14.1.2)', () => {
  it.each<[string, number, unknown]>([
    ['bytes=0-0', 10, { kind: 'ranges', ranges: [{ start: 0, end: 0 }] }],
    ['bytes=2-', 10, { kind: 'ranges', ranges: [{ start: 2, end: 9 }] }],
    ['bytes=-3', 10, { kind: 'ranges', ranges: [{ start: 7, end: 9 }] }],
    ['bytes=-30', 10, { kind: 'ranges', ranges: [{ start: 0, end: 9 }] }],
    ['bytes=5-100', 10, { kind: 'ranges', ranges: [{ start: 5, end: 9 }] }],
    [
      'BYTES = 1-2 , 4-5',
      10,
      {
        kind: 'ranges',
        ranges: [
          { start: 1, end: 2 },
          { start: 4, end: 5 },
        ],
      },
    ],
    ['bytes=1-2,,', 10, { kind: 'ranges', ranges: [{ start: 1, end: 2 }] }],
    ['bytes=20-30,1-2', 10, { kind: 'ranges', ranges: [{ start: 1, end: 2 }] }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=', 10, { kind: 'ignore' }],
    ['bytes=3-1', 10, { kind: 'ignore' }],
    ['bytes=a-b', 10, { kind: 'ignore' }],
    ['bytes=1', 10, { kind: 'ignore' }],
    ['bytes=0-99999999999999999999', 10, { kind: 'ranges', ranges: [{ start: 0, end: 9 }] }],
    ['bytes=99999999999999999999-', 10, { kind: 'unsatisfiable' }],
    ['pages=1-2', 10, { kind: 'ignore' }],
    ['bytes=0-5,3-9', 10, { kind: 'ignore' }],
  ])('%j of %d bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe('negotiate, as serveStatic uses it (RFC 9110 §12.5.3)', () => {
  const all = ['br', 'zstd', 'gzip'] as const;
  it.each<[string | null, string | null]>([
    [null, null],
    ['', null],
    ['identity', null],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['GZIP;Q=1', 'gzip'],
    ['gzip, br', 'br'],
    ['gzip;q=1, br;q=0.8', 'gzip'],
    ['br;q=0, gzip;q=0.1', 'gzip'],
    ['*', 'br'],
    ['*;q=0.5, br;q=0', 'zstd'],
    ['zstd, gzip;q=0.9', 'zstd'],
    ['gzip;q=abc', null],
    ['deflate', null],
  ])('%j → %j', (header, expected) => {
    expect(negotiate(header, all).coding).toBe(expected);
  });
});

describe('entity tags and dates', () => {
  it('parses lists', () => {
    expect(parseEtagList('"a", W/"b",*,  "c,d"')).toEqual(['"a"', 'W/"b"', '*', '"c,d"']);
  });
  it('compares weakly and strongly (RFC 9110 §8.8.3.2)', () => {
    expect(weakMatch('W/"1"', '"1"')).toBe(true);
    expect(strongMatch('W/"1"', '"1"')).toBe(false);
    expect(strongMatch('"1"', '"1"')).toBe(true);
  });
  it('reads the three HTTP-date formats (RFC 9110 §5.6.7)', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000;
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(t);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(t);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).not.toBeNull();
    expect(parseHttpDate('1994')).toBeNull();
    expect(parseHttpDate('not a date')).toBeNull();
  });
});

describe('formatSize', () => {
  it.each<[number, string]>([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024, '10 KiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
  ])('%d → %s', (n, s) => {
    expect(formatSize(n)).toBe(s);
  });
});
