/**
 * Headless Chromium loads a page and its subresources over HTTP/3 from serve() (issue #21).
 * QUIC is forced on for the test origin; the certificate is trusted by its SPKI hash, since
 * `--ignore-certificate-errors` does not apply to QUIC.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { html, text } from '@rws/core';
import {
  CHROMIUM_PATH,
  createTestCertificates,
  isChromiumAvailable,
  type TestCertificates,
} from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { start } from './helpers.js';

const hasChromium = isChromiumAvailable('@rws/server', 'the HTTP/3 browser test');
let certs: TestCertificates;

beforeAll(() => {
  certs = createTestCertificates({ prefix: 'rws-server-h3-chromium-' });
}, 60_000);
afterAll(() => certs?.cleanup());

const PAGE =
  '<!doctype html><html><head><link rel="stylesheet" href="/style.css"></head><body><h1 id="t">over h3</h1><script src="/app.js"></script></body></html>';

describe.skipIf(!hasChromium)('Chromium over h3', () => {
  it('loads a page, its CSS and JS over HTTP/3', async () => {
    const server = await start(
      (req) => {
        if (req.path === '/') return html(PAGE);
        if (req.path === '/style.css')
          return text('h1 { color: rgb(4, 5, 6); }', { headers: { 'content-type': 'text/css' } });
        if (req.path === '/app.js')
          return text('document.getElementById("t").dataset.ran = "yes";', {
            headers: { 'content-type': 'text/javascript' },
          });
        return text('not found', { status: 404 });
      },
      { tlsCertFile: certs.server.certFile, tlsKeyFile: certs.server.keyFile, http3: true },
    );
    const port = server.address.port;
    const spki = new X509Certificate(readFileSync(certs.server.certFile)).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    const spkiHash = createHash('sha256').update(spki).digest('base64');
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--enable-quic',
        `--origin-to-force-quic-on=localhost:${port}`,
        '--host-resolver-rules=MAP localhost 127.0.0.1',
        `--ignore-certificate-errors-spki-list=${spkiHash}`,
      ],
    });
    onTestFinished(() => browser.close());
    const page = await browser.newPage();
    const res = await page.goto(`https://localhost:${port}/`);
    expect(res?.status()).toBe(200);
    expect(await page.textContent('#t')).toBe('over h3');
    expect(await page.getAttribute('#t', 'data-ran')).toBe('yes');
    expect(await page.evaluate('getComputedStyle(document.getElementById("t")).color')).toBe(
      'rgb(4, 5, 6)',
    );
    const protocols = (await page.evaluate(
      '[...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].map((e) => [new URL(e.name).pathname, e.nextHopProtocol])',
    )) as [string, string][];
    expect(protocols).toEqual(
      expect.arrayContaining([
        ['/', 'h3'],
        ['/style.css', 'h3'],
        ['/app.js', 'h3'],
      ]),
    );
  }, 60_000);
});
