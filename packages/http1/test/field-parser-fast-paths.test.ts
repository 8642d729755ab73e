/**
 * The fast paths of the field parser (issue #10, proxy performance): names found by length
 * and first byte, values scanned once and trimmed afterwards, Content-Length read from the
 * bytes, and fields collected in one reused scratch list. Each must give exactly what the
 * plain rules give.
 */
import { parseContentLength } from '@rws/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors.js';
import { FieldSection, parseFieldSection } from '../src/internal/field-parser.js';

function parse(text: string, maxCount = 1000): { err: string | null; section: FieldSection } {
  const buf = Buffer.from(text, 'latin1');
  const section = new FieldSection();
  const err = parseFieldSection(buf, 0, buf.length, maxCount, section);
  return { err, section };
}

describe('field parser fast paths (issue #10)', () => {
  it('recognises known names that share length and first letter, in any case', () => {
    const { err, section } = parse(
      'ACCEPT-ENCODING: gzip\r\nAccept-Language: en\r\naccept-ranges: bytes\r\nX-Forwarded-Proto: http\r\nIf-Modified-Since: x\r\n',
    );
    expect(err).toBeNull();
    expect(section.list).toEqual([
      'accept-encoding',
      'gzip',
      'accept-language',
      'en',
      'accept-ranges',
      'bytes',
      'x-forwarded-proto',
      'http',
      'if-modified-since',
      'x',
    ]);
  });

  it('lower-cases names whose length and first byte collide with a known one', () => {
    // `8` and `x` give the same key as do `H` and `h`; only the bytes decide.
    const { section } = parse('8-Forwarded-For: a\r\nHOSTS: b\r\nHosT: c\r\nhost-: d\r\n');
    expect(section.list).toEqual(['8-forwarded-for', 'a', 'hosts', 'b', 'host', 'c', 'host-', 'd']);
    expect(section.host).toBe('c');
  });

  it('trims trailing SP and HTAB once, keeps inner whitespace, allows empty values', () => {
    const { err, section } = parse('a: x \t y \t \r\nb:\t \r\nc: \tz\r\n');
    expect(err).toBeNull();
    expect(section.list).toEqual(['a', 'x \t y', 'b', '', 'c', 'z']);
  });

  it('reads Content-Length from the bytes exactly as parseContentLength reads the string', () => {
    const value = fc.oneof(
      fc.stringMatching(/^[0-9]{1,17}$/),
      fc.string({
        unit: fc.constantFrom('0', '1', '9', '+', '-', 'e', 'x', ' ', '\t', ',', '\xb9'),
        minLength: 1,
        maxLength: 18,
      }),
    );
    fc.assert(
      fc.property(value, (v) => {
        const { err, section } = parse(`Content-Length: ${v}\r\n`);
        // The parser trims OWS around the value before the digits are read.
        const n = parseContentLength(v.replace(/^[ \t]+|[ \t]+$/g, ''));
        if (n < 0) expect(err).toBe(ERROR_CODES.INVALID_CONTENT_LENGTH);
        else {
          expect(err).toBeNull();
          expect(section.contentLength).toBe(n);
        }
      }),
    );
  });

  it('keeps the Content-Length rules: 15 digits at most, repeats must agree', () => {
    expect(parse('Content-Length: 999999999999999\r\n').section.contentLength).toBe(
      999999999999999,
    );
    expect(parse('Content-Length: 1000000000000000\r\n').err).toBe(
      ERROR_CODES.INVALID_CONTENT_LENGTH,
    );
    expect(parse('Content-Length: 007\r\ncontent-length: 7\r\n').section.contentLength).toBe(7);
    expect(parse('Content-Length: 7\r\ncontent-length: 8\r\n').err).toBe(
      ERROR_CODES.INVALID_CONTENT_LENGTH,
    );
    expect(parse('Content-Length: \r\n').err).toBe(ERROR_CODES.INVALID_CONTENT_LENGTH);
  });

  it('returns a fresh list per section: a later parse does not change an earlier list', () => {
    const first = parse('host: a\r\nx: 1\r\n').section.list;
    const second = parse('host: b\r\n').section.list;
    const none = parse('').section.list;
    expect(first).toEqual(['host', 'a', 'x', '1']);
    expect(second).toEqual(['host', 'b']);
    expect(none).toEqual([]);
    expect(second).not.toBe(first);
  });

  it('collects more fields than the preallocated scratch holds, in order', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `f${i}: v${i}\r\n`).join('');
    const { err, section } = parse(lines);
    expect(err).toBeNull();
    expect(section.list.length).toBe(600);
    expect(section.list.slice(0, 4)).toEqual(['f0', 'v0', 'f1', 'v1']);
    expect(section.list.slice(-2)).toEqual(['f299', 'v299']);
    // And a small section right after still gets exactly its own fields.
    expect(parse('a: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n').section.list).toEqual([
      'a',
      '1',
      'b',
      '2',
      'c',
      '3',
      'd',
      '4',
    ]);
    expect(parse(lines, 299).err).toBe(ERROR_CODES.TOO_MANY_HEADERS);
  });
  it('gives each value exactly, whether or not it repeats the last value of its name', () => {
    // The parser compares a known name's value with the one it had last time while scanning
    // it: repeats, changes at any byte, other lengths, trailing blanks and long values.
    const long = 'v'.repeat(64);
    const values = fc.oneof(
      fc.constantFrom('text/plain', 'text/plain ', 'text/plainx', 'text/plai', 'Text/plain'),
      fc.constantFrom('', ' ', long, `${long}v`, `${long.slice(1)}w`, 'a\tb', '\u00e9t\u00e9'),
      fc.string({ maxLength: 70 }).map((v) => v.replace(/[^\x20-\x7e]/g, 'x')),
    );
    const names = fc.constantFrom('Content-Type', 'server', 'X-Custom', 'date');
    fc.assert(
      fc.property(fc.array(fc.tuple(names, values), { minLength: 1, maxLength: 6 }), (fields) => {
        const { err, section } = parse(fields.map(([n, v]) => `${n}: ${v}\r\n`).join(''));
        expect(err).toBeNull();
        expect(section.list).toEqual(
          fields.flatMap(([n, v]) => [n.toLowerCase(), v.replace(/^[ \t]+|[ \t]+$/g, '')]),
        );
      }),
      { numRuns: 3000 },
    );
  });
});
