import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePath } from '../src/internal/static/decode-path.js';

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
        if (!r.ok) return;
        for (const s of r.segments) {
          expect(s === '..' || s === '.' || s.length === 0).toBe(false);
          expect(s.includes('/') || s.includes('\\') || s.includes('\u0000')).toBe(false);
        }
        const full = resolve(join(root, ...r.segments));
        expect(full === root || full.startsWith(root + sep)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
