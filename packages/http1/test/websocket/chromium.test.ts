/**
 * Headless Chromium (Debian `chromium`, driven by playwright-core) opening a WebSocket and an
 * EventSource to our HTTP/1.1 server (issue #14). Skipped with a reason when
 * /usr/bin/chromium is missing, except in CI (CI=true), where that is a failure.
 */
import { Headers, sse } from '@rws/core';
import { isChromiumAvailable, launchChromium, webSocketEchoPageScript } from '@rws/test-helpers';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upgradeWebSocket } from '../../src/websocket/index.js';
import { startHandler } from './ws-helpers.js';

const hasChromium = isChromiumAvailable('@rws/http1', 'WebSocket browser tests');

let browser: Browser | undefined;
beforeAll(async () => {
  if (!hasChromium) return;
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!hasChromium)('Chromium against upgradeWebSocket and sse()', () => {
  it('a page opens a WebSocket (with permessage-deflate) and an EventSource; both stream', async () => {
    const serverSaw: string[] = [];
    const { port } = await startHandler((req) => {
      if (req.path === '/ws') {
        return upgradeWebSocket(req, {
          deflate: true,
          origin: true,
          protocols: ['echo.v1'],
          onOpen: (ws) => serverSaw.push(`open ${ws.protocol} ${ws.extensions.split(';')[0]}`),
          onMessage: (m, ws) =>
            ws.send(typeof m === 'string' ? `echo:${m}` : new Uint8Array([...m].reverse())),
          onClose: (info) => serverSaw.push(`close ${info.code}`),
        });
      }
      if (req.path === '/events') {
        return sse(
          (async function* () {
            for (let i = 1; i <= 3; i++) yield { id: String(i), data: `tick ${i}` };
          })(),
          { keepAliveMs: 0 },
        );
      }
      return {
        status: 200,
        headers: new Headers({ 'content-type': 'text/html' }),
        body: '<!doctype html><title>ws</title>',
      };
    });
    const page = await browser!.newPage();
    try {
      await page.goto(`http://127.0.0.1:${port}/`);
      const result = await page.evaluate(webSocketEchoPageScript('/ws', ['echo.v1'], 100_000));
      expect(result).toEqual({
        got: ['echo:hello', 'long:100005', '3,2,1'],
        code: 4000,
        protocol: 'echo.v1',
        extensions: 'permessage-deflate',
      });
      await expect.poll(() => serverSaw).toEqual(['open echo.v1 permessage-deflate', 'close 4000']);
      const events = await page.evaluate(`new Promise((resolve, reject) => {
        const es = new EventSource('/events');
        const got = [];
        es.onmessage = (e) => {
          got.push(e.lastEventId + '=' + e.data);
          if (got.length === 3) { es.close(); resolve(got); }
        };
        es.onerror = () => { if (got.length < 3) { /* reconnects are fine */ } };
        setTimeout(() => reject(new Error('no events: ' + got.join('|'))), 5000);
      })`);
      expect(events).toEqual(['1=tick 1', '2=tick 2', '3=tick 3']);
    } finally {
      await page.close();
    }
  }, 30_000);
});
