import { describe, expect, it } from 'vitest';
import { Headers, isRwsError } from '../src/index.js';

describe('Headers', () => {
  it('is case-insensitive and keeps names lower-case', () => {
    const h = new Headers({ 'Content-Type': 'text/plain' });
    expect(h.get('content-type')).toBe('text/plain');
    expect(h.get('CONTENT-TYPE')).toBe('text/plain');
    expect(h.has('Content-type')).toBe(true);
    expect([...h.keys()]).toEqual(['content-type']);
    expect(h.get('missing')).toBeNull();
  });

  it('keeps multiple values in order and joins them for get()', () => {
    const h = new Headers();
    h.append('Accept', 'a').append('x', '1').append('accept', 'b');
    expect(h.get('accept')).toBe('a, b');
    expect(h.getAll('ACCEPT')).toEqual(['a', 'b']);
    expect(h.size).toBe(3);
    expect([...h]).toEqual([
      ['accept', 'a'],
      ['x', '1'],
      ['accept', 'b'],
    ]);
    h.set('accept', 'c');
    expect(h.getAll('accept')).toEqual(['c']);
    expect(h.toList()).toEqual(['accept', 'c', 'x', '1']);
    h.delete('Accept');
    expect(h.has('accept')).toBe(false);
    expect(h.size).toBe(1);
  });

  it('never joins set-cookie', () => {
    const h = new Headers([
      ['set-cookie', 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT'],
      ['Set-Cookie', 'b=2'],
    ]);
    expect(h.getSetCookie()).toEqual(['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2']);
    expect(h.toJSON()).toEqual({
      'set-cookie': ['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2'],
    });
  });

  it('builds from records with arrays, numbers and undefined', () => {
    const h = new Headers({ a: ['1', '2'], 'content-length': 5, skip: undefined });
    expect(h.toList()).toEqual(['a', '1', 'a', '2', 'content-length', '5']);
    expect(h.toJSON()).toEqual({ a: '1, 2', 'content-length': '5' });
  });

  it('copies another Headers', () => {
    const a = new Headers({ x: '1' });
    const b = new Headers(a);
    b.set('x', '2');
    expect(a.get('x')).toBe('1');
  });

  it('rejects invalid names and values (RFC 9110 §5.1, §5.5)', () => {
    const bad: [string, string][] = [
      ['', 'v'],
      ['a b', 'v'],
      ['a:b', 'v'],
      ['ä', 'v'],
      ['a\r\n', 'v'],
      ['x', 'a\r\nb'],
      ['x', 'a\nb'],
      ['x', 'a\0b'],
    ];
    for (const [name, value] of bad) {
      let error: unknown;
      try {
        new Headers().append(name, value);
      } catch (err) {
        error = err;
      }
      expect(isRwsError(error, 'RWS_CORE_INVALID_HEADER'), JSON.stringify([name, value])).toBe(
        true,
      );
      expect(() => new Headers().set(name, value)).toThrow();
    }
    expect(() => new Headers().append('x', 1 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'RWS_CORE_INVALID_HEADER' }),
    );
  });

  it('fromTrustedList wraps the list without copying', () => {
    const list = ['host', 'a.test', 'accept', '*/*'];
    const h = Headers.fromTrustedList(list);
    expect(h.toList()).toBe(list);
    expect(h.get('host')).toBe('a.test');
    h.append('x', '1');
    expect(list).toHaveLength(6);
  });

  it('forEach visits every field', () => {
    const seen: string[] = [];
    new Headers([
      ['a', '1'],
      ['b', '2'],
    ]).forEach((v, k) => {
      seen.push(`${k}=${v}`);
    });
    expect(seen).toEqual(['a=1', 'b=2']);
    expect([...new Headers({ a: '1' }).values()]).toEqual(['1']);
  });
});
