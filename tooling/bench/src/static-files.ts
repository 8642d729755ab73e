/**
 * The folder the `static` and `https` suites serve: `1k.bin` (1 KiB), `1m.bin` (1 MiB) and
 * `100m.bin` (100 MiB) of random bytes (incompressible, not that wrk asks for compression), and
 * `hello.txt` (`Hello, World!`, the hello-world body served as a file) in a temp dir,
 * written once on first use — not when `pnpm bench` only lists the suites — and removed when
 * the harness exits. World-readable, as nginx's worker process reads it as `nobody`.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdtemp, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELLO_BODY } from './peers.js';

/** File name → size in bytes. */
const STATIC_FILES: Readonly<Record<string, number>> = {
  '1k.bin': 1024,
  '1m.bin': 1024 * 1024,
  '100m.bin': 100 * 1024 * 1024,
};

let folder: Promise<string> | undefined;

async function create(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rws-bench-static-'));
  // mkdtemp makes the dir 0700; nginx's worker runs as `nobody` when started as root.
  await chmod(dir, 0o755);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'hello.txt'), HELLO_BODY);
  const chunk = randomBytes(1024 * 1024);
  for (const [name, size] of Object.entries(STATIC_FILES)) {
    if (size <= chunk.length) {
      await writeFile(join(dir, name), chunk.subarray(0, size));
      continue;
    }
    const file = await open(join(dir, name), 'w');
    try {
      for (let written = 0; written < size; written += chunk.length) {
        await file.write(chunk, 0, Math.min(chunk.length, size - written));
      }
    } finally {
      await file.close();
    }
  }
  return dir;
}

/** The absolute path of the generated folder (created on the first call). */
export function staticFolder(): Promise<string> {
  folder ??= create();
  return folder;
}
