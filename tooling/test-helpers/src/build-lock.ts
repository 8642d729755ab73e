/**
 * One workspace build at a time across test processes. Tests that build packages before using
 * their `dist/` (the built `rws` binary, the packed-tarball conformance run) run in parallel
 * vitest workers; two turbo runs building the same package at once would each let tsup clear
 * `dist/` while the other packs or starts it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const LOCK_DIR = fileURLToPath(
  new URL('../../../node_modules/.cache/rws-build-lock', import.meta.url),
);

/** True while process `pid` exists (signal 0 only checks). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding the workspace build lock (a directory, created atomically, naming its
 * owner's pid; a lock whose owner died is taken over). Waits up to `timeoutMs` for it.
 */
export async function withBuildLock<T>(fn: () => T | Promise<T>, timeoutMs = 600_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR, { recursive: false });
      writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        mkdirSync(join(LOCK_DIR, '..'), { recursive: true });
        continue;
      }
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8'));
      } catch {
        // Created but its pid not written yet: the owner is alive, wait.
      }
      if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > until) {
        throw new Error(
          `withBuildLock: ${LOCK_DIR} still held by pid ${owner} after ${timeoutMs} ms`,
        );
      }
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}
