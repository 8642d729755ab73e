import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { json } from '../src/index.js';

/** `json()` writes flat objects itself (a fast path, issue #11); the text must be the builtin's. */
// Property runs are slow on a loaded machine: each test gets 30 s.
describe('json() body matches JSON.stringify (issue #11)', { timeout: 30_000 }, () => {
  it('for flat objects of strings, numbers, booleans and null', () => {
    const scalar = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.double(),
      fc.integer(),
      fc.constantFrom(0, -0, Number.NaN, Infinity, -Infinity, 1e21, 5e-7, true, false, null),
      fc.constantFrom(undefined, () => 1, Symbol('s')),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom('__proto__', '1', '0', 'toJSON')),
          scalar,
        ),
        (value) => {
          expect(json(value).body).toBe(JSON.stringify(value));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('for nested values, arrays and objects with many keys', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.object(), (a, b) => {
        expect(json(a).body).toBe(JSON.stringify(a) ?? 'null');
        expect(json({ a, b }).body).toBe(JSON.stringify({ a, b }));
      }),
      { numRuns: 200 },
    );
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    expect(json(many).body).toBe(JSON.stringify(many));
    expect(json({ long: 'x'.repeat(500), q: 'a"b\\c\n' }).body).toBe(
      JSON.stringify({ long: 'x'.repeat(500), q: 'a"b\\c\n' }),
    );
  });

  it('calls toJSON with the property key, getters once, and leaves out what JSON leaves out', () => {
    const keys: string[] = [];
    const date = new Date(0);
    const value = {
      when: date,
      custom: {
        toJSON(key: string) {
          keys.push(key);
          return `at ${key}`;
        },
      },
      gone: { toJSON: () => undefined },
      big: { toJSON: () => ({ x: [1, 'y'] }) },
      boxed: Object(5) as unknown,
      kept: 1,
    };
    const expected = JSON.stringify(value);
    keys.length = 0;
    expect(json(value).body).toBe(expected);
    expect(keys).toEqual(['custom']);
    let reads = 0;
    const withGetter = {
      get g() {
        reads++;
        return { n: 1 };
      },
    };
    expect(json(withGetter).body).toBe('{"g":{"n":1}}');
    expect(reads).toBe(1);
    // An own or inherited toJSON on the body itself is the builtin's business.
    expect(json({ toJSON: () => 'self' }).body).toBe('"self"');
    class Point {
      readonly x: number;
      constructor(x: number) {
        this.x = x;
      }
    }
    expect(json(new Point(1)).body).toBe('{"x":1}');
    expect(json(Object.assign(Object.create(null), { a: 1 })).body).toBe('{"a":1}');
    expect(() => json({ n: 1n })).toThrow(TypeError);
  });
});
