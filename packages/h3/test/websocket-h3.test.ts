/**
 * Issue #14: WebSockets over HTTP/3 (RFC 9220). Our Http3Server with `enableConnectProtocol`
 * advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and takes extended CONNECT with
 * `:protocol websocket` into @rws/http1's `upgradeWebSocket`; our Http3Client opens the
 * stream and speaks the WebSocket codec on it, over real UDP sockets on loopback. Raw frames
 * (encodeFrame / FrameParser) check fragmentation, ping/pong and the close handshake exactly.
 */
import type { Request, Response } from '@rws/core';
import { Headers, isRwsError } from '@rws/core';
import {
  encodeFrame,
  type Frame,
  FrameParser,
  OPCODE,
  upgradeWebSocket,
  WebSocket,
} from '@rws/http1/websocket';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { HTTP3_ERROR, Http3Error } from '../src/errors.js';
import { SETTING } from '../src/http3/frames.js';
import { Http3Client } from '../src/http3/h3-client.js';
import { Http3Server } from '../src/http3/h3-server.js';
import { makeCredentials, type ServerCredentials } from './certs.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

async function serve(
  handler: (req: Request) => Response | Promise<Response>,
  enableConnectProtocol = true,
) {
  const errors: unknown[] = [];
  const server = await Http3Server.listen({
    tls: { cert: creds.cert, key: creds.key },
    handler,
    enableConnectProtocol,
    onError: (error) => errors.push(error),
  });
  onTestFinished(() => server.close());
  const client = await Http3Client.connect({
    host: '127.0.0.1',
    port: server.address().port,
    serverName: 'localhost',
    ca: [creds.cert],
  });
  onTestFinished(() => client.close());
  return { server, client, errors };
}

const VERSION: [string, string][] = [['sec-websocket-version', '13']];

/** The echo route: text and binary back as they came, `close <code>` closes with it. */
function echo(req: Request, seen?: (ws: WebSocket) => void): Promise<Response> {
  return upgradeWebSocket(req, {
    protocols: ['chat'],
    onOpen: (ws) => seen?.(ws),
    onMessage: (message, ws) => {
      const close = typeof message === 'string' ? /^close (\d+)$/.exec(message) : null;
      if (close !== null) return ws.close(Number(close[1]), 'as asked');
      return ws.send(message);
    },
  });
}

/** A raw view of a WebSocket tunnel: masked frames out, parsed frames in. */
function rawSocket(tunnel: NonNullable<Awaited<ReturnType<Http3Client['request']>>['tunnel']>) {
  const writer = tunnel.writable.getWriter();
  const reader = tunnel.readable.getReader();
  const parser = new FrameParser({ expectMasked: false, maxFrameBytes: 1 << 24, allowRsv1: false });
  const frames: Frame[] = [];
  return {
    send(opcode: number, payload: string | Uint8Array, fin = true): Promise<void> {
      const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
      return writer.write(encodeFrame(opcode, bytes, { mask: true, fin }));
    },
    /** The next frame, or null once the server ended the stream. */
    async next(): Promise<Frame | null> {
      while (frames.length === 0) {
        const { done, value } = await reader.read();
        if (done === true) return null;
        frames.push(...parser.push(value));
      }
      return frames.shift()!;
    },
    end: () => writer.close(),
  };
}

async function open(client: Http3Client, path = '/ws', headers: [string, string][] = []) {
  const res = await client.request({
    path,
    protocol: 'websocket',
    headers: [...VERSION, ...headers],
  });
  expect(res.status).toBe(200);
  expect(res.tunnel).not.toBeNull();
  return res;
}

const text = (f: Frame | null): string => Buffer.from(f!.payload).toString();

