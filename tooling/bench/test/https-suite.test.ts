/**
 * Issue #11: the https suite. Every target, started as the harness starts it for a case (the
 * bench certificate, an access-log directory), answers over TLS 1.3 with the pinned cipher and
 * refuses a client that offers only another TLS 1.3 suite, so no server wins by negotiating a
 * cheaper cipher; the file servers log to `<dir>/<target>.log`. Real servers over real sockets.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it, vi } from 'vitest';
import httpsSuite from '../src/suites/https.js';
import { benchCertificate } from '../src/tls-cert.js';

interface Answer {
  status: number;
  length: number;
  protocol: string | null;
  cipher: string;
}

function get(url: string, ciphers?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent: false, rejectUnauthorized: false, ...(ciphers === undefined ? {} : { ciphers }) },
      (res) => {
        const socket = res.socket as TLSSocket;
        let length = 0;
        res.on('data', (c: Buffer) => (length += c.length));
        res.once('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            length,
            protocol: socket.getProtocol(),
            cipher: socket.getCipher().standardName,
          }),
        );
      },
    );
    req.once('error', reject);
    req.end();
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The 1 KiB file, which every target serves (the Node servers from memory). */
const PROBE = { path: '/1k.bin', length: 1024 };

describe('https suite (issue #11)', () => {
  it('runs hello and 1 KiB on every target, 100 MiB on the file servers, over TLS with logs', () => {
    expect(
      httpsSuite.cases.map((c) => [c.name, c.tls, c.accessLog, c.targets, c.load.path]),
    ).toEqual([
      ['hello', true, true, undefined, '/hello.txt'],
      ['1k', true, true, ['rws-http1-tls', 'node-https', 'nginx'], '/1k.bin'],
      ['100m', true, true, ['nginx'], '/100m.bin'],
    ]);
  });

  it.each(httpsSuite.targets.map((t) => [t.name, t]))(
    '%s answers over TLS 1.3 with TLS_AES_128_GCM_SHA256 only',
    async (name, target) => {
      const dir = mkdtempSync(join(tmpdir(), 'rws-bench-https-'));
      dirs.push(dir);
      const running = await target.start({ tls: await benchCertificate(), accessLogDir: dir });
      try {
        expect(running.url.startsWith('https://')).toBe(true);
        const { path, length } = PROBE;
        expect(await get(running.url + path)).toEqual({
          status: 200,
          length,
          protocol: 'TLSv1.3',
          cipher: 'TLS_AES_128_GCM_SHA256',
        });
        // A client offering only another TLS 1.3 suite finds no common cipher.
        await expect(get(running.url + path, 'TLS_AES_256_GCM_SHA384')).rejects.toThrow();
        if (name === 'rws-tls' || name === 'nginx') {
          // rws batches its lines (up to 100 ms); nginx writes each at once.
          await vi.waitFor(
            () => expect(readFileSync(join(dir, `${name}.log`), 'utf8')).toContain(path),
            { timeout: 5000 },
          );
        }
      } finally {
        await running.stop();
      }
    },
    60_000,
  );
});
