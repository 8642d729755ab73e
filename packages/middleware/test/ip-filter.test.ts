import { compose, createRequest, text } from '@rws/core';
import { ipFilter } from '@rws/middleware/ip-filter';
import { describe, expect, it } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

function from(
  mw: ReturnType<typeof ipFilter>,
  remoteAddress: string,
  headers: Record<string, string> = {},
) {
  const req = createRequest({
    method: 'GET',
    target: '/',
    headers,
    conn: {
      id: 1,
      remoteAddress,
      remotePort: 1,
      localAddress: '127.0.0.1',
      localPort: 2,
      tls: null,
    },
  });
  return Promise.resolve(compose([mw], () => text('ok'))(req)).then((r) => r.status);
}

describe('ipFilter', () => {
  it('allow and deny over a real socket (127.0.0.1)', async () => {
    const allowed = await serveHandler(
      compose([ipFilter({ allow: ['127.0.0.0/8'] })], () => text('ok')),
    );
    expect((await httpCall(allowed, '/')).status).toBe(200);
    const denied = await serveHandler(
      compose([ipFilter({ deny: ['127.0.0.1'] })], () => text('ok')),
    );
    const res = await httpCall(denied, '/');
    expect(res.status).toBe(403);
    expect(res.body).toBe('Forbidden\n');
    const notListed = await serveHandler(
      compose([ipFilter({ allow: ['10.0.0.0/8'] })], () => text('ok')),
    );
    expect((await httpCall(notListed, '/')).status).toBe(403);
  });

  it('IPv4 and IPv6 CIDRs; IPv4-mapped IPv6 peers match IPv4 rules; deny wins over allow', async () => {
    const mw = ipFilter({
      allow: ['10.0.0.0/8', '2001:db8::/32'],
      deny: ['10.0.0.13', '2001:db8:dead::/48'],
    });
    expect(await from(mw, '10.1.2.3')).toBe(200);
    expect(await from(mw, '::ffff:10.1.2.3')).toBe(200);
    expect(await from(mw, '10.0.0.13')).toBe(403);
    expect(await from(mw, '11.0.0.1')).toBe(403);
    expect(await from(mw, '2001:db8:1::5')).toBe(200);
    expect(await from(mw, '2001:db8:dead::5')).toBe(403);
    expect(await from(mw, '2001:db9::1')).toBe(403);
    expect(await from(mw, '::1')).toBe(403);
  });

  it('believes X-Forwarded-For / Forwarded only from trusted proxies, walking from the right', async () => {
    const mw = ipFilter({ deny: ['203.0.113.7'], trustedProxies: ['10.0.0.0/8'] });
    // Untrusted peer: its header is ignored.
    expect(await from(mw, '198.51.100.1', { 'x-forwarded-for': '203.0.113.7' })).toBe(200);
    // Trusted peer: the first untrusted hop from the right is the client.
    expect(await from(mw, '10.0.0.1', { 'x-forwarded-for': '203.0.113.7' })).toBe(403);
    expect(await from(mw, '10.0.0.1', { 'x-forwarded-for': '203.0.113.7, 10.0.0.2' })).toBe(403);
    // A client cannot hide behind a spoofed left-most entry.
    expect(await from(mw, '10.0.0.1', { 'x-forwarded-for': '1.1.1.1, 203.0.113.7' })).toBe(403);
    expect(await from(mw, '10.0.0.1', { 'x-forwarded-for': '203.0.113.7, 1.1.1.1' })).toBe(200);
    expect(await from(mw, '10.0.0.1', { forwarded: 'for="203.0.113.7:4711";proto=https' })).toBe(
      403,
    );
    expect(await from(mw, '10.0.0.1', { forwarded: 'for="[2001:db8::1]:80"' })).toBe(200);
  });

  it.each([
    ['allow', ['10.0.0.0/40']],
    ['deny', ['not-an-ip']],
    ['trustedProxies', ['::1/129']],
    ['allow', 'x'],
  ])('rejects bad %s entries at creation', (key, value) => {
    expect(() => ipFilter({ [key]: value })).toThrow(/ipFilter/);
  });
});
