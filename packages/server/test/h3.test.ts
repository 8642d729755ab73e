/**
 * HTTP/3 through serve() (issue #21): with `http3: true` and a certificate, the TLS port's
 * number also answers HTTP/3 on UDP (@rws/h3), and HTTP/1.1 and HTTP/2 responses carry
 * `Alt-Svc`. Peers: our HTTP/3 client, node:https, node:http2, ngtcp2's gtlsclient.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json } from '@rws/core';
import { Http3Client } from '@rws/h3';
import { upgradeWebSocket, WebSocket } from '@rws/http1/websocket';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { serve } from '../src/index.js';
import { start } from './helpers.js';

let certs: TestCertificates;
beforeAll(() => {
  certs = createTestCertificates({ prefix: 'rws-server-h3-' });
}, 60_000);
afterAll(() => certs?.cleanup());

const app = (req: import('@rws/core').Request) =>
  json({ protocol: req.protocol, path: req.path, alpn: req.conn.tls?.alpn ?? null });

function httpsHeaders(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/', servername: 'localhost', ca: certs.ca.cert },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function h2AltSvc(port: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const session = connect(`https://127.0.0.1:${port}`, {
      ca: certs.ca.cert,
      servername: 'localhost',
    });
    onTestFinished(() => session.destroy());
    session.on('error', reject);
    const stream = session.request({ ':path': '/' });
    stream.on('response', (h) => resolve(h['alt-svc'] as string | undefined));
    stream.resume();
  });
}

describe('serve({ http3: true })', () => {
  it('serves WebSockets over HTTP/3 (RFC 9220) with enableConnectProtocol, issue #14', async () => {
    const server = await start(
      (req) =>
        req.upgrade === undefined
          ? app(req)
          : upgradeWebSocket(req, { onMessage: (message, ws) => ws.send(`h3 ${message}`) }),
      {
        tlsCertFile: certs.server.certFile,
        tlsKeyFile: certs.server.keyFile,
        http3: true,
        enableConnectProtocol: true,
      },
    );
    const client = await Http3Client.connect({
      host: '127.0.0.1',
      port: server.address.port,
      serverName: 'localhost',
      ca: [certs.ca.cert],
    });
    onTestFinished(() => client.close());
    const res = await client.request({
      path: '/live',
      protocol: 'websocket',
      headers: [['sec-websocket-version', '13']],
    });
    expect(res.status).toBe(200);
    const ws = new WebSocket(res.tunnel!, { isServer: false });
    onTestFinished(() => ws.terminate());
    await ws.send('hello');
    for await (const message of ws) {
      expect(message).toBe('h3 hello');
      break;
    }
    expect((await ws.close(1000)).wasClean).toBe(true);
  }, 60_000);

  it('answers HTTP/3 on the TLS port number and advertises it with Alt-Svc', async () => {
    const server = await start(app, {
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.server.keyFile,
      http3: true,
    });
    const port = server.address.port;
    const h1 = await httpsHeaders(port);
    expect(h1['alt-svc']).toBe(`h3=":${port}"; ma=86400`);
    expect(await h2AltSvc(port)).toBe(`h3=":${port}"; ma=86400`);
    const client = await Http3Client.connect({
      host: '127.0.0.1',
      port,
      serverName: 'localhost',
      ca: [certs.ca.cert],
    });
    onTestFinished(() => client.close());
    const res = await client.request({ path: '/over-quic' });
    expect(res.status).toBe(200);
    expect(JSON.parse(Buffer.from(res.body).toString())).toEqual({
      protocol: 'h3',
      path: '/over-quic',
      alpn: 'h3',
    });
    // The built-in health endpoint runs in the same chain.
    const health = await client.request({ path: '/healthz' });
    expect(health.status).toBe(200);
  }, 30_000);

  it('gtlsclient fetches over HTTP/3 from serve()', async (ctx) => {
    let hasGtlsclient = true;
    try {
      execFileSync('sh', ['-c', 'command -v gtlsclient'], { stdio: 'pipe' });
    } catch {
      hasGtlsclient = false;
    }
    if (!hasGtlsclient) {
      if (process.env['CI'] === 'true') throw new Error('CI needs gtlsclient (ngtcp2-client)');
      ctx.skip();
    }
    const server = await start(app, {
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.server.keyFile,
      http3: true,
    });
    const port = server.address.port;
    const dir = mkdtempSync(join(tmpdir(), 'rws-server-h3-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const output = await new Promise<string>((resolve) => {
      execFile(
        'gtlsclient',
        [
          '--exit-on-all-streams-close',
          '--timeout=10s',
          `--download=${dir}`,
          '127.0.0.1',
          String(port),
          `https://localhost:${port}/via-gtls`,
        ],
        { timeout: 30_000 },
        (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
      );
    });
    expect(output).toContain('[:status: 200]');
    expect(JSON.parse(readFileSync(join(dir, 'via-gtls'), 'utf8'))).toEqual({
      protocol: 'h3',
      path: '/via-gtls',
      alpn: 'h3',
    });
  }, 60_000);

  it('close() sends GOAWAY over h3: the request in flight finishes, then the server stops', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let drained: boolean | undefined;
    const server = await serve(
      async (req) => {
        await released;
        drained = req.drain.aborted;
        return json({ done: true });
      },
      {
        port: 0,
        onError: () => {},
        tlsCertFile: certs.server.certFile,
        tlsKeyFile: certs.server.keyFile,
        http3: true,
      },
    );
    const client = await Http3Client.connect({
      host: '127.0.0.1',
      port: server.address.port,
      serverName: 'localhost',
      ca: [certs.ca.cert],
    });
    onTestFinished(() => client.close());
    const inFlight = client.request({ path: '/slow' });
    // Let the request reach the handler, then shut down with a long grace period.
    await new Promise((r) => setTimeout(r, 300));
    const closed = server.close({ graceMs: 30_000 });
    await expect.poll(() => client.goawayId, { timeout: 10_000 }).toBeDefined();
    release();
    const res = await inFlight;
    expect(JSON.parse(Buffer.from(res.body).toString())).toEqual({ done: true });
    expect(drained).toBe(true);
    await closed;
  }, 60_000);

  it('refuses http3 without a certificate, and with workers', async () => {
    await expect(serve(app, { port: 0, http3: true })).rejects.toThrow(/http3: needs tlsCertFile/);
    await expect(
      serve(app, {
        port: 0,
        http3: true,
        workers: 2,
        tlsCertFile: certs.server.certFile,
        tlsKeyFile: certs.server.keyFile,
      }),
    ).rejects.toThrow(/http3: not supported with workers/);
  });

  it('without http3, responses carry no Alt-Svc', async () => {
    const server = await start(app, {
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.server.keyFile,
    });
    expect((await httpsHeaders(server.address.port))['alt-svc']).toBeUndefined();
  });
});