describe('WebSocket over HTTP/3 (RFC 9220)', () => {
  it('advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and hands the handler an extended CONNECT', async () => {
    let seen: { method: string; protocol: string | null; kind: string | undefined } | null = null;
    const { client } = await serve((req) => {
      seen = {
        method: req.method,
        protocol: req.upgrade?.protocol ?? null,
        kind: req.upgrade?.kind,
      };
      return echo(req);
    });
    const res = await open(client, '/ws', [['sec-websocket-protocol', 'other, chat']]);
    expect(client.settings?.get(SETTING.ENABLE_CONNECT_PROTOCOL)).toBe(1);
    expect(seen).toEqual({ method: 'CONNECT', protocol: 'websocket', kind: 'connect' });
    // RFC 9220 §3 / RFC 8441 §5: 200, the subprotocol, none of the HTTP/1.1 handshake fields.
    expect(res.headers.get('sec-websocket-protocol')).toBe('chat');
    expect(res.headers.get('sec-websocket-accept')).toBeNull();
    expect(res.headers.get('upgrade')).toBeNull();
    const ws = new WebSocket(res.tunnel!, { isServer: false, protocol: 'chat' });
    onTestFinished(() => ws.terminate());
    await ws.send('hello over h3');
    const big = new Uint8Array(400_000).map((_, i) => (i * 7) & 0xff);
    await ws.send(big);
    const got: unknown[] = [];
    for await (const message of ws) {
      got.push(message);
      if (got.length === 2) break;
    }
    expect(got[0]).toBe('hello over h3');
    expect(Buffer.from(got[1] as Uint8Array).equals(Buffer.from(big))).toBe(true);
    await ws.send('close 4007');
    expect(await ws.closed).toEqual({ code: 4007, reason: 'as asked', wasClean: true });
  });

  it('reassembles a fragmented message with a ping between the fragments', async () => {
    const { client } = await serve((req) => echo(req));
    const raw = rawSocket((await open(client)).tunnel!);
    await raw.send(OPCODE.TEXT, 'frag', false);
    await raw.send(OPCODE.CONTINUATION, 'men', false);
    // A control frame may come between fragments (RFC 6455 §5.4): answered at once.
    await raw.send(OPCODE.PING, 'mid');
    await raw.send(OPCODE.CONTINUATION, 'ted', true);
    const pong = await raw.next();
    expect(pong).toMatchObject({ opcode: OPCODE.PONG, fin: true });
    expect(text(pong)).toBe('mid');
    const message = await raw.next();
    expect(message).toMatchObject({ opcode: OPCODE.TEXT, fin: true });
    expect(text(message)).toBe('fragmented');
  });

  it('answers a ping with a pong carrying its payload, and pongs from the server are sent', async () => {
    let server: WebSocket | null = null;
    const { client } = await serve((req) => echo(req, (ws) => (server = ws)));
    const raw = rawSocket((await open(client)).tunnel!);
    await raw.send(OPCODE.PING, Uint8Array.of(1, 2, 3));
    const pong = await raw.next();
    expect(pong?.opcode).toBe(OPCODE.PONG);
    expect([...pong!.payload]).toEqual([1, 2, 3]);
    // A server ping reaches the client as a Ping frame over the h3 stream.
    await server!.ping('are you there');
    const ping = await raw.next();
    expect(ping?.opcode).toBe(OPCODE.PING);
    expect(text(ping)).toBe('are you there');
  });

  it('completes the close handshake: the server echoes our code and ends the stream', async () => {
    let closeInfo: unknown = null;
    const { client } = await serve((req) =>
      upgradeWebSocket(req, {
        onClose: (info) => {
          closeInfo = info;
        },
      }),
    );
    const raw = rawSocket((await open(client)).tunnel!);
    const payload = Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from('done here')]); // 4000
    await raw.send(OPCODE.CLOSE, payload);
    const close = await raw.next();
    expect(close?.opcode).toBe(OPCODE.CLOSE);
    expect(Buffer.from(close!.payload).readUInt16BE(0)).toBe(4000);
    await raw.end();
    // The server ends its side after the handshake (FIN on the stream).
    expect(await raw.next()).toBeNull();
    await expect.poll(() => closeInfo).toEqual({ code: 4000, reason: 'done here', wasClean: true });
  });

  it('fails an unmasked client frame with 1002', async () => {
    const { client } = await serve((req) => echo(req));
    const res = await open(client);
    const writer = res.tunnel!.writable.getWriter();
    await writer.write(encodeFrame(OPCODE.TEXT, Buffer.from('no mask'), { mask: false }));
    writer.releaseLock();
    const raw = rawSocket({ readable: res.tunnel!.readable, writable: new WritableStream() });
    const close = await raw.next();
    expect(close?.opcode).toBe(OPCODE.CLOSE);
    expect(Buffer.from(close!.payload).readUInt16BE(0)).toBe(1002);
  });

  it('relays a refusal as an ordinary response, without a tunnel', async () => {
    const { client } = await serve(() => ({
      status: 403,
      headers: new Headers({ 'content-type': 'text/plain' }),
      body: 'not you',
    }));
    const res = await client.request({ path: '/ws', protocol: 'websocket', headers: VERSION });
    expect(res.status).toBe(403);
    expect(res.tunnel).toBeNull();
    expect(Buffer.from(res.body).toString()).toBe('not you');
    // The connection goes on: an ordinary request after it.
    const next = await client.request({ path: '/' });
    expect(next.status).toBe(403);
  });

  it('closes open WebSockets with 1001 when the server shuts down', async () => {
    const { server, client } = await serve((req) => echo(req));
    const res = await open(client);
    const ws = new WebSocket(res.tunnel!, { isServer: false });
    onTestFinished(() => ws.terminate());
    const closed = ws.closed;
    void server.close();
    expect((await closed).code).toBe(1001);
  });
});

describe('WebSocket over HTTP/3 turned off (the default)', () => {
  it('sends no SETTINGS_ENABLE_CONNECT_PROTOCOL; the client refuses to send :protocol', async () => {
    let calls = 0;
    const { client } = await serve(() => {
      calls++;
      return { status: 200, headers: new Headers(), body: 'plain' };
    }, false);
    // Settings arrive on the control stream; an ordinary request makes sure they are in.
    expect((await client.request({ path: '/' })).status).toBe(200);
    expect(client.settings).toBeDefined();
    expect(client.settings!.has(SETTING.ENABLE_CONNECT_PROTOCOL)).toBe(false);
    const err = await client
      .request({ path: '/ws', protocol: 'websocket', headers: VERSION })
      .catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_H3_CONNECT_PROTOCOL_UNSUPPORTED')).toBe(true);
    expect(calls).toBe(1);
  });

  it('treats a :protocol it did not enable as a malformed request (H3_MESSAGE_ERROR)', async () => {
    let calls = 0;
    const { client } = await serve(() => {
      calls++;
      return { status: 200, headers: new Headers(), body: 'plain' };
    }, false);
    const err = await client
      .request({
        method: 'CONNECT',
        path: '/ws',
        headers: [[':protocol', 'websocket'], ...VERSION],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Http3Error);
    expect((err as Http3Error).applicationCode).toBe(HTTP3_ERROR.H3_MESSAGE_ERROR);
    expect(calls).toBe(0);
  });
});
