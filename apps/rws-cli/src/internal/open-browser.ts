import { spawn } from 'node:child_process';
import type { ServerUrl } from '@rws/server';

/** The command that opens `url`: `opener` when given, else the platform's own. */
export function openerCommand(
  url: string,
  opener: string | undefined,
  platform: NodeJS.Platform = process.platform,
): { file: string; args: string[] } {
  if (opener !== undefined && opener !== '') return { file: opener, args: [url] };
  if (platform === 'darwin') return { file: 'open', args: [url] };
  // `start` is a cmd.exe built-in; its first quoted argument is the window title.
  if (platform === 'win32') return { file: 'cmd', args: ['/c', 'start', '""', url] };
  return { file: 'xdg-open', args: [url] };
}

/**
 * The URL `--open` shows: the first one serving the site (not the redirect listener), with a
 * wildcard address (`0.0.0.0`, `::`) replaced by loopback, which a browser can always reach.
 */
export function urlToOpen(urls: readonly ServerUrl[]): string | null {
  const main = urls.find(
    (u) => !u.isRedirect && u.transport === 'tcp' && (u as { isAdmin?: boolean }).isAdmin !== true,
  );
  if (main === undefined) return null;
  const u = new URL(main.url);
  if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1';
  else if (u.hostname === '[::]') u.hostname = '[::1]';
  return u.href;
}

/**
 * Starts the opener for `url`, detached: rws never waits for the browser. A command that
 * cannot run is reported through `warn`, never fatal.
 */
export function openBrowser(
  url: string,
  opener: string | undefined,
  warn: (message: string) => void,
): void {
  const { file, args } = openerCommand(url, opener);
  try {
    const child = spawn(file, args, { detached: true, stdio: 'ignore' });
    child.once('error', (err) => warn(`--open: cannot run ${file} (${err.message}); open ${url}`));
    child.unref();
  } catch (err) {
    warn(
      `--open: cannot run ${file} (${err instanceof Error ? err.message : String(err)}); open ${url}`,
    );
  }
}
