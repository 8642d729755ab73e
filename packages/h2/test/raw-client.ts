/**
 * A raw HTTP/2 peer for tests: writes exact bytes to a real socket and collects the frames
 * the server sends. Header blocks are built by hand as HPACK literals without indexing, so
 * the bytes on the wire are the ones the test states.
 */
import { connect, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';
import { CONNECTION_PREFACE, FrameParser, HpackDecoder } from '../src/index.js';

export interface RawFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
  /** Decoded fields of a HEADERS frame (decoded on arrival, in order, like a real peer). */
  fields?: string[];
}

/** A frame: 9-octet header plus payload. */
export function rawFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
): Buffer {
  const b = Buffer.alloc(9 + payload.length);
  b.writeUIntBE(payload.length, 0, 3);
  b[3] = type;
  b[4] = flags;
  b.writeUInt32BE(streamId, 5);
  b.set(payload, 9);
  return b;
}

/** An HPACK literal field without indexing, new name, no Huffman (RFC 7541 §6.2.2). */
export function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  if (n.length > 126 || v.length > 126) {
    return Buffer.concat([Buffer.from([0x00]), hpackLength(n.length), n, hpackLength(v.length), v]);
  }
  return Buffer.concat([Buffer.from([0x00, n.length]), n, Buffer.from([v.length]), v]);
}

function hpackLength(n: number): Buffer {
  if (n < 127) return Buffer.from([n]);
  const out = [127];
  let rest = n - 127;
  while (rest >= 128) {
    out.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  out.push(rest);
  return Buffer.from(out);
}

/** A header block of literals from a flat `[name, value, …]` list. */
export function block(fields: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < fields.length; i += 2) parts.push(literal(fields[i]!, fields[i + 1]!));
  return Buffer.concat(parts);
}

export const GET: string[] = [
  ':method',
  'GET',
  ':scheme',
  'http',
  ':path',
  '/',
  ':authority',
  'localhost',
];

export class RawClient {
  readonly socket: Socket;
  readonly frames: RawFrame[] = [];
  readonly decoder: HpackDecoder = new HpackDecoder();
  readonly closed: Promise<void>;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    const parser = new FrameParser(
      (type, flags, streamId, payload) => {
        const f: RawFrame = { type, flags, streamId, payload: Buffer.from(payload) };
        if (type === 0x1) f.fields = this.decoder.decode(f.payload);
        this.frames.push(f);
        for (const w of this.#waiters) w();
      },
      { isServer: false, maxFrameSize: 1 << 24 },
    );
    socket.on('data', (d: Buffer) => parser.push(d));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        resolve();
        for (const w of this.#waiters) w();
      }),
    );
  }

  /** Connects; by default sends the preface and an empty SETTINGS frame. */
  static async connect(
    port: number,
    options: { preface?: boolean; settings?: Buffer } = {},
  ): Promise<RawClient> {
    const socket = connect({ port, host: '127.0.0.1' });
    onTestFinished(() => {
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawClient(socket);
    if (options.preface !== false) {
      client.write(Buffer.concat([CONNECTION_PREFACE, rawFrame(0x4, 0, 0, options.settings)]));
    }
    return client;
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** HEADERS (END_HEADERS, optionally END_STREAM) with a literal block. */
  headers(streamId: number, fields: readonly string[], isEndStream = true): void {
    this.write(rawFrame(0x1, 0x4 | (isEndStream ? 1 : 0), streamId, block(fields)));
  }

  /** Waits for a frame matching `pred` (already received or coming); rejects after 3 s. */
  async waitFor(pred: (f: RawFrame) => boolean, what = 'frame'): Promise<RawFrame> {
    const deadline = Date.now() + 3000;
    for (;;) {
      const found = this.frames.find(pred);
      if (found !== undefined) return found;
      if (this.socket.destroyed || this.socket.readableEnded)
        throw new Error(`closed before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      this.#waiters = [];
    }
  }

  /** Waits for GOAWAY; returns [lastStreamId, errorCode, debug]. */
  async goaway(): Promise<[number, number, string]> {
    const f = await this.waitFor((x) => x.type === 0x7, 'GOAWAY');
    return [
      f.payload.readUInt32BE(0),
      f.payload.readUInt32BE(4),
      f.payload.subarray(8).toString('latin1'),
    ];
  }

  /** Waits for RST_STREAM on `streamId`; returns its error code. */
  async rst(streamId: number): Promise<number> {
    const f = await this.waitFor(
      (x) => x.type === 0x3 && x.streamId === streamId,
      `RST_STREAM ${streamId}`,
    );
    return f.payload.readUInt32BE(0);
  }

  /** Decoded fields of the first HEADERS frame on `streamId` (END_HEADERS assumed). */
  async responseHeaders(streamId: number): Promise<Record<string, string>> {
    const f = await this.waitFor(
      (x) => x.type === 0x1 && x.streamId === streamId,
      `HEADERS ${streamId}`,
    );
    const list = f.fields ?? [];
    const out: Record<string, string> = {};
    for (let i = 0; i < list.length; i += 2) out[list[i]!] = list[i + 1]!;
    return out;
  }

  /** Concatenated DATA of `streamId` once END_STREAM arrives. */
  async body(streamId: number): Promise<string> {
    await this.waitFor(
      (x) => (x.type === 0x0 || x.type === 0x1) && x.streamId === streamId && (x.flags & 1) === 1,
      `END_STREAM ${streamId}`,
    );
    return Buffer.concat(
      this.frames.filter((x) => x.type === 0 && x.streamId === streamId).map((x) => x.payload),
    ).toString();
  }
}
