/**
 * Headless Chromium (Debian package `chromium`) against `rws` started as a user would:
 * a page with a stylesheet and a script applies both, and a directory listing renders its
 * rows with file names as text. Skipped with a reason when /usr/bin/chromium is missing,
 * except in CI (CI=true), where that is a failure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isChromiumAvailable, launchChromium } from '@rws/test-helpers';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, tempDir } from './cli-process.js';

const hasChromium = isChromiumAvailable('@rws/cli', 'browser tests');

let browser: Browser | undefined;
beforeAll(async () => {
  if (!hasChromium) return;
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!hasChromium)('rws in Chromium', () => {
  it('an index.html applies its stylesheet and runs its script', async () => {
    const dir = tempDir('rws-browser-');
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><html><head><link rel="stylesheet" href="/css/site.css">' +
        '<script src="/js/app.js" defer></script></head>' +
        '<body><p id="box">styled</p><p id="out">not yet</p></body></html>',
    );
    mkdirSync(join(dir, 'css'));
    mkdirSync(join(dir, 'js'));
    writeFileSync(join(dir, 'css', 'site.css'), '#box { color: rgb(0, 128, 0); }\n');
    writeFileSync(
      join(dir, 'js', 'app.js'),
      "document.getElementById('out').textContent = 'script ran';\n",
    );
    const rws = await startCli(['--port', '0'], { cwd: dir });
    const page = await browser!.newPage();
    try {
      const res = await page.goto(`${rws.origin}/`);
      expect(res?.status()).toBe(200);
      // Page-side code as strings: the test's tsconfig has no DOM types.
      await page.waitForFunction("document.getElementById('out')?.textContent === 'script ran'");
      const applied = await page.evaluate(`({
        color: getComputedStyle(document.getElementById('box')).color,
        text: document.getElementById('out').textContent,
      })`);
      expect(applied).toEqual({ color: 'rgb(0, 128, 0)', text: 'script ran' });
    } finally {
      await page.close();
    }
    await rws.waitFor('stdout', '"path":"/js/app.js"');
    expect(await rws.stop()).toBe(0);
  }, 30_000);

  it('a directory listing renders one row per entry, names as text', async () => {
    const dir = tempDir('rws-browser-list-');
    mkdirSync(join(dir, 'files'));
    mkdirSync(join(dir, 'files', 'sub'));
    writeFileSync(join(dir, 'files', 'plain.txt'), 'plain');
    writeFileSync(join(dir, 'files', '<img src=x onerror=alert(1)>.txt'), 'sneaky');
    const rws = await startCli(['--port', '0'], { cwd: dir });
    const page = await browser!.newPage();
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    try {
      const res = await page.goto(`${rws.origin}/files/`);
      expect(res?.status()).toBe(200);
      expect(await page.title()).toBe('Index of /files/');
      const names = await page.$$eval('tbody tr td:first-child a', (links) =>
        links.map((a) => a.textContent),
      );
      expect(names).toEqual(expect.arrayContaining(['../', 'sub/', 'plain.txt']));
      expect(names).toContain('<img src=x onerror=alert(1)>.txt');
      expect(await page.$$eval('tbody img', (imgs) => imgs.length)).toBe(0);
      expect(dialogs).toBe(0);
      // The link of the odd name leads to that file.
      await page.click('text=<img src=x onerror=alert(1)>.txt');
      await page.waitForLoadState();
      expect(await page.textContent('body')).toBe('sneaky');
    } finally {
      await page.close();
    }
    expect(await rws.stop()).toBe(0);
  }, 30_000);
});
