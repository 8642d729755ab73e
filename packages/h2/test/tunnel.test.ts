/**
 * `req.upgrade` on HTTP/2: extended CONNECT (RFC 8441, `:protocol`) and plain CONNECT
 * (RFC 9113 §8.5) accepted as core tunnels, with node:http2's client and a raw peer.
 */
import { connect } from 'node:http2';
import { Headers, isRwsError, type Request, text } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startH2c } from './helpers.js';
import { RawClient, rawFrame } from './raw-client.js';

/** Accepts the tunnel and echoes what arrives, upper-cased, until the peer ends. */
async function upperEcho(req: Request) {
  if (req.upgrade === undefined) return text('no upgrade', { status: 400 });
  const tunnel = await req.upgrade.accept({ 'x-tunnel': req.upgrade.protocol ?? 'plain' });
  const writer = tunnel.writable.getWriter();
  for await (const chunk of tunnel.readable) {
    await writer.write(new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase()));
  }
  await writer.close();
  return { status: 200, headers: new Headers(), body: null };
}

describe('extended CONNECT (RFC 8441)', () => {
  it('node:http2 client opens a websocket-protocol tunnel; bytes flow both ways; END_STREAM half-closes', async () => {
    const { port } = await startH2c(upperEcho, { enableConnectProtocol: true });
    const session = connect(`http://127.0.0.1:${port}`);
    onTestFinished(() => {
      session.destroy();
    });
    await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
    const stream = session.request({
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'http',
      ':path': '/chat',
      ':authority': 'localhost',
    });
    const response = await new Promise<Record<string, unknown>>((resolve) =>
      stream.once('response', resolve),
    );
    expect(response[':status']).toBe(200);
    expect(response['x-tunnel']).toBe('websocket');
    stream.setEncoding('utf8');
    let received = '';
    const gotHello = new Promise<void>((resolve) =>
      stream.on('data', (c: string) => {
        received += c;
        if (received.includes('HELLO')) resolve();
      }),
    );
    stream.write('hello');
    await gotHello;
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    stream.end(' world');
    await ended;
    expect(received).toBe('HELLO WORLD');
  });

  it('refuses :protocol when SETTINGS_ENABLE_CONNECT_PROTOCOL is off (stream error)', async () => {
    const { port } = await startH2c(upperEcho);
    const c = await RawClient.connect(port);
    c.headers(
      1,
      [
        ':method',
        'CONNECT',
        ':protocol',
        'websocket',
        ':scheme',
        'http',
        ':path',
        '/',
        ':authority',
        'x',
      ],
      false,
    );
    expect(await c.rst(1)).toBe(0x1);
  });
});

describe('plain CONNECT', () => {
  it('accept() answers 200 without END_STREAM; DATA carries the tunnel bytes', async () => {
    const { port } = await startH2c(upperEcho);
    const c = await RawClient.connect(port);
    c.headers(1, [':method', 'CONNECT', ':authority', 'example.com:443'], false);
    const head = await c.waitFor((f) => f.type === 0x1 && f.streamId === 1);
    expect(head.flags & 0x1).toBe(0);
    expect(head.fields).toEqual(expect.arrayContaining([':status', '200', 'x-tunnel', 'plain']));
    c.write(rawFrame(0x0, 0x0, 1, Buffer.from('abc')));
    await c.waitFor((f) => f.type === 0x0 && f.streamId === 1 && f.payload.toString() === 'ABC');
    c.write(rawFrame(0x0, 0x1, 1, Buffer.from('def')));
    expect(await c.body(1)).toBe('ABCDEF');
    // The tunnel closed cleanly: no RST_STREAM.
    expect(c.frames.some((f) => f.type === 0x3 && f.streamId === 1)).toBe(false);
  });

  it('a 2xx without accept() becomes 501; a refusal goes out as it is', async () => {
    const { port } = await startH2c((req) =>
      req.authority === 'ok.test:443' ? text('no tunnel') : text('nope', { status: 403 }),
    );
    const c = await RawClient.connect(port);
    c.headers(1, [':method', 'CONNECT', ':authority', 'ok.test:443'], false);
    expect((await c.responseHeaders(1))[':status']).toBe('501');
    c.headers(3, [':method', 'CONNECT', ':authority', 'other.test:443'], false);
    expect((await c.responseHeaders(3))[':status']).toBe('403');
  });

  it('accept() twice rejects with RWS_H2_UPGRADE_UNAVAILABLE', async () => {
    let second: unknown;
    const { port } = await startH2c(async (req) => {
      const tunnel = await req.upgrade!.accept();
      second = await req.upgrade!.accept().catch((e: unknown) => e);
      await tunnel.writable.close();
      return text('');
    });
    const c = await RawClient.connect(port);
    c.headers(1, [':method', 'CONNECT', ':authority', 'a:1'], false);
    await c.waitFor((f) => f.type === 0x0 && f.streamId === 1 && (f.flags & 1) === 1);
    expect(isRwsError(second, 'RWS_H2_UPGRADE_UNAVAILABLE')).toBe(true);
  });
});
