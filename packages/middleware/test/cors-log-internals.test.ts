import { Headers } from '@rws/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clfDate,
  escapeLogItem,
  formatBytes,
  formatDuration,
} from '../src/internal/access-log/format.js';
import { appendVary, hasListMember } from '../src/internal/cors/vary.js';

describe('escapeLogItem', () => {
  it.each([
    ['plain', 'plain'],
    ['"', '\\"'],
    ['\\', '\\\\'],
    ['a\bb\nc\rd\te\vf', 'a\\bb\\nc\\rd\\te\\vf'],
    ['\x00\x1b\x7f', '\\x00\\x1b\\x7f'],
    ['\u00e9', '\\xe9'],
    ['\u20ac', '\\xe2\\x82\\xac'],
    ['\u{1f600}', '\\xf0\\x9f\\x98\\x80'],
  ])('%j → %j', (input, expected) => {
    expect(escapeLogItem(input)).toBe(expected);
  });

  it('never leaves a quote unescaped, a control character or a non-ASCII character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = escapeLogItem(s);
        for (let i = 0; i < out.length; i++) {
          const c = out.charCodeAt(i);
          expect(c >= 0x20 && c < 0x7f).toBe(true);
          if (c === 0x22) {
            // Every quote is preceded by an odd run of backslashes.
            let n = 0;
            for (let j = i - 1; j >= 0 && out[j] === '\\'; j--) n++;
            expect(n % 2).toBe(1);
          }
        }
      }),
    );
  });
});

describe('clfDate', () => {
  it('pads every field', () => {
    expect(clfDate(Date.UTC(2026, 0, 2, 3, 4, 5), true)).toBe('02/Jan/2026:03:04:05 +0000');
    expect(clfDate(Date.UTC(1999, 11, 31, 23, 59, 59, 999), true)).toBe(
      '31/Dec/1999:23:59:59 +0000',
    );
  });
});

describe('formatBytes / formatDuration', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [1024 * 1024, '1.0 MiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
  ])('%d bytes → %s', (n, s) => expect(formatBytes(n)).toBe(s));

  it.each([
    [0, '0.0 ms'],
    [1.25, '1.3 ms'],
    [999.9, '999.9 ms'],
    [1000, '1.00 s'],
    [61_234, '61.23 s'],
  ])('%d ms → %s', (ms, s) => expect(formatDuration(ms)).toBe(s));
});

describe('appendVary / hasListMember', () => {
  it('finds members case-insensitively, around whitespace, never a part of one', () => {
    expect(hasListMember(' Accept , ,ORIGIN,', 'origin')).toBe(true);
    expect(hasListMember(' Accept , ,ORIGIN,', 'Accept')).toBe(true);
    expect(hasListMember('max-age=0,\tno-transform', 'no-transform')).toBe(true);
    expect(hasListMember('no-transformer, x', 'no-transform')).toBe(false);
    expect(hasListMember('origins', 'origin')).toBe(false);
    expect(hasListMember('', 'origin')).toBe(false);
  });

  it('agrees with splitting the list (property)', () => {
    // The reference: split on commas, trim, lower-case.
    const members = (list: string) => list.split(',').map((m) => m.trim().toLowerCase());
    const token = fc.stringMatching(/^[A-Za-z*-]{1,6}$/);
    const list = fc
      .array(fc.tuple(fc.constantFrom('', ' ', '\t'), token, fc.constantFrom('', ' ')), {
        maxLength: 5,
      })
      .map((items) => items.map(([a, t, b]) => a + t + b).join(','));
    fc.assert(
      fc.property(list, token, (l, name) => {
        expect(hasListMember(l, name)).toBe(members(l).includes(name.toLowerCase()));
      }),
    );
  });

  it('sets, merges, de-duplicates and respects *', () => {
    const h = new Headers();
    appendVary(h, ['Origin']);
    expect(h.get('vary')).toBe('Origin');
    appendVary(h, ['origin', 'Access-Control-Request-Method']);
    expect(h.getAll('vary')).toEqual(['Origin, Access-Control-Request-Method']);
    const star = new Headers({ vary: '*' });
    appendVary(star, ['Origin']);
    expect(star.getAll('vary')).toEqual(['*']);
    const empty = new Headers({ vary: '' });
    appendVary(empty, ['Origin']);
    expect(empty.getAll('vary')).toEqual(['Origin']);
  });

  it('gives the same answer when its last merge is reused, over runs of calls (property)', () => {
    // The reference: split the joined lines, add the names not there, leave `*` alone.
    const reference = (lines: readonly string[], names: readonly string[]): string[] => {
      if (lines.length === 0) return [names.join(', ')];
      const joined = lines.join(', ');
      const members = joined.split(',').map((m) => m.trim().toLowerCase());
      if (members.includes('*')) return [...lines];
      let value = joined;
      for (const name of names) {
        if (value.split(',').some((m) => m.trim().toLowerCase() === name.toLowerCase())) continue;
        value = value.trim() === '' ? name : `${value}, ${name}`;
      }
      return [value];
    };
    // Shared arrays, as callers pass them: the reuse is keyed on the array and the value.
    const nameSets = [['Origin'], ['Accept-Encoding'], ['Origin', 'Access-Control-Request-Method']];
    const line = fc.constantFrom('', '*', 'Accept-Encoding', 'origin', 'Cookie, Origin', 'x');
    const call = fc.tuple(fc.array(line, { maxLength: 3 }), fc.nat(nameSets.length - 1));
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 8 }), (calls) => {
        for (const [lines, which] of calls) {
          const names = nameSets[which]!;
          const headers = new Headers(lines.map((value): [string, string] => ['vary', value]));
          appendVary(headers, names);
          expect(headers.getAll('vary')).toEqual(reference(lines, names));
        }
      }),
    );
  });
});
