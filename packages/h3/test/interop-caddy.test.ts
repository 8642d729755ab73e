/**
 * Interop with an independent QUIC server: caddy (Debian package; its QUIC and TLS 1.3 are
 * quic-go on Go's crypto/tls) serving HTTP/3 with a test certificate. Our client completes the
 * handshake and sends a minimal HTTP/3 GET written by hand (QPACK static-table references
 * only), and reads caddy's response off the bidirectional stream. Without caddy the test is
 * skipped with the reason (a failure under CI=true).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCertificates, requireCapability, reservePort } from '@rws/test-helpers';
import { expect, it, onTestFinished, vi } from 'vitest';
import { Http3Client } from '../src/http3/h3-client.js';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import type { QuicStream } from '../src/quic/quic-stream.js';
import { hasCommand } from './helpers.js';

const HAS_CADDY = hasCommand('caddy');

/** Starts caddy answering every request with `body`; resolves once it serves. */
async function startCaddy(
  port: number,
  certFile: string,
  keyFile: string,
  body: string,
): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'rws-h3-caddy-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const config = [
    '{',
    '  admin off',
    '  auto_https off',
    `  storage file_system ${dir}`,
    '  servers {',
    '    protocols h1 h2 h3',
    '  }',
    '}',
    `https://localhost:${port} {`,
    '  bind 127.0.0.1',
    `  tls ${certFile} ${keyFile}`,
    `  respond "${body}"`,
    '}',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'Caddyfile'), config);
  const caddy = spawn(
    'caddy',
    ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'],
    {
      env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  onTestFinished(() => {
    caddy.kill();
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    caddy.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('serving initial configuration')) resolve();
    });
    caddy.once('exit', (code) =>
      reject(new Error(`caddy exited with ${code}: ${log.slice(-500)}`)),
    );
  });
  return caddy;
}

async function collect(stream: QuicStream): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

it('our client completes a handshake with caddy (quic-go) and gets an HTTP/3 response', async (ctx) => {
  requireCapability(ctx, HAS_CADDY, 'caddy (apt-get install caddy)');
  const certs = createTestCertificates();
  onTestFinished(certs.cleanup);
  const port = await reservePort({ udp: true });
  await startCaddy(port, certs.server.certFile, certs.server.keyFile, 'hello from caddy');
  const client = await QuicEndpoint.bind({ transport: { maxIdleTimeoutMs: 5000 } });
  onTestFinished(() => client.close());
  const connection = await client.connect({
    host: '127.0.0.1',
    port,
    serverName: 'localhost',
    alpn: ['h3'],
    ca: [certs.ca.cert],
  });
  expect(connection.alpn).toBe('h3');
  // HEADERS frame; QPACK: required insert count 0, base 0, then static-table lines
  // :method GET (17), :scheme https (23), :path / (1) and :authority (0) with a literal value.
  const block = Buffer.concat([
    Buffer.from([0x00, 0x00, 0xc0 | 17, 0xc0 | 23, 0xc0 | 1, 0x50, 9]),
    Buffer.from('localhost'),
  ]);
  const stream = connection.openStream();
  const reply = collect(stream);
  await stream.write(Buffer.concat([Buffer.from([0x01, block.length]), block]));
  stream.end();
  const response = await reply;
  // The response ends with one DATA frame (type 0, length 16) carrying the body.
  const body = Buffer.from('hello from caddy');
  expect(response.subarray(response.length - body.length - 2)).toEqual(
    Buffer.concat([Buffer.from([0x00, body.length]), body]),
  );
  expect(response[0]).toBe(0x01);
}, 30_000);

it('our Http3Client gets caddy responses: GET, a POST echoing headers, concurrent requests', async (ctx) => {
  requireCapability(ctx, HAS_CADDY, 'caddy (apt-get install caddy)');
  const certs = createTestCertificates();
  onTestFinished(certs.cleanup);
  const port = await reservePort({ udp: true });
  await startCaddy(port, certs.server.certFile, certs.server.keyFile, 'hello over h3');
  const client = await Http3Client.connect({
    host: '127.0.0.1',
    port,
    serverName: 'localhost',
    ca: [certs.ca.cert],
  });
  onTestFinished(() => client.close());
  const res = await client.request({ path: '/', headers: [['user-agent', 'rws-test']] });
  expect(res.status).toBe(200);
  expect(Buffer.from(res.body).toString()).toBe('hello over h3');
  expect(res.headers.get('server')).toBe('Caddy');
  // Ten requests at once on one connection; caddy's control stream SETTINGS arrived too.
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      client.request({ method: 'POST', path: `/p${i}`, body: `body ${i}` }),
    ),
  );
  expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
  // The control stream may arrive after the responses: wait for it.
  await vi.waitFor(() => expect(client.settings).toBeDefined(), { timeout: 10_000 });
}, 30_000);
