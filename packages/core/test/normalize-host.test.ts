import { describe, expect, it } from 'vitest';
import { normalizeHost } from '../src/index.js';

describe('normalizeHost (issue #9: one rule for host routing and the redirect)', () => {
  it.each([
    ['example.com', 'example.com'],
    ['Example.COM:8080', 'example.com'],
    ['example.com.', 'example.com'],
    ['example.com.:443', 'example.com'],
    ['[::1]:8080', '[::1]'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['.', '.'],
    ['', ''],
    // Only ASCII letters are folded: a non-ASCII host is not silently made to match another.
    ['ÄRGER.de', 'Ärger.de'],
  ])('%j → %j', (host, expected) => {
    expect(normalizeHost(host)).toBe(expected);
  });
});
