/**
 * The parser's constant strings for common field names (issue #10, proxy performance): a
 * known name in any case becomes its lower-case constant, anything else is left to the slice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KNOWN_NAMES, matchKnownFieldName } from '../src/internal/known-field-names.js';
import { TOKEN } from '../src/internal/token-table.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
/** The known name a field line starting `raw:` is matched as (or null). */
const knownFieldName = (raw: string): string | null =>
  name(matchKnownFieldName(bytes(`${raw}:`), 0, raw.length + 1));
const name = (known: number): string | null => (known < 0 ? null : KNOWN_NAMES[known]!);

describe('matchKnownFieldName (issue #10)', () => {
  it.each([
    ['Host', 'host'],
    ['CONTENT-LENGTH', 'content-length'],
    ['Content-Type', 'content-type'],
    ['keep-alive', 'keep-alive'],
    ['X-Forwarded-For', 'x-forwarded-for'],
    ['TE', 'te'],
  ])('%s → %s', (raw, name) => {
    expect(knownFieldName(raw)).toBe(name);
  });

  it('needs the colon right after the name, before the end of the section', () => {
    const buf = bytes('xxHost:yy');
    expect(name(matchKnownFieldName(buf, 2, 9))).toBe('host');
    expect(matchKnownFieldName(buf, 2, 6)).toBe(-1);
    expect(matchKnownFieldName(bytes('Host :'), 0, 6)).toBe(-1);
    expect(matchKnownFieldName(bytes('Hostx:'), 0, 6)).toBe(-1);
  });

  it('folds only letters: no control byte passes for a `-` or a letter', () => {
    // `\r | 0x20` is `-` and `\x08 | 0x20` is `(`: the match must not fold those.
    for (const raw of [
      'content\rlength',
      'content\x0dtype',
      'x\x0dforwarded-for',
      'Ho\x13t',
      'HOS\x14',
    ]) {
      expect(knownFieldName(raw)).toBeNull();
    }
  });

  it.each(['hosts', 'hos', 'h0st', 'hos_', 'content_length', 'x-forwarded-fox', ''])(
    '%s is not a known name',
    (raw) => {
      expect(knownFieldName(raw)).toBeNull();
    },
  );

  it('never names a token other than its own lower-case form', () => {
    const tchar = fc
      .integer({ min: 0x21, max: 0x7e })
      .filter((c) => TOKEN[c] !== 0)
      .map((c) => String.fromCharCode(c));
    const anyByte = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
    const known = fc.constantFrom('host', 'content-length', 'via', 'te', 'set-cookie', 'date');
    // Known names with random letter case and single-byte changes, and random tokens.
    const mutated = fc
      .tuple(known, fc.nat(), fc.oneof(tchar, anyByte))
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
        const name = knownFieldName(raw);
        if (name !== null) {
          // A match is a valid token (what the parser's scan would have checked) …
          expect([...raw].every((ch) => TOKEN[ch.charCodeAt(0)] !== 0)).toBe(true);
          // … and exactly the name in some letter case.
          expect(name).toBe(raw.toLowerCase());
        }
      }),
      { numRuns: 5000 },
    );
    for (const raw of ['hOsT', 'Set-Cookie', 'DATE']) {
      expect(knownFieldName(raw)).toBe(raw.toLowerCase());
    }
  });
});
