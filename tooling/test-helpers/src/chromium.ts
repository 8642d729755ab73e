import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

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
