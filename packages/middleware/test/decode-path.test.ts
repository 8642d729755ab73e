import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePath } from '../src/internal/static/decode-path.js';

const IS_WINDOWS = process.platform === 'win32';

describe('decodePath', () => {
  it.each<[string, string[] | number]>([
    ['/', []],
    ['/a/b.txt', ['a', 'b.txt']],
    ['//a///b/', ['a', 'b']],
    ['/./a/./b', ['a', 'b']],
    ['/%61%62', ['ab']],
    ['/caf%C3%A9', ['café']],
    ['/a%20b', ['a b']],
    ['/..', 403],
    ['/a/%2E%2E', 403],
    ['/a%2fb', 403],
    ['/a%5Cb', 403],
    ['/a\\b', 403],
    ['/%00', 400],
    ['/a\u0000', 400],
    ['/%c0%ae', 400],
    ['/%', 400],
    ['/%g0', 400],
    ['/é', 400],
    ['a', 400],
    ['', 400],
  ])('%j', (raw, expected) => {
    const r = decodePath(raw);
    if (typeof expected === 'number') {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.status).toBe(expected);
    } else {
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.segments).toEqual(expected);
    }
  });

  // Property: whatever the client sends, an accepted path joined onto the root stays under it.
  it('never yields a path outside the root (fast-check)', () => {
    const root = resolve('/srv/root');
    let accepted = 0;
    let rejected = 0;
    const piece = fc.constantFrom(
      '..',
      '.',
      '%2e',
      '%2E%2e',
      '%2f',
      '%5c',
      '\\',
      '/',
      '%00',
      '%c0%ae',
      'a',
      '%',
      'é',
      '%41',
      '',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string()), { maxLength: 12 }), (parts) => {
        const r = decodePath(`/${parts.join('')}`);
        if (!r.ok) {
          // Issue #9: the rejected branch is asserted too, not just returned from.
          expect([400, 403]).toContain(r.status);
          expect(r.reason.length).toBeGreaterThan(0);
          rejected++;
          return;
        }
        accepted++;
        for (const s of r.segments) {
          expect(s === '..' || s === '.' || s.length === 0).toBe(false);
          expect(s.includes('/') || s.includes('\\') || s.includes('\u0000')).toBe(false);
        }
        const full = resolve(join(root, ...r.segments));
        expect(full === root || full.startsWith(root + sep)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    // Both branches must be exercised, or the property says nothing (a decoder rejecting
    // everything would pass it).
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });

  // Issue #9: the other half of the contract. Every path made of valid segments, each character
  // sent raw or percent-encoded as UTF-8, is accepted and decodes to exactly those segments.
  it('accepts every well-formed path and decodes it exactly (fast-check)', () => {
    const isForbidden = (ch: string): boolean => {
      const cp = ch.codePointAt(0)!;
      return cp < 0x20 || cp === 0x7f || ch === '/' || ch === '\\' || (IS_WINDOWS && ch === ':');
    };
    const segment = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 8 })
      .filter(
        (s) => !/\p{Surrogate}/u.test(s) && s !== '.' && s !== '..' && ![...s].some(isForbidden),
      );
    const encoded = fc
      .tuple(segment, fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }))
      .map(([s, flags]) => {
        let out = '';
        let i = 0;
        for (const ch of s) {
          const cp = ch.codePointAt(0)!;
          // Visible ASCII but `%` may go raw; everything else must be percent-encoded.
          const canBeRaw = cp > 0x20 && cp < 0x7f && ch !== '%';
          if (canBeRaw && flags[i++ % 8] === true) out += ch;
          else
            for (const b of new TextEncoder().encode(ch))
              out += `%${b.toString(16).padStart(2, '0')}`;
        }
        return { raw: out, decoded: s };
      });
    fc.assert(
      fc.property(fc.array(encoded, { maxLength: 6 }), fc.boolean(), (segments, trailing) => {
        const raw = `/${segments.map((s) => s.raw).join('/')}${trailing ? '/' : ''}`;
        const r = decodePath(raw);
        expect(r, raw).toMatchObject({ ok: true });
        if (r.ok) expect(r.segments).toEqual(segments.map((s) => s.decoded));
      }),
      { numRuns: 2000 },
    );
  });
});
