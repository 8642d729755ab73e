/**
 * The parser's constant strings for common field names (issue #10, proxy performance): a
 * known name in any case becomes its lower-case constant, anything else is left to the slice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { knownFieldName } from '../src/internal/known-field-names.js';
import { TOKEN } from '../src/internal/token-table.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('knownFieldName (issue #10)', () => {
  it.each([
    ['Host', 'host'],
    ['CONTENT-LENGTH', 'content-length'],
    ['Content-Type', 'content-type'],
    ['keep-alive', 'keep-alive'],
    ['X-Forwarded-For', 'x-forwarded-for'],
    ['TE', 'te'],
  ])('%s → %s', (raw, name) => {
    expect(knownFieldName(bytes(raw), 0, raw.length)).toBe(name);
  });

  it('reads only the given range of the buffer', () => {
    const buf = bytes('xxHostyy');
    expect(knownFieldName(buf, 2, 6)).toBe('host');
    expect(knownFieldName(buf, 1, 5)).toBeNull();
  });

  it.each(['hosts', 'hos', 'h0st', 'hos_', 'content_length', 'x-forwarded-fox', ''])(
    '%s is not a known name',
    (raw) => {
      expect(knownFieldName(bytes(raw), 0, raw.length)).toBeNull();
    },
  );

  it('never names a token other than its own lower-case form', () => {
    const tchar = fc
      .integer({ min: 0x21, max: 0x7e })
      .filter((c) => TOKEN[c] !== 0)
      .map((c) => String.fromCharCode(c));
    const known = fc.constantFrom('host', 'content-length', 'via', 'te', 'set-cookie', 'date');
    // Known names with random letter case and single-byte changes, and random tokens.
    const mutated = fc
      .tuple(known, fc.nat(), tchar)
      .map(
        ([name, at, c]) => name.slice(0, at % name.length) + c + name.slice((at % name.length) + 1),
      );
    const cased = known.chain((name) =>
      fc
        .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
        .map((up) => [...name].map((ch, i) => (up[i] ? ch.toUpperCase() : ch)).join('')),
    );
    const token = fc.array(tchar, { minLength: 1, maxLength: 20 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(mutated, cased, token), (raw) => {
        const name = knownFieldName(bytes(raw), 0, raw.length);
        if (name !== null) expect(name).toBe(raw.toLowerCase());
      }),
      { numRuns: 5000 },
    );
    for (const raw of ['hOsT', 'Set-Cookie', 'DATE']) {
      expect(knownFieldName(bytes(raw), 0, raw.length)).toBe(raw.toLowerCase());
    }
  });
});
