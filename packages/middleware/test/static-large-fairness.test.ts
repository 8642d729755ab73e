import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Headers } from '@rws/core';
import { serveStatic } from '@rws/middleware/static';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHandler } from './serve-helpers.js';

// Issue #11: a large file is streamed from disk (too big for the memory cache) to many
// connections at once. Fair interleaving: while the first client finishes, no other client
// may be starved, every one must already hold a quarter of the file or more. The server runs
// on one event loop, so a connection that is never written to while others are would show here
// as a client near zero bytes when the first one is done.

const SIZE = 16 * 1024 * 1024;
const CLIENTS = 8;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rws-static-large-'));
  writeFileSync(join(root, 'big.bin'), randomBytes(SIZE));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('serveStatic large files (issue #11)', () => {
  it('streams one file to many connections at once without starving any', async () => {
    const mw = serveStatic({ root });
    const port = await serveHandler((req) =>
      mw.handle(req, () => ({ status: 599, headers: new Headers(), body: null })),
    );
    const received = new Array<number>(CLIENTS).fill(0);
    let atFirstDone: number[] | null = null;
    const downloads = received.map(
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1');
          // Everything after the head is body; the head is a few hundred bytes.
          let headEnded = false;
          let head = '';
          socket.on('data', (chunk: Buffer) => {
            let body = chunk;
            if (!headEnded) {
              head += chunk.toString('latin1');
              const end = head.indexOf('\r\n\r\n');
              if (end === -1) return;
              headEnded = true;
              expect(head.startsWith('HTTP/1.1 200')).toBe(true);
              body = Buffer.from(head.slice(end + 4), 'latin1');
            }
            received[i]! += body.length;
            if (received[i]! >= SIZE) {
              atFirstDone ??= [...received];
              socket.end();
              resolve();
            }
          });
          socket.once('error', reject);
          socket.write(`GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        }),
    );
    await Promise.all(downloads);
    expect(received).toEqual(new Array(CLIENTS).fill(SIZE));
    // Starvation would leave some client near 0; fair interleaving keeps everyone well along.
    // (A sixteenth, not a quarter: on a loaded 2-core CI machine a client accepted late held
    // 1.5 MiB of 16 when the first finished; a starved one would hold a few KiB.)
    const slowest = Math.min(...atFirstDone!);
    expect(slowest).toBeGreaterThanOrEqual(SIZE / 16);
  }, 60_000);
});
