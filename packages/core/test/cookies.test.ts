import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CookieOptions,
  isRwsError,
  parseCookies,
  parseSetCookie,
  serializeCookie,
} from '../src/index.js';

describe('parseCookies', () => {
  it('parses pairs, trims whitespace and strips quotes', () => {
    expect(parseCookies('a=1; b=2;c=3 ;  d = 4 ')).toEqual({ a: '1', b: '2', c: '3', d: '4' });
    expect(parseCookies('q="quoted value"; e=""')).toEqual({ q: 'quoted value', e: '' });
    expect(parseCookies('x="unbalanced')).toEqual({ x: '"unbalanced' });
  });

  it('lets the first of repeated names win (RFC 6265 §5.4)', () => {
    expect(parseCookies('sid=new; sid=old')).toEqual({ sid: 'new' });
  });

  it('decodes percent-encoding and keeps malformed encodings as sent', () => {
    expect(parseCookies('n=hello%20world; m=%E2%9C%93; bad=%E0%A4%A; raw=100%')).toEqual({
      n: 'hello world',
      m: '✓',
      bad: '%E0%A4%A',
      raw: '100%',
    });
  });

  it('skips pairs without = or with an empty name, and keeps = inside values', () => {
    expect(parseCookies('flag; =v; k=a=b=c;;')).toEqual({ k: 'a=b=c' });
  });

  it('handles empty and missing headers', () => {
    expect(parseCookies('')).toEqual({});
    expect(parseCookies(null)).toEqual({});
    expect(parseCookies(undefined)).toEqual({});
  });

  it('treats __proto__ and constructor as plain names', () => {
    const out = parseCookies('__proto__=x; constructor=y; toString=z');
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe('x');
    expect(out['constructor']).toBe('y');
    expect(Object.getPrototypeOf(out)).toBeNull();
    expect(Object.keys(out)).toEqual(['__proto__', 'constructor', 'toString']);
  });
});

describe('serializeCookie', () => {
  it('writes name=value and every attribute', () => {
    const expires = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));
    expect(
      serializeCookie('sid', 'abc', {
        domain: 'example.com',
        path: '/app',
        expires,
        maxAge: 3600,
        secure: true,
        httpOnly: true,
        sameSite: 'strict',
        partitioned: true,
        priority: 'high',
      }),
    ).toBe(
      'sid=abc; Domain=example.com; Path=/app; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Max-Age=3600; Secure; HttpOnly; SameSite=Strict; Partitioned; Priority=High',
    );
    expect(serializeCookie('a', '')).toBe('a=');
    expect(serializeCookie('a', '"quoted"')).toBe('a="quoted"');
    expect(serializeCookie('a', 'b', { maxAge: 0 })).toBe('a=b; Max-Age=0');
    expect(serializeCookie('a', 'b', { maxAge: 1.9 })).toBe('a=b; Max-Age=1');
    expect(serializeCookie('a', 'b', { domain: '.example.com', sameSite: 'Lax' })).toBe(
      'a=b; Domain=.example.com; SameSite=Lax',
    );
  });

  it('encodes values on request', () => {
    expect(serializeCookie('a', 'hello world;', { encode: true })).toBe('a=hello%20world%3B');
    expect(serializeCookie('a', 'x', { encode: (v) => v.toUpperCase() })).toBe('a=X');
    expect(parseCookies(serializeCookie('a', 'ü; ,"\\', { encode: true }))).toEqual({
      a: 'ü; ,"\\',
    });
  });

  const reject = (name: string, value: string, options: CookieOptions, attribute: string) => {
    let error: unknown;
    try {
      serializeCookie(name, value, options);
    } catch (err) {
      error = err;
    }
    expect(isRwsError(error, 'RWS_CORE_COOKIE_INVALID'), `${name}=${value}`).toBe(true);
    expect((error as Error).message).toContain(attribute);
  };

  it('rejects invalid names and values', () => {
    for (const name of ['', 'a b', 'a;b', 'a=b', 'ü', 'a\tb', '(x)']) reject(name, 'v', {}, 'name');
    for (const value of ['a b', 'a;b', 'a,b', 'a"b', 'a\\b', 'ü', '\u007f', '"a']) {
      reject('n', value, {}, 'value');
    }
  });

  it('rejects invalid Domain, Path, Expires, Max-Age, SameSite and Priority', () => {
    for (const domain of [
      '',
      '.',
      'a..b',
      'exa mple.com',
      'a.com;x=1',
      'a_b.com',
      '-'.repeat(64),
      'a.',
    ]) {
      reject('n', 'v', { domain }, 'Domain');
    }
    for (const path of ['', '/a;b', '/a\nb', '/\u0000', '/é', '/'.repeat(1025)])
      reject('n', 'v', { path }, 'Path');
    reject('n', 'v', { expires: new Date(Number.NaN) }, 'Expires');
    reject('n', 'v', { maxAge: Number.POSITIVE_INFINITY }, 'Max-Age');
    reject('n', 'v', { maxAge: Number.NaN }, 'Max-Age');
    reject('n', 'v', { sameSite: 'Sometimes' as 'Lax' }, 'SameSite');
    reject('n', 'v', { priority: 'Urgent' as 'High' }, 'Priority');
  });

  it('requires Secure for SameSite=None and Partitioned', () => {
    reject('n', 'v', { sameSite: 'None' }, 'SameSite');
    reject('n', 'v', { partitioned: true }, 'Partitioned');
    expect(serializeCookie('n', 'v', { sameSite: 'None', secure: true })).toBe(
      'n=v; Secure; SameSite=None',
    );
  });

  it('enforces the __Secure- and __Host- prefix rules', () => {
    reject('__Secure-id', 'v', {}, 'Secure');
    expect(serializeCookie('__Secure-id', 'v', { secure: true })).toBe('__Secure-id=v; Secure');
    reject('__Host-id', 'v', { secure: true }, '__Host-');
    reject('__Host-id', 'v', { secure: true, path: '/', domain: 'a.com' }, '__Host-');
    expect(serializeCookie('__Host-id', 'v', { secure: true, path: '/' })).toBe(
      '__Host-id=v; Path=/; Secure',
    );
  });
});

