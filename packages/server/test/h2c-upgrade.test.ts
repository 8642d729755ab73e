/**
 * HTTP/1.1 `Upgrade: h2c` on a plain port with `h2c` on (issue #12, RFC 7540 §3.2): the
 * request gets 101, is answered as stream 1 of an HTTP/2 connection, and the connection goes
 * on as HTTP/2. Peers: curl --http2, nghttp -u, and a raw client writing exact bytes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { json, type Request, text } from '@rws/core';
import {
  CONNECTION_PREFACE,
  FLAG,
  FRAME_TYPE,
  FrameParser,
  HpackDecoder,
  HpackEncoder,
  headersFrames,
  SETTING,
  settingsFrame,
  windowUpdateFrame,
} from '@rws/h2';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RawClient, start } from './helpers.js';

const run = promisify(execFile);

const hasNghttp = existsSync('/usr/bin/nghttp');
if (!hasNghttp) {
  const reason = 'nghttp not found (apt-get install nghttp2-client)';
  if (process.env['CI'] === 'true') throw new Error(`CI needs ${reason}`);
  console.warn(`[@rws/server] skipping the nghttp -u test: ${reason}`);
}

const app = async (req: Request) =>
  req.path === '/big'
    ? text('x'.repeat(1000))
    : json({
        protocol: req.protocol,
        method: req.method,
        target: req.target,
        authority: req.authority,
        custom: req.headers.get('x-custom'),
        hasUpgradeFields:
          req.headers.has('upgrade') ||
          req.headers.has('http2-settings') ||
          req.headers.has('connection'),
        body: await req.body.text(),
      });

/** base64url of a SETTINGS payload, as the HTTP2-Settings field carries it. */
function http2Settings(settings: [number, number][]): string {
  return settingsFrame(settings).subarray(9).toString('base64url');
}

interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
  fields?: string[];
}

/** A raw client: an HTTP/1.1 upgrade request, then HTTP/2 frames on the same socket. */
class UpgradeClient {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  head = '';
  #buffer = Buffer.alloc(0);
  #isHeadRead = false;
  #waiters: (() => void)[] = [];
  readonly #parser: FrameParser;
  readonly #decoder = new HpackDecoder();
  readonly encoder: HpackEncoder = new HpackEncoder();

