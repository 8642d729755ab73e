import { compose, createRequest, isRwsError, text } from '@rws/core';
import { securityHeaders } from '@rws/middleware/security-headers';
import { describe, expect, it } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

async function headersOf(mw: ReturnType<typeof securityHeaders>, init?: Record<string, string>) {
  const handler = compose([mw], () => text('ok', { headers: init ?? {} }));
  return (await handler(createRequest({ method: 'GET', target: '/' }))).headers;
}

describe('securityHeaders', () => {
  it('sends helmet-like safe defaults over a real socket', async () => {
    const port = await serveHandler(compose([securityHeaders()], () => text('ok')));
    const { headers } = await httpCall(port, '/');
    expect(headers['content-security-policy']).toBe(
      "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; form-action 'self'; frame-ancestors 'self'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' https: 'unsafe-inline'; upgrade-insecure-requests",
    );
    expect(headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['permissions-policy']).toBe(
      'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    );
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(headers['cross-origin-embedder-policy']).toBeUndefined();
    expect(headers['origin-agent-cluster']).toBe('?1');
    expect(headers['x-dns-prefetch-control']).toBe('off');
    expect(headers['x-permitted-cross-domain-policies']).toBe('none');
    expect(headers['x-xss-protection']).toBe('0');
  });

  it('each header can be turned off or replaced', async () => {
    const h = await headersOf(
      securityHeaders({
        contentSecurityPolicy: false,
        strictTransportSecurity: { maxAgeSeconds: 63_072_000, preload: true },
        xContentTypeOptions: false,
        xFrameOptions: 'DENY',
        referrerPolicy: ['no-referrer', 'strict-origin-when-cross-origin'],
        permissionsPolicy: { camera: ['self', 'https://meet.example'], fullscreen: ['*'] },
        crossOriginEmbedderPolicy: 'require-corp',
        xXssProtection: false,
      }),
    );
    expect(h.get('content-security-policy')).toBeNull();
    expect(h.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains; preload');
    expect(h.get('x-content-type-options')).toBeNull();
    expect(h.get('x-frame-options')).toBe('DENY');
    expect(h.get('referrer-policy')).toBe('no-referrer, strict-origin-when-cross-origin');
    expect(h.get('permissions-policy')).toBe('camera=(self "https://meet.example"), fullscreen=*');
    expect(h.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(h.get('x-xss-protection')).toBeNull();
  });

  it('CSP directives merge over the defaults; null removes one; reportOnly switches the header', async () => {
    const h = await headersOf(
      securityHeaders({
        contentSecurityPolicy: {
          directives: {
            'img-src': ["'self'", 'https://cdn.example'],
            'upgrade-insecure-requests': null,
          },
          reportOnly: true,
        },
      }),
    );
    expect(h.get('content-security-policy')).toBeNull();
    const csp = h.get('content-security-policy-report-only')!;
    expect(csp).toContain("img-src 'self' https://cdn.example");
    expect(csp).not.toContain('upgrade-insecure-requests');
    const bare = await headersOf(
      securityHeaders({
        contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"] } },
      }),
    );
    expect(bare.get('content-security-policy')).toBe("default-src 'none'");
  });

  it('keeps a header the handler set itself', async () => {
    const h = await headersOf(securityHeaders(), { 'x-frame-options': 'DENY' });
    expect(h.get('x-frame-options')).toBe('DENY');
  });

  it.each([
    [{ contentSecurityPolicy: 'a\r\nb: c' }, /content-security-policy must be a non-empty string/],
    [{ contentSecurityPolicy: { directives: { 'script-src': ["'self'; evil"] } } }, /CSP source/],
    [{ contentSecurityPolicy: { directives: { 'Bad Name': ['x'] } } }, /CSP directive name/],
    [
      { strictTransportSecurity: { maxAgeSeconds: -5 } },
      /maxAgeSeconds must be a non-negative integer/,
    ],
    [{ strictTransportSecurity: { maxAgeSeconds: 60, preload: true } }, /preload needs/],
    [{ xFrameOptions: 'ALLOW-FROM x' }, /xFrameOptions must be/],
    [{ referrerPolicy: 'everywhere' }, /is not a referrer policy/],
    [{ permissionsPolicy: { camera: ['evil"'] } }, /must be self, \* or an http\(s\) origin/],
  ])('rejects %j at startup', (options, message) => {
    let caught: unknown;
    try {
      securityHeaders(options as never);
    } catch (err) {
      caught = err;
    }
    expect(isRwsError(caught, 'RWS_MIDDLEWARE_SECURITY_HEADERS_INVALID_OPTIONS')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});