describe('parseCookies performance', () => {
  it('stays linear on a header of many pairs without =', () => {
    const header = 'x;'.repeat(50_000) + 'a=1';
    const started = performance.now();
    expect(parseCookies(header)).toEqual({ a: '1' });
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('parseSetCookie', () => {
  it('reads the pair and every attribute case-insensitively', () => {
    expect(
      parseSetCookie(
        'sid=abc; domain=.Example.COM; path=/app; expires=Wed, 02 Jan 2030 03:04:05 GMT; max-age=60; secure; HTTPONLY; samesite=lax; Partitioned; priority=HIGH; x-unknown=1',
      ),
    ).toEqual({
      name: 'sid',
      value: 'abc',
      domain: 'example.com',
      path: '/app',
      expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
      maxAge: 60,
      secure: true,
      httpOnly: true,
      sameSite: 'Lax',
      partitioned: true,
      priority: 'High',
    });
  });

  it('ignores unusable attribute values (RFC 6265 §5.2)', () => {
    expect(
      parseSetCookie('a=b; Max-Age=1x; Expires=never; Path=rel; Domain=; SameSite=odd'),
    ).toEqual({
      name: 'a',
      value: 'b',
    });
    expect(parseSetCookie('a=b; Max-Age=-5')?.maxAge).toBe(-5);
  });

  it('returns null without a name', () => {
    expect(parseSetCookie('novalue')).toBeNull();
    expect(parseSetCookie('=v')).toBeNull();
    expect(parseSetCookie('a; b=c')).toBeNull();
  });
});

describe('cookie properties', () => {
  it('serialize → parse round-trips any value with encode', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.constantFrom('a', 'sid', '__x', 'A-B.c'),
        (value, name) => {
          const header = serializeCookie(name, value, { encode: true });
          expect(parseCookies(`other=1; ${header}`)[name]).toBe(value);
          expect(parseSetCookie(header)).toEqual({ name, value: encodeURIComponent(value) });
        },
      ),
    );
  });

  it('serialize → parseSetCookie keeps the attributes', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            maxAge: fc.integer({ min: -10, max: 1e9 }),
            httpOnly: fc.constant(true),
            secure: fc.constant(true),
            sameSite: fc.constantFrom('Strict' as const, 'Lax' as const, 'None' as const),
            priority: fc.constantFrom('Low' as const, 'Medium' as const, 'High' as const),
            path: fc.constantFrom('/', '/a/b', '/x-y_z'),
            domain: fc.constantFrom('example.com', 'a.b.c.test'),
          },
          { requiredKeys: ['secure'] },
        ),
        (options) => {
          const parsed = parseSetCookie(serializeCookie('n', 'v', options));
          expect(parsed).toEqual({ name: 'n', value: 'v', ...options });
        },
      ),
    );
  });

  it('parseCookies never throws and only returns string values', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        for (const value of Object.values(parseCookies(header)))
          expect(typeof value).toBe('string');
      }),
    );
  });
});