  constructor(socket: Socket) {
    this.socket = socket;
    this.#parser = new FrameParser(
      (type, flags, streamId, payload) => {
        const f: Frame = { type, flags, streamId, payload: Buffer.from(payload) };
        if (type === FRAME_TYPE.HEADERS) f.fields = this.#decoder.decode(payload);
        this.frames.push(f);
      },
      { isServer: false },
    );
    socket.on('data', (chunk: Buffer) => {
      if (this.#isHeadRead) this.#parser.push(chunk);
      else {
        this.#buffer = Buffer.concat([this.#buffer, chunk]);
        const end = this.#buffer.indexOf('\r\n\r\n');
        if (end !== -1) {
          this.#isHeadRead = true;
          this.head = this.#buffer.subarray(0, end).toString('latin1');
          const rest = this.#buffer.subarray(end + 4);
          if (rest.length > 0) this.#parser.push(rest);
        }
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on('error', () => {});
    onTestFinished(() => {
      socket.destroy();
    });
  }

  static async open(port: number): Promise<UpgradeClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new UpgradeClient(socket);
  }

  async until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  dataOn(streamId: number): number {
    let n = 0;
    for (const f of this.frames) {
      if (f.type === FRAME_TYPE.DATA && f.streamId === streamId) n += f.payload.length;
    }
    return n;
  }

  isEnded(streamId: number): boolean {
    return this.frames.some(
      (f) =>
        f.streamId === streamId &&
        (f.type === FRAME_TYPE.DATA || f.type === FRAME_TYPE.HEADERS) &&
        (f.flags & FLAG.END_STREAM) !== 0,
    );
  }

  body(streamId: number): string {
    return Buffer.concat(
      this.frames
        .filter((f) => f.type === FRAME_TYPE.DATA && f.streamId === streamId)
        .map((f) => f.payload),
    ).toString();
  }
}

describe('Upgrade: h2c (RFC 7540 §3.2, opt-in with `h2c`)', () => {
  it('answers 101, applies HTTP2-Settings, serves the request as stream 1, then speaks HTTP/2', async () => {
    const server = await start(app, { h2c: true });
    const client = await UpgradeClient.open(server.address.port);
    // A 100-octet initial window: the server may send only 100 body octets on stream 1.
    const settings = http2Settings([[SETTING.INITIAL_WINDOW_SIZE, 100]]);
    client.socket.write(
      'GET /big HTTP/1.1\r\nhost: localhost\r\nconnection: Upgrade, HTTP2-Settings\r\n' +
        `upgrade: h2c\r\nhttp2-settings: ${settings}\r\n\r\n`,
    );
    await client.until(() => client.dataOn(1) >= 100, 'the first 100 octets of stream 1');
    expect(client.head).toMatch(/^HTTP\/1\.1 101 /);
    expect(client.head.toLowerCase()).toContain('upgrade: h2c');
    // RFC 7540 §3.2: the server's first HTTP/2 frame is SETTINGS.
    expect(client.frames[0]).toMatchObject({ type: FRAME_TYPE.SETTINGS, flags: 0, streamId: 0 });
    const head = client.frames.find((f) => f.type === FRAME_TYPE.HEADERS && f.streamId === 1);
    expect(head?.fields?.slice(0, 2)).toEqual([':status', '200']);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.dataOn(1)).toBe(100);
    expect(client.isEnded(1)).toBe(false);

    // The client's preface, then window for the rest of the body.
    client.socket.write(
      Buffer.concat([
        CONNECTION_PREFACE,
        settingsFrame([]),
        windowUpdateFrame(1, 900),
        windowUpdateFrame(0, 900),
      ]),
    );
    await client.until(() => client.isEnded(1), 'the end of stream 1');
    expect(client.body(1)).toBe('x'.repeat(1000));

    // The connection is HTTP/2 now: stream 3 is a new request.
    const fields = [
      ':method',
      'GET',
      ':scheme',
      'http',
      ':authority',
      'localhost',
      ':path',
      '/next',
    ];
    client.socket.write(headersFrames(3, client.encoder.encode(fields), true, 16384));
    client.socket.write(windowUpdateFrame(3, 10_000));
    await client.until(() => client.isEnded(3), 'the end of stream 3');
    expect(JSON.parse(client.body(3))).toMatchObject({ protocol: 'h2', target: '/next' });
  });

  it('passes the request as it was: method, target, authority, fields minus hop-by-hop ones', async () => {
    const server = await start(app, { h2c: true });
    const client = await UpgradeClient.open(server.address.port);
    client.socket.write(
      `OPTIONS /a/b?c=1 HTTP/1.1\r\nhost: localhost:${server.address.port}\r\nx-custom: yes\r\n` +
        'connection: keep-alive, Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\n' +
        `http2-settings: ${http2Settings([])}\r\n\r\n`,
    );
    client.socket.write(Buffer.concat([CONNECTION_PREFACE, settingsFrame([])]));
    await client.until(() => client.isEnded(1), 'the end of stream 1');
    expect(JSON.parse(client.body(1))).toEqual({
      protocol: 'h2',
      method: 'OPTIONS',
      target: '/a/b?c=1',
      authority: `localhost:${server.address.port}`,
      custom: 'yes',
      hasUpgradeFields: false,
      body: '',
    });
  });

  it('ends the connection with GOAWAY when HTTP2-Settings holds an invalid value', async () => {
    const server = await start(app, { h2c: true });
    const client = await UpgradeClient.open(server.address.port);
    // SETTINGS_MAX_FRAME_SIZE below 16384 is a connection error (RFC 9113 §6.5.2).
    const settings = http2Settings([[SETTING.MAX_FRAME_SIZE, 1]]);
    client.socket.write(
      'GET / HTTP/1.1\r\nhost: localhost\r\nconnection: Upgrade, HTTP2-Settings\r\n' +
        `upgrade: h2c\r\nhttp2-settings: ${settings}\r\n\r\n`,
    );
    await client.until(() => client.frames.some((f) => f.type === FRAME_TYPE.GOAWAY), 'the GOAWAY');
    const goaway = client.frames.find((f) => f.type === FRAME_TYPE.GOAWAY)!;
    expect(goaway.payload.readUInt32BE(4)).toBe(1); // PROTOCOL_ERROR
    expect(client.frames.some((f) => f.streamId === 1)).toBe(false);
  });

  it('stays on HTTP/1.1 for requests that may not switch', async () => {
    const server = await start(app, { h2c: true });
    const valid = http2Settings([]);
    const cases: [string, string][] = [
      ['no HTTP2-Settings', 'connection: Upgrade\r\nupgrade: h2c\r\n'],
      [
        'two HTTP2-Settings',
        `connection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: ${valid}\r\nhttp2-settings: ${valid}\r\n`,
      ],
      [
        'HTTP2-Settings not a Connection option',
        `connection: Upgrade\r\nupgrade: h2c\r\nhttp2-settings: ${valid}\r\n`,
      ],
      [
        'HTTP2-Settings not base64url',
        'connection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: AA*AAA\r\n',
      ],
      [
        'HTTP2-Settings not whole settings',
        'connection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: AAMA\r\n',
      ],
      [
        'another protocol',
        `connection: Upgrade, HTTP2-Settings\r\nupgrade: h3c\r\nhttp2-settings: ${valid}\r\n`,
      ],
      [
        'a request with content',
        `connection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: ${valid}\r\ncontent-length: 2\r\n`,
      ],
    ];
    for (const [name, fields] of cases) {
      const client = await RawClient.plain(server.address.port);
      const body = fields.includes('content-length') ? 'hi' : '';
      const res = await client.request('/', {
        raw: `POST /x HTTP/1.1\r\nhost: localhost\r\n${fields}\r\n${body}`,
      });
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
      expect(JSON.parse(res.body)).toMatchObject({ protocol: 'http/1.1', body });
    }
  });

  it('is off without `h2c`: the Upgrade is ignored and HTTP/1.1 answers', async () => {
    const server = await start(app);
    const client = await RawClient.plain(server.address.port);
    const res = await client.request('/', {
      headers: `connection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: ${http2Settings([])}\r\n`,
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ protocol: 'http/1.1' });
  });

  it('curl --http2 upgrades, and its next request reuses the HTTP/2 connection', async () => {
    const server = await start(app, { h2c: true });
    const base = `http://127.0.0.1:${server.address.port}`;
    const { stdout, stderr } = await run('curl', [
      '-sS',
      '-v',
      '--http2',
      '-H',
      'x-custom: from-curl',
      '-w',
      '\n%{http_version} %{num_connects}\n',
      `${base}/first`,
      `${base}/second`,
    ]);
    expect(stderr).toContain('< HTTP/1.1 101');
    const lines = stdout.trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      protocol: 'h2',
      target: '/first',
      custom: 'from-curl',
    });
    expect(lines[1]).toBe('2 1');
    expect(JSON.parse(lines[2]!)).toMatchObject({ protocol: 'h2', target: '/second' });
    expect(lines[3]).toBe('2 0');
  });

  it.skipIf(!hasNghttp)('nghttp -u upgrades and receives the response on stream 1', async () => {
    const server = await start(app, { h2c: true });
    const { stdout } = await run('nghttp', ['-nvu', `http://127.0.0.1:${server.address.port}/ng`]);
    expect(stdout).toContain('HTTP Upgrade success');
    expect(stdout).toContain('recv (stream_id=1) :status: 200');
    expect(stdout).toContain('; END_STREAM');
  });
});
