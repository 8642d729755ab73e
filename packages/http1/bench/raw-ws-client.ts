/**
 * A WebSocket load generator that costs the client as little as possible, so the benchmark
 * measures the server (issue #14): a `ws` client spent about 10 µs and 54 000 instructions per
 * echo, as much as the server it drove. Each socket is a plain `node:net` connection reading
 * into one buffer shared by all of them (`onread`, no Buffer or 'data' event per read); the
 * handshake is one pre-built request; a message is one pre-encoded masked frame whose first
 * ten payload bytes carry the sequence number, patched in place before each send. Incoming
 * frames are parsed only as far as the benchmark needs: server frames are unmasked, so a frame
 * is its header plus payload, and anything but a text frame of the expected length fails the
 * run. Not a general client: no fragmentation, no control frames, no extensions.
 *
 * @see RFC 6455 §5.2 (frame layout), §5.3 (client masking), §4.1 (opening handshake)
 */
import { connect, type Socket } from 'node:net';

/** Digits of the sequence number at the start of each echo payload. */
const SEQUENCE_DIGITS = 10;
const OPCODE_TEXT = 0x1;
const HANDSHAKE_END = Buffer.from('\r\n\r\n');
/** Any key works: this client does not check Sec-WebSocket-Accept (the status is enough). */
const HANDSHAKE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Called with the payload length of each text frame and the shared buffer around it. */
type OnFrame = (payloadBytes: number, buf: Buffer, payloadStart: number) => void;

/** One connected raw WebSocket client socket. */
export class RawWsSocket {
  readonly socket: Socket;
  /** Bytes of a frame split across reads, kept until the rest arrives. */
  #partial: Buffer | null = null;
  #onFrame: OnFrame = () => {};

  constructor(socket: Socket) {
    this.socket = socket;
  }

  /** Installs the per-frame handler (replacing the previous one). */
  onFrame(handler: OnFrame): void {
    this.#onFrame = handler;
  }

  /** Parses `bytes` bytes at `start` of `buf` (which the next read overwrites). */
  feed(buf: Buffer, start: number, end: number): void {
    if (this.#partial !== null) {
      buf = Buffer.concat([this.#partial, buf.subarray(start, end)]);
      start = 0;
      end = buf.length;
      this.#partial = null;
    }
    while (start < end) {
      if (end - start < 2) break;
      const b0 = buf[start] as number;
      const b1 = buf[start + 1] as number;
      if ((b0 & 0x0f) !== OPCODE_TEXT || (b0 & 0x80) === 0 || (b1 & 0x80) !== 0) {
        this.socket.destroy(
          new Error(`unexpected frame header ${b0.toString(16)} ${b1.toString(16)}`),
        );
        return;
      }
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (end - start < 4) break;
        length = buf.readUInt16BE(start + 2);
        header = 4;
      } else if (length === 127) {
        if (end - start < 10) break;
        length = Number(buf.readBigUInt64BE(start + 2));
        header = 10;
      }
      if (end - start < header + length) break;
      this.#onFrame(length, buf, start + header);
      start += header + length;
    }
    if (start < end) this.#partial = Buffer.from(buf.subarray(start, end));
  }
}

/** A reusable masked text frame whose payload starts with a patchable sequence number. */
export class SequencedFrame {
  readonly bytes: Buffer;
  readonly payloadBytes: number;
  readonly #mask: Buffer;
  readonly #payloadStart: number;

  constructor(payloadBytes: number) {
    if (payloadBytes < SEQUENCE_DIGITS || payloadBytes > 0xffff)
      throw new Error(`payload must be ${SEQUENCE_DIGITS}..65535 bytes, got ${payloadBytes}`);
    const header = payloadBytes < 126 ? 2 : 4;
    this.payloadBytes = payloadBytes;
    this.#payloadStart = header + 4;
    this.bytes = Buffer.alloc(header + 4 + payloadBytes);
    this.bytes[0] = 0x80 | OPCODE_TEXT;
    if (header === 2) this.bytes[1] = 0x80 | payloadBytes;
    else {
      this.bytes[1] = 0x80 | 126;
      this.bytes.writeUInt16BE(payloadBytes, 2);
    }
    this.#mask = this.bytes.subarray(header, header + 4);
    for (let i = 0; i < 4; i++) this.#mask[i] = Math.floor(Math.random() * 256);
    for (let i = 0; i < payloadBytes; i++) this.#setByte(i, 0x78 /* 'x' */);
  }

  /** Writes `sequence` as ten decimal digits (masked) at the start of the payload. */
  setSequence(sequence: number): void {
    let n = sequence;
    for (let i = SEQUENCE_DIGITS - 1; i >= 0; i--) {
      this.#setByte(i, 0x30 + (n % 10));
      n = Math.floor(n / 10);
    }
  }

  #setByte(index: number, value: number): void {
    this.bytes[this.#payloadStart + index] = value ^ (this.#mask[index & 3] as number);
  }
}

/** Reads the sequence number an echoed payload starts with (NaN when it is not digits). */
export function readSequence(buf: Buffer, payloadStart: number): number {
  let n = 0;
  for (let i = 0; i < SEQUENCE_DIGITS; i++) {
    const d = (buf[payloadStart + i] as number) - 0x30;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

let sharedReadBuffer: Buffer | null = null;

/** Opens one WebSocket to `path`, resolving once the server answered 101. */
export function connectRaw(port: number, path: string): Promise<RawWsSocket> {
  sharedReadBuffer ??= Buffer.allocUnsafe(64 * 1024);
  const request = Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${HANDSHAKE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  return new Promise((resolve, reject) => {
    let head: Buffer | null = Buffer.alloc(0);
    let raw: RawWsSocket | null = null;
    const socket: Socket = connect({
      port,
      host: '127.0.0.1',
      noDelay: true,
      onread: {
        buffer: sharedReadBuffer as Buffer,
        callback: (bytes: number, buf: Uint8Array) => {
          const b = buf as Buffer;
          if (raw !== null && head === null) {
            raw.feed(b, 0, bytes);
            return true;
          }
          head = Buffer.concat([head as Buffer, b.subarray(0, bytes)]);
          const end = head.indexOf(HANDSHAKE_END);
          if (end === -1) return true;
          if (!head.subarray(0, 13).toString('latin1').startsWith('HTTP/1.1 101')) {
            socket.destroy();
            reject(new Error(`handshake refused: ${head.subarray(0, end).toString('latin1')}`));
            return true;
          }
          const rest = head.subarray(end + 4);
          head = null;
          raw = new RawWsSocket(socket);
          resolve(raw);
          if (rest.length > 0) raw.feed(rest, 0, rest.length);
          return true;
        },
      },
    });
    socket.once('error', reject);
    socket.once('connect', () => socket.write(request));
  });
}

/** Opens `n` sockets, at most 50 handshakes in flight. */
export async function connectManyRaw(
  port: number,
  path: string,
  n: number,
): Promise<RawWsSocket[]> {
  const sockets: RawWsSocket[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => connectRaw(port, path));
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}
