import { isRwsError } from '@rws/core';
import { serveStatic } from '@rws/middleware/static';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createFixture, type Fixture, NEXT_STATUS, readBody } from './helpers.js';

let fx: Fixture;
beforeAll(() => {
  fx = createFixture();
});
afterAll(() => fx.cleanup());

/** Asserts the response neither is nor contains a file from outside the root. */
async function expectNoLeak(target: string, status: number): Promise<void> {
  const mw = serveStatic({ root: fx.root, fallthrough: false });
  const { res, isNextCalled } = await call(mw, 'GET', target);
  expect(isNextCalled).toBe(false);
  expect(res.status).toBe(status);
  const body = (await readBody(res)).toString();
  expect(body).not.toContain('SECRET');
}

describe('serveStatic: nothing outside the root', () => {
  it('raw .. segments → 403', async () => {
    await expectNoLeak('/../outside/secret.txt', 403);
    await expectNoLeak('/files/../../outside/secret.txt', 403);
  });

  it('percent-encoded .. (%2e%2e, mixed case) → 403', async () => {
    await expectNoLeak('/%2e%2e/outside/secret.txt', 403);
    await expectNoLeak('/files/%2E%2e/%2e./outside/secret.txt', 403);
  });

  it('encoded slash %2f → 403', async () => {
    await expectNoLeak('/..%2foutside%2fsecret.txt', 403);
    await expectNoLeak('/%2fetc%2fpasswd', 403);
    await expectNoLeak('/files%2F..%2F..%2Foutside%2Fsecret.txt', 403);
  });

  it('encoded backslash %5c → 403', async () => {
    await expectNoLeak('/..%5c..%5coutside%5csecret.txt', 403);
  });

  it('raw backslash → 403', async () => {
    await expectNoLeak('/files\\..\\..\\outside\\secret.txt', 403);
  });

  it('NUL byte, raw or %00 → 400', async () => {
    await expectNoLeak('/index.html\u0000.png', 400);
    await expectNoLeak('/index.html%00.png', 400);
    await expectNoLeak('/..%00/outside/secret.txt', 400);
  });

  it('overlong UTF-8 (%c0%ae = ".") → 400', async () => {
    await expectNoLeak('/%c0%ae%c0%ae/outside/secret.txt', 400);
    await expectNoLeak('/%e0%80%ae%e0%80%ae/outside/secret.txt', 400);
    await expectNoLeak('/%c0%af', 400);
  });

  it('invalid percent-encoding → 400', async () => {
    await expectNoLeak('/%zz', 400);
    await expectNoLeak('/index.html%', 400);
    await expectNoLeak('/index.html%4', 400);
    await expectNoLeak('/%ff', 400);
  });

  it('absolute paths stay under the root', async () => {
    // `//etc/passwd` merges to root/etc/passwd, which does not exist.
    await expectNoLeak('//etc/passwd', 404);
    await expectNoLeak(`/${fx.base}/outside/secret.txt`, 404);
    // A target that is not origin-form at all.
    await expectNoLeak('*', 400);
  });

  it('a symlink to a file outside the root → 404', async () => {
    await expectNoLeak('/link-out.txt', 404);
  });

  it('a symlink to a directory outside the root → 404', async () => {
    await expectNoLeak('/dir-out/secret.txt', 404);
    await expectNoLeak('/dir-out/', 404);
  });

  it('prefix check includes the separator (root vs rootx)', async () => {
    await expectNoLeak('/prefix-link.txt', 404);
  });

  it('a symlink inside the root is served', async () => {
    const mw = serveStatic({ root: fx.root });
    const { res } = await call(mw, 'GET', '/link-in.html');
    expect(res.status).toBe(200);
    expect((await readBody(res)).toString()).toBe('<h1>home</h1>');
  });

  it('listings omit symlinks that leave the root', async () => {
    const mw = serveStatic({ root: fx.root });
    const { res } = await call(mw, 'GET', '/files/');
    const html = (await readBody(res)).toString();
    expect(html).not.toContain('out-link.txt');
    expect(html).toContain('a.txt');
  });

  it('security rejections answer even with fallthrough on', async () => {
    const mw = serveStatic({ root: fx.root });
    const r1 = await call(mw, 'GET', '/%2e%2e/outside/secret.txt');
    expect(r1.res.status).toBe(403);
    const r2 = await call(mw, 'GET', '/link-out.txt');
    // Not a servable file: handed on, never read.
    expect(r2.res.status).toBe(NEXT_STATUS);
  });

  it('a directory redirect never becomes protocol-relative (open redirect)', async () => {
    const mw = serveStatic({ root: fx.root });
    const { res } = await call(mw, 'GET', '//evil.example');
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/evil.example/');
  });

  it('spaFallback and notFoundPage must be inside the root', () => {
    expect(() => serveStatic({ root: fx.root, spaFallback: '../outside/secret.txt' })).toThrow(
      /inside root/,
    );
    try {
      serveStatic({ root: fx.root, notFoundPage: '/etc/passwd' });
      expect.unreachable();
    } catch (err) {
      expect(isRwsError(err, 'RWS_MIDDLEWARE_STATIC_INVALID_OPTIONS')).toBe(true);
    }
  });
});
