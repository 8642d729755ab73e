import { describe, expect, it } from 'vitest';
import { asciiLower } from '../src/index.js';

describe('asciiLower', () => {
  it('lower-cases A–Z only and keeps the length', () => {
    expect(asciiLower('Example.COM')).toBe('example.com');
    // Non-ASCII letters are left alone: 'İ'.toLowerCase() is two code units long.
    expect(asciiLower('/CAFÉ/İ')).toBe('/cafÉ/İ');
    expect(asciiLower('/CAFÉ/İ')).toHaveLength('/CAFÉ/İ'.length);
  });

  it('returns the same string when nothing changes', () => {
    const s = '/already/lower-case';
    expect(asciiLower(s)).toBe(s);
    expect(asciiLower('')).toBe('');
  });
});
