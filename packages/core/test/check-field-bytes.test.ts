import { describe, expect, it } from 'vitest';
import { checkFieldBytes, isRwsError } from '../src/index.js';

describe('checkFieldBytes (field strings are byte strings)', () => {
  it('passes every char up to 0xFF, names included', () => {
    const everyOctet = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    expect(() => checkFieldBytes(':path', everyOctet)).not.toThrow();
    expect(() => checkFieldBytes('x-\u00e9', '')).not.toThrow();
  });

  it('refuses a char above 0xFF in a value or a name, naming the char and not the value', () => {
    const caught = (name: string, value: string): unknown => {
      try {
        checkFieldBytes(name, value);
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const value = caught(':authority', 'secret-\u010a.example');
    expect(isRwsError(value, 'RWS_CORE_INVALID_HEADER')).toBe(true);
    expect((value as Error).message).toMatch(/^header :authority value has the character U\+010A,/);
    expect((value as Error).message).not.toMatch(/secret/);
    // A surrogate pair is named by its code point.
    expect((caught('x-emoji', 'a\u{1f600}') as Error).message).toMatch(/U\+1F600/);
    expect((caught('x-\u0101', 'v') as Error).message).toMatch(
      /^header name has the character U\+0101/,
    );
  });
});
