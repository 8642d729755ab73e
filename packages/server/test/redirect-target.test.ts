/**
 * Issue #9, one request-target splitter: the HTTP→HTTPS redirect keeps the path and query of
 * every target form exactly as core's `splitTarget` reads them; targets without a path go to `/`.
 */
import { createRequest } from '@rws/core';
import { REQUEST_TARGET_CASES } from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import { redirectHandler } from '../src/internal/redirect.js';

describe('redirect listener targets (issue #9)', () => {
  const handler = redirectHandler(() => 8443, 'fallback.test');
  it.each(REQUEST_TARGET_CASES.map((c) => [...c]))('%s', async (target, path, search) => {
    const res = await handler(
      createRequest({ method: 'GET', target, headers: { host: 'a.test:8080' } }),
    );
    const base = path.startsWith('/') ? path : '/';
    expect(res.headers.get('location')).toBe(
      `https://a.test:8443${base}${search === '' ? '' : `?${search}`}`,
    );
  });

  it('redirects to the normalised host (core normalizeHost)', async () => {
    for (const [host, name] of [
      ['A.Test.:8080', 'a.test'],
      ['[::1]:8080', '[::1]'],
    ]) {
      const res = await handler(createRequest({ method: 'GET', target: '/x', headers: { host } }));
      expect(res.headers.get('location')).toBe(`https://${name}:8443/x`);
    }
  });
});
