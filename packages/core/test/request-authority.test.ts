/** `requestAuthority()` and the authority/scheme/drain defaults of `createRequest` (issue #9). */
import { describe, expect, it } from 'vitest';
import {
  createRequest,
  fromWebRequest,
  IN_PROCESS_CONNECTION,
  requestAuthority,
  toWebRequest,
  validateInformational,
} from '../src/index.js';

describe('requestAuthority (RFC 9112 §3.2.2)', () => {
  it.each([
    ['/a?b', 'example.com', 'example.com'],
    ['/a', null, null],
    ['/a', '', null],
    ['*', 'example.com', 'example.com'],
    ['http://api.example.com/a', 'other.test', 'api.example.com'],
    ['http://api.example.com:8080?x', 'other.test', 'api.example.com:8080'],
    ['https://user:pw@api.example.com/p', 'other.test', 'api.example.com'],
    ['http://[::1]:81/p', 'other.test', '[::1]:81'],
    ['http:///p', 'fallback.test', 'fallback.test'],
    ['db.internal:5432', 'other.test', 'db.internal:5432'],
  ])('%s with Host %s → %s', (target, host, expected) => {
    expect(requestAuthority(target, host)).toBe(expected);
  });
});

describe('createRequest authority, scheme and drain', () => {
  it('derives them from the target, Host and the connection', () => {
    const plain = createRequest({
      method: 'GET',
      target: 'http://a.test/x',
      headers: { host: 'b.test' },
    });
    expect(plain.authority).toBe('a.test');
    expect(plain.scheme).toBe('http');
    expect(plain.drain.aborted).toBe(false);
    expect(plain.sendInformational).toBeUndefined();
    expect(plain.upgrade).toBeUndefined();
    expect(plain.halfClose).toBeUndefined();
    const tls = createRequest({
      method: 'GET',
      target: '/',
      headers: { host: 'b.test' },
      conn: {
        ...IN_PROCESS_CONNECTION,
        tls: { alpn: null, sni: null, version: null, authorized: false, peerCertificate: null },
      },
    });
    expect(tls.authority).toBe('b.test');
    expect(tls.scheme).toBe('https');
    expect(toWebRequest(tls).url).toBe('https://b.test/');
  });

  it("takes explicit values (a transport's :authority, its drain signal)", () => {
    const drain = new AbortController();
    const req = createRequest({
      method: 'GET',
      target: '/',
      authority: 'h2.test',
      scheme: 'https',
      drain: drain.signal,
    });
    expect([req.authority, req.scheme]).toEqual(['h2.test', 'https']);
    drain.abort();
    expect(req.drain.aborted).toBe(true);
    expect(toWebRequest(req).url).toBe('https://h2.test/');
  });

  it('fromWebRequest takes the scheme from the URL and the authority from host', () => {
    const req = fromWebRequest(
      new Request('https://example.com/p', { headers: { host: 'api.example.com' } }),
    );
    expect([req.authority, req.scheme]).toEqual(['api.example.com', 'https']);
    expect(fromWebRequest(new Request('http://example.com:8080/')).authority).toBe(
      'example.com:8080',
    );
  });
});

describe('validateInformational', () => {
  it('accepts 100-199 except 101 and returns Headers', () => {
    expect(validateInformational(103, { link: '</a>' }).get('link')).toBe('</a>');
    expect(validateInformational(100).size).toBe(0);
  });

  it.each([101, 200, 99, 1.5, Number.NaN])('rejects %s', (status) => {
    expect(() => validateInformational(status)).toThrow(
      expect.objectContaining({ code: 'RWS_CORE_INVALID_STATUS' }),
    );
  });
});
