/**
 * The default connection cap: a share of the process's file-descriptor limit, so idle
 * connections cannot exhaust it (accept() then fails with EMFILE and the server stops
 * answering everyone, established clients' new files included).
 */
import { readFileSync } from 'node:fs';

/** Used when the limit cannot be read (not Linux, or `unlimited`). */
const FALLBACK_MAX_CONNECTIONS = 4096;

/** Share of the descriptors for connections: the rest stays for files, logs and pools. */
const SHARE = 0.8;

/** The soft "Max open files" limit of this process from /proc/self/limits, or null. */
export function readFdLimit(limits?: string): number | null {
  let text = limits;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'latin1');
    } catch {
      return null;
    }
  }
  for (const line of text.split('\n')) {
    if (!line.startsWith('Max open files')) continue;
    // "Max open files            1024                 1048576              files"
    const soft = line.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isSafeInteger(n) && n > 0 ? n : null;
  }
  return null;
}

/** 80% of the soft fd limit (node raises it to the hard limit at startup), at least 16. */
export function defaultMaxConnections(limits?: string): number {
  const fds = readFdLimit(limits);
  if (fds === null) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(16, Math.floor(fds * SHARE));
}
