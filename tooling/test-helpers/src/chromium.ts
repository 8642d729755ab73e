import { existsSync } from 'node:fs';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { createTestCertificates, type TestCertificates } from './certificates.js';

/** Where the Debian package `chromium` installs the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * True when Chromium is installed. When it is missing, throws in CI (`CI=true`: a missing
 * browser is a failure) and otherwise warns `[<label>] skipping <what>: <reason>`.
 */
export function isChromiumAvailable(label: string, what: string): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const reason = `${CHROMIUM_PATH} not found (apt-get install chromium)`;
  if (process.env['CI'] === 'true') throw new Error(`CI needs Chromium for ${what}: ${reason}`);
  console.warn(`[${label}] skipping ${what}: ${reason}`);
  return false;
}

/**
 * Launches the system Chromium headless with playwright-core (no sandbox, no QUIC, no sync).
 * playwright-core is loaded on first use, so test files that never launch a browser skip it.
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What `useChromiumOverTls` gives a test file: test certificates, and Chromium when installed. */
export interface ChromiumOverTls {
  /** False when Chromium is missing (outside CI): the browser tests are skipped. */
  readonly hasChromium: boolean;
  /** The server certificates (made in `beforeAll`, with or without Chromium). */
  readonly certs: TestCertificates;
  /** The file's one browser (launched in `beforeAll`); throws when Chromium is missing. */
  readonly browser: Browser;
}

/**
 * The set-up of a test file that drives Chromium against a TLS server: `beforeAll` makes test
 * certificates (prefix `certPrefix`) and launches Chromium when installed, `afterAll` closes
 * both. `label` and `what` name the skip (see `isChromiumAvailable`). Call it at the top level.
 */
export function useChromiumOverTls(
  label: string,
  what: string,
  certPrefix: string,
): ChromiumOverTls {
  const hasChromium = isChromiumAvailable(label, what);
  let certs: TestCertificates | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    certs = createTestCertificates({ prefix: certPrefix });
    if (hasChromium) browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    certs?.cleanup();
  });
  return {
    hasChromium,
    get certs() {
      if (certs === undefined) throw new Error('the test certificates are made in beforeAll');
      return certs;
    },
    get browser() {
      if (browser === undefined) throw new Error(`no Chromium for ${what} (see hasChromium)`);
      return browser;
    },
  };
}

/**
 * Loads `https://localhost:<port>/` (test certificates accepted) in a fresh browser context,
 * runs `use` on the page, and closes the context. Fresh, so no HTTP/2 session to the origin
 * survives from another test; the page load comes first because Chromium sends an extended
 * CONNECT (a WebSocket over HTTP/2) only on a session it already has.
 */
export async function withHttpsPage<T>(
  browser: Browser,
  port: number,
  use: (page: Page, response: Response | null) => Promise<T>,
): Promise<T> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    const response = await page.goto(`https://localhost:${port}/`);
    return await use(page, response);
  } finally {
    await context.close();
  }
}

/**
 * Page-side code (a string: the packages are typed without the DOM library) for
 * `page.evaluate`: opens a WebSocket to `path` on the page's host (`wss:` on an https page),
 * offering `protocols`, sends 'hello', `longLength` times 'x' and the bytes 1,2,3, closes with
 * 4000 'page done' after three messages came back, and resolves
 * `{ got, code, protocol, extensions }` (long texts as `long:<length>`, bytes joined by commas).
 */
export function webSocketEchoPageScript(
  path: string,
  protocols: readonly string[],
  longLength: number,
): string {
  return `new Promise((resolve, reject) => {
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const ws = new WebSocket(scheme + location.host + ${JSON.stringify(path)}, ${JSON.stringify(protocols)});
  ws.binaryType = 'arraybuffer';
  const got = [];
  ws.onerror = () => reject(new Error('websocket error'));
  ws.onopen = () => {
    ws.send('hello');
    ws.send('x'.repeat(${longLength}));
    ws.send(new Uint8Array([1, 2, 3]));
  };
  ws.onmessage = (e) => {
    got.push(typeof e.data === 'string'
      ? (e.data.length > 100 ? 'long:' + e.data.length : e.data)
      : Array.from(new Uint8Array(e.data)).join(','));
    if (got.length === 3) ws.close(4000, 'page done');
  };
  ws.onclose = (e) => resolve({ got, code: e.code, protocol: ws.protocol, extensions: ws.extensions });
})`;
}
