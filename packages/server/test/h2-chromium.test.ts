/**
 * Headless Chromium loads the static server's pages over HTTP/2 on serve()'s TLS port
 * (issue #12): the page, its stylesheet and script, all negotiated as h2.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from '@rws/core';
import { serveStatic } from '@rws/middleware/static';
import { useChromiumOverTls, withHttpsPage } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from './helpers.js';

const chromium = useChromiumOverTls(
  '@rws/server',
  'the HTTP/2 browser test',
  'rws-server-h2-chromium-',
);
let root = '';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rws-h2-site-'));
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><html><head><link rel="stylesheet" href="/style.css"></head><body><h1 id="t">static over h2</h1><script src="/app.js"></script></body></html>',
  );
  writeFileSync(join(root, 'style.css'), 'h1 { color: rgb(1, 2, 3); }');
  writeFileSync(join(root, 'app.js'), 'document.getElementById("t").dataset.ran = "yes";');
});

afterAll(() => {
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!chromium.hasChromium)('Chromium over h2', () => {
  it('loads a static page, its CSS and JS over HTTP/2 from the TLS port', async () => {
    const files = serveStatic({ root });
    const server = await start(
      (req) => files.handle(req, () => text('not found', { status: 404 })),
      {
        tlsCertFile: chromium.certs.server.certFile,
        tlsKeyFile: chromium.certs.server.keyFile,
      },
    );
    await withHttpsPage(chromium.browser, server.address.port, async (page, res) => {
      expect(res?.status()).toBe(200);
      expect(await page.textContent('#t')).toBe('static over h2');
      expect(await page.getAttribute('#t', 'data-ran')).toBe('yes');
      // Evaluated in the page (strings: this package is typed without the DOM library).
      expect(await page.evaluate('getComputedStyle(document.getElementById("t")).color')).toBe(
        'rgb(1, 2, 3)',
      );
      const protocols = (await page.evaluate(
        '[...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].map((e) => [e.name, e.nextHopProtocol])',
      )) as [string, string][];
      const names = protocols.map(([name]) => new URL(name).pathname);
      expect(names).toEqual(expect.arrayContaining(['/', '/style.css', '/app.js']));
      expect(protocols.every(([, protocol]) => protocol === 'h2')).toBe(true);
    });
  });
});
