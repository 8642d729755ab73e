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
