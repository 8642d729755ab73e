/**
 * WebSocket test helpers: a server on 127.0.0.1:0 whose every request goes to
 * `upgradeWebSocket`, and a raw node:net peer that writes exact frame bytes and reads the
 * server's frames back.
 */
import { connect, type Socket } from 'node:net';
import type { Handler } from '@rws/core';
import { onTestFinished } from 'vitest';
import { createServer, type Http1Server } from '../../src/index.js';
import { encodeFrame } from '../../src/websocket/encode-frame.js';
import { type Frame, FrameParser } from '../../src/websocket/frame-parser.js';
import { type UpgradeWebSocketOptions, upgradeWebSocket } from '../../src/websocket/index.js';

export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
/** RFC 6455 §1.3's sample answer for KEY. */
export const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

export interface WsServer {
  server: Http1Server;
  port: number;
  url: string;
}

/** Starts an HTTP/1.1 server running `handler`, closed when the test ends. */
export async function startHandler(handler: Handler): Promise<WsServer> {
  const server = createServer(handler, { onError: () => {} });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close({ graceMs: 50 }));
  return { server, port, url: `ws://127.0.0.1:${port}` };
}

/** Starts a server whose every request is `upgradeWebSocket(req, options)`. */
export function startWs(options: UpgradeWebSocketOptions): Promise<WsServer> {
  return startHandler((req) => upgradeWebSocket(req, options));
}

/** An echo server: each message is sent back as it came. */
export function startEcho(extra: UpgradeWebSocketOptions = {}): Promise<WsServer> {
  return startWs({ onMessage: (m, ws) => ws.send(m).catch(() => {}), ...extra });
}

/** The handshake request's bytes. */
export function handshakeRequest(extra = '', path = '/'): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  );
}

/** A raw client: a socket past the 101, reading the server's frames. */
export class RawClient {
  readonly socket: Socket;
  readonly head: string;
  readonly frames: Frame[] = [];
  isEnded = false;
  readonly #parser = new FrameParser({
    expectMasked: false,
    maxFrameBytes: 1 << 30,
    allowRsv1: true,
  });
  #waiters: (() => void)[] = [];

  constructor(socket: Socket, head: string, rest: Buffer) {
    this.socket = socket;
    this.head = head;
    socket.on('data', (d: Buffer) => this.#push(d));
    socket.on('end', () => {
      this.isEnded = true;
      this.#wake();
    });
    socket.on('close', () => {
      this.isEnded = true;
      this.#wake();
    });
    if (rest.length > 0) this.#push(rest);
  }

  #push(d: Buffer): void {
    for (const f of this.#parser.push(d)) this.frames.push(f);
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Sends one masked frame. */
  send(
    opcode: number,
    payload: Uint8Array | string,
    options: { fin?: boolean; rsv1?: boolean } = {},
  ): void {
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    this.socket.write(encodeFrame(opcode, bytes, { mask: true, ...options }));
  }

  /** Waits until `predicate` holds over the frames received, or the timeout passes. */
  async waitFor(predicate: (frames: Frame[]) => boolean, timeoutMs = 3000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      if (this.isEnded && !predicate(this.frames)) return this.frames;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out; frames: ${JSON.stringify(this.frames.map(describe))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.frames;
  }

  /** Resolves with the close frame's code (1005 for none) once one arrived; null if none. */
  async closeCode(timeoutMs = 3000): Promise<number | null> {
    const frames = await this.waitFor((f) => f.some((x) => x.opcode === 8), timeoutMs);
    const close = frames.find((x) => x.opcode === 8);
    if (close === undefined) return null;
    return close.payload.length >= 2 ? Buffer.from(close.payload).readUInt16BE(0) : 1005;
  }

  /** Resolves once the server has closed the TCP connection. */
  async ended(timeoutMs = 3000): Promise<void> {
    await this.waitFor(() => this.isEnded, timeoutMs);
    if (!this.isEnded) throw new Error('the server did not end the connection');
  }
}

function describe(f: Frame): string {
  return `op=${f.opcode} fin=${f.fin} len=${f.payload.length}`;
}

/** Opens a raw connection and completes the handshake; fails unless the answer is 101. */
export async function rawConnect(port: number, extra = '', path = '/'): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  onTestFinished(() => {
    socket.destroy();
  });
  socket.setNoDelay(true);
  socket.write(handshakeRequest(extra, path));
  let buf = Buffer.alloc(0);
  const head = await new Promise<{ head: string; rest: Buffer }>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.removeListener('data', onData);
      socket.removeListener('error', reject);
      resolve({ head: buf.subarray(0, end).toString('latin1'), rest: buf.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
  if (!head.head.startsWith('HTTP/1.1 101 ')) throw new Error(`no 101: ${head.head}`);
  return new RawClient(socket, head.head, head.rest);
}

/** Sends raw request bytes and resolves with the whole response text once the head and body arrived. */
export async function rawHttp(
  port: number,
  request: string,
): Promise<{ status: number; head: string; body: string }> {
  const socket = connect(port, '127.0.0.1');
  onTestFinished(() => {
    socket.destroy();
  });
  socket.write(request);
  let raw = '';
  return new Promise((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      raw += d.toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = raw.slice(0, end);
      const m = /content-length: (\d+)/i.exec(head);
      const body = raw.slice(end + 4);
      if (m !== null && body.length >= Number(m[1])) {
        socket.destroy();
        resolve({ status: Number(head.slice(9, 12)), head, body });
      }
    });
    socket.on('error', reject);
  });
}
