/**
 * `rws` with a certificate and a gateway route to a `ws` backend, spawned as a real process:
 * its HTTP/2 listener advertises SETTINGS_ENABLE_CONNECT_PROTOCOL, so an h2 client opens the
 * WebSocket as an extended CONNECT stream (RFC 8441) on the connection it already has, and
 * messages cross to the HTTP/1.1 backend and back.
 */

import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as http2 from 'node:http2';
import { join } from 'node:path';
import { encodeFrame, type Frame, FrameParser, OPCODE } from '@rws/http1/websocket';
import { createTestCertificates } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocketServer } from 'ws';
import { startCli, tempDir } from './cli-process.js';

/** A `ws` echo backend; resolves its port and the URLs of the upgrades it accepted. */
async function wsBackend(): Promise<{ port: number; seen: string[] }> {
  const server = createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const seen: string[] = [];
  wss.on('connection', (socket, req) => {
    seen.push(req.url ?? '');
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(async () => {
    await new Promise<void>((r) => wss.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as { port: number }).port, seen };
}

/** Starts rws over TLS with one proxy route `/live/*` → `backendPort`. */
async function startRws(backendPort: number, extraArgs: readonly string[] = []) {
  const dir = tempDir('rws-ws-h2-');
  const { certFile, keyFile } = createTestCertificates({ dir, selfSigned: true }).server;
  writeFileSync(
    join(dir, 'rws.config.toml'),
    `[[upstream]]\nname = "live"\nbackends = ["127.0.0.1:${backendPort}"]\n` +
      `[[route]]\n[route.match]\npath = "/live/*"\n` +
      `[route.action]\ntype = "proxy"\nupstream = "live"\nstrip_path_prefix = "/live"\n`,
  );
  const rws = await startCli(
    ['-p', '0', '--tls-cert-file', certFile, '--tls-key-file', keyFile, ...extraArgs],
    { cwd: dir },
  );
  return { origin: rws.origin, ca: readFileSync(certFile, 'utf8') };
}

async function connect(origin: string, ca: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(origin, { ca });
  session.on('error', () => {});
  onTestFinished(() => {
    session.destroy();
  });
  await once(session, 'remoteSettings');
  return session;
}

describe('rws over TLS: WebSocket through the gateway on the HTTP/2 connection', () => {
  it('advertises extended CONNECT and relays messages to a ws backend', async () => {
    const backend = await wsBackend();
    const { origin, ca } = await startRws(backend.port);
    const session = await connect(origin, ca);
    expect(session.alpnProtocol).toBe('h2');
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);

    const stream = session.request(
      {
        ':method': 'CONNECT',
        ':protocol': 'websocket',
        ':scheme': 'https',
        ':path': '/live/feed?room=1',
        'sec-websocket-version': '13',
      },
      { endStream: false },
    );
    stream.on('error', () => {});
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
    // RFC 8441 §5: a 200 answers the extended CONNECT, no HTTP/1.1 key exchange.
    expect(headers[':status']).toBe(200);
    expect(headers['sec-websocket-accept']).toBeUndefined();

    const parser = new FrameParser({
      expectMasked: false,
      maxFrameBytes: 1 << 20,
      allowRsv1: false,
    });
    const frames: Frame[] = [];
    stream.on('data', (chunk: Buffer) => frames.push(...parser.push(chunk)));
    const next = async (): Promise<Frame> => {
      await expect.poll(() => frames.length, { timeout: 20_000 }).toBeGreaterThan(0);
      return frames.shift()!;
    };

    stream.write(encodeFrame(OPCODE.TEXT, Buffer.from('hello over h2'), { mask: true }));
    const echo = await next();
    expect([echo.opcode, Buffer.from(echo.payload).toString()]).toEqual([
      OPCODE.TEXT,
      'hello over h2',
    ]);
    // Bigger than the stream's initial flow-control window: both directions wait for updates.
    const big = Buffer.alloc(150_000, 9);
    stream.write(encodeFrame(OPCODE.BINARY, big, { mask: true }));
    const bigEcho = await next();
    expect(bigEcho.opcode).toBe(OPCODE.BINARY);
    expect(Buffer.from(bigEcho.payload).equals(big)).toBe(true);
    // The backend saw an ordinary HTTP/1.1 handshake for the stripped path.
    expect(backend.seen).toEqual(['/feed?room=1']);

    stream.write(encodeFrame(OPCODE.CLOSE, Buffer.from([0x03, 0xe8]), { mask: true }));
    const close = await next();
    expect(close.opcode).toBe(OPCODE.CLOSE);
    expect(Buffer.from(close.payload).readUInt16BE(0)).toBe(1000);
    stream.end();
    await once(stream, 'close');
  }, 90_000);
});
