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

  it('refuses a value with a code point above 0xFF: values are byte strings (WHATWG ByteString)', () => {
    for (const value of ['5 \u20ac', 'caf\u00e9 \u{1f600}', '\ud800', '\u0100']) {
      const build = [
        () => new Headers().set('X-Price', value),
        () => new Headers().append('X-Price', value),
        () => new Headers({ 'x-price': value }),
        () => new Headers([['x-price', value]]),
        () => new Headers({ 'x-price': ['ok', value] }),
      ];
      for (const fn of build) {
        let error: unknown;
        try {
          fn();
        } catch (err) {
          error = err;
        }
        expect(isRwsError(error, 'RWS_CORE_INVALID_HEADER'), JSON.stringify(value)).toBe(true);
        // The message names the header and the character, and says what to do instead.
        expect((error as Error).message).toMatch(/^header x-price value has the character U\+/);
        expect((error as Error).message).toContain('above 0xFF');
      }
    }
    expect(() => new Headers().set('x', '\u20ac')).toThrow(/U\+20AC/);
    // Every octet 0x80–0xFF (obs-text, RFC 9110 §5.5) is a char of its own and is kept.
    const obs = Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i)).join('');
    expect(new Headers({ 'x-obs': obs }).get('x-obs')).toBe(obs);
    expect(new Headers().set('x-e', 'caf\u00e9').get('x-e')).toBe('caf\u00e9');
  });

  it('checks names and values the same after many names were seen (the checked-name cache)', () => {
    // More distinct names than the cache keeps: every one still lower-cased and kept.
    const h = new Headers();
    for (let i = 0; i < 300; i++) h.set(`X-Name-${i}`, `v${i}`);
    expect(h.get('x-name-299')).toBe('v299');
    expect([...h.keys()].every((k) => k === k.toLowerCase())).toBe(true);
    // A name seen before with a good value is still checked for its value each time.
    h.set('X-Name-1', 'ok');
    expect(() => h.set('X-Name-1', 'a\rb')).toThrow(/control character 0x0d/);
    expect(() => h.set('X-Name-1', 'a\x7fb')).toThrow(/control character 0x7f/);
    expect(() => h.set('a b', 'v')).toThrow(/invalid header name/);
    expect(h.set('X-Tab', 'a\tb').get('x-tab')).toBe('a\tb');
  });
  it('checks every value not validated before (issue #10: the checked-value cache)', () => {
    const h = new Headers();
    const id = '0d7f2c1e-5b7a-4c7e-9a51-3f0e8d2b6c11';
    h.set('x-request-id', id);
    // The same value again (the response after the request) is accepted.
    expect(new Headers().set('x-request-id', id).get('x-request-id')).toBe(id);
    // Values of the same length as held ones, differing by a control character, still fail:
    // equal strings pass, nothing else does.
    const cr = `${id.slice(0, 10)}\r${id.slice(11)}`;
    const lf = `${id.slice(0, 35)}\n`;
    const nul = `\0${id.slice(1)}`;
    for (const bad of [cr, lf, nul]) {
      expect(bad.length).toBe(id.length);
      expect(() => h.set('x-request-id', bad)).toThrow(/control character/);
      expect(() => h.append('x-other', bad)).toThrow(/control character/);
    }
    // After more good values than are held, a bad one of any length is still refused.
    for (let i = 0; i < 10; i++) h.set(`x-v${i}`, `value-${i}`);
    expect(() => h.set('x-v1', 'value-1\r\nx-injected: 1')).toThrow(/control character 0x0d/);
    // A long value (not held) is checked again each time it is set.
    const long = 'a'.repeat(300);
    h.set('x-long', long);
    expect(() => h.set('x-long', `${long.slice(0, 299)}\n`)).toThrow(/control character 0x0a/);
    expect(h.get('x-long')).toBe(long);
  });
  it('fromTrustedList wraps the list without copying', () => {
    const list = ['host', 'a.test', 'accept', '*/*'];
    const h = Headers.fromTrustedList(list);
    expect(h.toList()).toBe(list);
    expect(h.get('host')).toBe('a.test');
    h.append('x', '1');
    expect(list).toHaveLength(6);
  });

  it('setTrusted replaces every value of a name as set() does, keeping the first position', () => {
    const h = Headers.fromTrustedList(['x-request-id', 'a', 'accept', '*/*', 'x-request-id', 'b']);
    h.setTrusted('x-request-id', 'id-1');
    expect(h.toList()).toEqual(['x-request-id', 'id-1', 'accept', '*/*']);
    h.setTrusted('x-trace', 't');
    expect(h.toList()).toEqual(['x-request-id', 'id-1', 'accept', '*/*', 'x-trace', 't']);
    // set() beside it still validates what code sets (Latin-1 rule, control characters).
    expect(() => h.set('x-request-id', 'caf\u0101')).toThrow(/above 0xFF/);
    expect(() => h.set('x-request-id', 'a\r\nb')).toThrow(/control character/);
    expect(h.get('x-request-id')).toBe('id-1');
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

describe('Headers semantics (issue #9)', () => {
  it('rejects exactly the control characters a transport rejects (node:http as the peer)', async () => {
    const { validateHeaderValue } = await import('node:http');
    for (let c = 0; c < 256; c++) {
      const value = `a${String.fromCharCode(c)}b`;
      let nodeAccepts = true;
      try {
        validateHeaderValue('x', value);
      } catch {
        nodeAccepts = false;
      }
      let coreAccepts = true;
      try {
        new Headers().append('x', value);
      } catch (err) {
        expect(isRwsError(err, 'RWS_CORE_INVALID_HEADER')).toBe(true);
        coreAccepts = false;
      }
      expect(coreAccepts, `0x${c.toString(16)}`).toBe(nodeAccepts);
    }
    // HTAB, SP and DEL spelled out.
    expect(new Headers({ x: 'a\tb c' }).get('x')).toBe('a\tb c');
    expect(() => new Headers({ x: 'a\x7fb' })).toThrow(/0x7f/);
    expect(() => new Headers({ x: 'a\x1bb' })).toThrow(/0x1b/);
  });

  it('joins cookie fields with "; " (RFC 9113 §8.2.3), other fields with ", "', () => {
    const h = Headers.fromTrustedList([
      'cookie',
      'a=1',
      'accept',
      'x',
      'cookie',
      'b=2',
      'accept',
      'y',
    ]);
    expect(h.get('cookie')).toBe('a=1; b=2');
    expect(h.get('Cookie')).toBe('a=1; b=2');
    expect(h.get('accept')).toBe('x, y');
    expect(h.getAll('cookie')).toEqual(['a=1', 'b=2']);
    expect(h.toJSON()).toEqual({ cookie: 'a=1; b=2', accept: 'x, y' });
  });

  it('a Headers from a second copy of core passes instanceof and is copied', async () => {
    // A second module instance, as when two versions of @rws/core are installed.
    const other = (await import(
      /* @vite-ignore */ `../src/headers.js?copy=${Date.now()}`
    )) as typeof import('../src/headers.js');
    expect(other.Headers).not.toBe(Headers);
    const foreign = new other.Headers({ 'x-a': '1' });
    expect(foreign instanceof Headers).toBe(true);
    expect(new Headers() instanceof other.Headers).toBe(true);
    expect(new Headers(foreign).get('x-a')).toBe('1');
    expect({} instanceof Headers).toBe(false);
    expect((null as unknown) instanceof Headers).toBe(false);
    expect(new globalThis.Headers() instanceof Headers).toBe(false);
  });
});
