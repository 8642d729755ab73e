/**
 * The proxy and h2 suites' targets really serve what the suites measure, over real sockets:
 * every proxy forwards to the case's upstream (a real nginx) and relays its body, and every
 * HTTP/2 target answers h2 over TLS (ALPN) and h2c with prior knowledge. Also the harness's
 * pieces these suites rely on: the case context (upstream URL, TLS files) and the bounded
 * output buffer of a spawned server.
 */
import { request as requestH1 } from 'node:http';
import { connect } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELLO_BODY } from '../src/peers.js';
import { spawnPinned } from '../src/process.js';
import h2Suite from '../src/suites/h2.js';
import proxySuite from '../src/suites/proxy.js';
import { benchCertificate } from '../src/tls-cert.js';
import type { RunningTarget, TlsFiles } from '../src/types.js';

function getH1(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = requestH1(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

function getH2(url: string): Promise<{ status: number; body: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const session = connect(url, { rejectUnauthorized: false });
    session.once('error', reject);
    const req = session.request({ ':path': '/' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.once('response', (headers) => {
      req.once('end', () => {
        const alpn = session.alpnProtocol ?? false;
        session.close();
        resolve({ status: Number(headers[':status']), body, alpn });
      });
    });
    req.once('error', reject);
  });
}

describe('proxy suite targets', () => {
  let upstream: RunningTarget;
  beforeAll(async () => {
    upstream = await proxySuite.cases[0]!.upstream!.start();
  }, 30_000);
  afterAll(() => upstream?.stop());

  it.each(proxySuite.targets.map((t) => [t.name, t]))(
    '%s forwards GET / to the case upstream',
    async (_name, target) => {
      const running = await target.start({ upstream: upstream.url });
      try {
        // The upstream alone answers Hello, World!; any other body would be the proxy's own.
        expect(await getH1(`${running.url}/`)).toEqual({ status: 200, body: HELLO_BODY });
      } finally {
        await running.stop();
      }
    },
    60_000,
  );

  it('every proxy case has an upstream', () => {
    expect(proxySuite.cases.every((c) => c.upstream !== undefined)).toBe(true);
  });
});

describe('h2 suite targets', () => {
  let tls: TlsFiles;
  beforeAll(async () => {
    tls = await benchCertificate();
  }, 30_000);

  it.each(h2Suite.targets.map((t) => [t.name, t]))(
    '%s answers h2 over TLS and h2c',
    async (_name, target) => {
      const secure = await target.start({ tls });
      try {
        expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        expect(await getH2(secure.url)).toEqual({ status: 200, body: HELLO_BODY, alpn: 'h2' });
      } finally {
        await secure.stop();
      }
      const plain = await target.start({});
      try {
        expect(plain.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        // Prior knowledge: the connection opens with the HTTP/2 preface, no upgrade.
        expect(await getH2(plain.url)).toEqual({ status: 200, body: HELLO_BODY, alpn: 'h2c' });
      } finally {
        await plain.stop();
      }
    },
    60_000,
  );

  it('the TLS case is the one the harness gives a certificate', () => {
    expect(h2Suite.cases.map((c) => [c.name, c.tls === true])).toEqual([
      ['tls', true],
      ['h2c', false],
    ]);
  });
});

describe('spawnPinned output', () => {
  it('keeps the tail of a chatty process, not all of it', async () => {
    // 3 MiB of 'x' then an end marker: the buffer keeps about the last MiB.
    const proc = spawnPinned(null, process.execPath, [
      '-e',
      "process.stdout.write('x'.repeat(3 * 1024 * 1024)); process.stdout.write('END');",
    ]);
    await new Promise((resolve) => proc.child.once('close', resolve));
    const out = proc.output();
    expect(out.endsWith('END')).toBe(true);
    expect(out.length).toBeLessThan(2 * 1024 * 1024);
    expect(out.length).toBeGreaterThanOrEqual(1024 * 1024);
  });
});
