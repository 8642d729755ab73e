/**
 * `internLatin1` (issue #11): short head strings come from a small table when the same bytes
 * were decoded before. Whatever collides in the table, the result is always the bytes'
 * latin1 string.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { internLatin1 } from '../src/internal/interned-latin1.js';

describe('internLatin1 (issue #11)', () => {
  it('returns the latin1 string of the bytes, on a miss and on a hit', () => {
    const buf = Buffer.from('xxGET /index.html?a=1 HTTP/1.1yy', 'latin1');
    const first = internLatin1(buf, 2, buf.length - 2);
    expect(first).toBe('GET /index.html?a=1 HTTP/1.1');
    // A different buffer with the same bytes elsewhere: the same string comes back.
    const again = Buffer.from('__GET /index.html?a=1 HTTP/1.1', 'latin1');
    expect(internLatin1(again, 2, again.length)).toBe(first);
    expect(internLatin1(buf, 5, 5)).toBe('');
  });

  it('never confuses strings that share a slot (same length, ends and middle byte)', () => {
    // Only the second and fourth bytes differ: the slot is the same, the strings are not.
    const a = Buffer.from('aXmYz', 'latin1');
    const b = Buffer.from('aQmRz', 'latin1');
    for (let i = 0; i < 3; i++) {
      expect(internLatin1(a, 0, a.length)).toBe('aXmYz');
      expect(internLatin1(b, 0, b.length)).toBe('aQmRz');
    }
  });

  it('matches latin1 decoding for random bytes of every length around the limit', () => {
    const seen: Buffer[] = [];
    for (let n = 1; n <= 80; n++) {
      for (let k = 0; k < 20; k++) seen.push(randomBytes(n));
    }
    // Twice, so the second pass hits (or collides with) what the first stored.
    for (let pass = 0; pass < 2; pass++) {
      for (const bytes of seen) {
        expect(internLatin1(bytes, 0, bytes.length)).toBe(bytes.toString('latin1'));
      }
    }
  });
});
