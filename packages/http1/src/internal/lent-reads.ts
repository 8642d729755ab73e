/**
 * Reads into one buffer shared by every socket: Node's `onread` mode of `net.Socket`
 * (`{ onread: { buffer, callback } }`), turned on for a socket that already exists. In that
 * mode libuv reads straight into the buffer and Node calls the callback with the byte count:
 * no ArrayBuffer, Buffer, readable-stream push, 'data' event or `nextTick` per read, which is
 * about a quarter of the instructions of a small WebSocket echo (issue #14). The bytes are
 * lent: they are overwritten by the next read of any socket, so whoever receives them copies
 * what it keeps past the call.
 *
 * The HTTP/1.1 server's connections read this way too (a request head is parsed, its strings
 * copied out, within the call), and hand the socket on with `returnReads` or to `lendReads`
 * again when it is upgraded.
 *
 * Node offers the option only to sockets it constructs from options; sockets a `net.Server`
 * accepts get none. Node keeps the option in three symbol-keyed fields that every socket has
 * (null when unused) and hands the buffer to the handle with `useUserBuffer`; this module
 * finds the fields by their symbols' descriptions and does the same. Everything is checked
 * first, and a socket where anything is missing (another runtime, a TLS socket, a future Node
 * that renamed them) keeps its ordinary 'data' events.
 */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';

/** Same size as Node's own read buffers. */
const LENT_BUFFER_BYTES = 64 * 1024;
let lentBuffer: Buffer | null = null;

interface OnreadKeys {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}
let onreadKeys: OnreadKeys | null = null;

type HandleWithUserBuffer = { useUserBuffer?: (buf: Uint8Array) => void };
type OnreadSocket = Socket & {
  encrypted?: boolean;
  _handle?: HandleWithUserBuffer | null;
} & Record<symbol, unknown>;

/**
 * Makes `socket` deliver its reads to `onRead` (called with the socket as `this`, the number
 * of bytes and the shared buffer) instead of 'data' events. Bytes the socket's readable side
 * already holds are returned for the caller to handle first (null when none). False when the
 * socket cannot be switched: it then goes on with 'data' events and nothing was changed.
 * A socket already lent (the HTTP/1.1 server's, handed on after an upgrade) only changes
 * hands: its reads go to `onRead` from now on.
 */
export function lendReads(
  socket: Socket,
  onRead: (this: Socket, bytes: number, buf: Buffer) => unknown,
): { isLent: boolean; buffered: Buffer | null } {
  const s = socket as OnreadSocket;
  const handle = s._handle;
  // TLS sockets read through the TLS layer; only a plain TCP handle reads into the buffer.
  if (s.encrypted === true || s.destroyed || handle == null) return NOT_LENT;
  if (typeof handle.useUserBuffer !== 'function') return NOT_LENT;
  const keys = onreadKeys ?? findOnreadKeys(s);
  if (keys === null || s[keys.generator] !== null) return NOT_LENT;
  const current = s[keys.buffer];
  if (current !== null && current !== lentBuffer) return NOT_LENT;
  // What the readable side buffered before the switch comes first, as one chunk.
  const buffered = s.readableLength > 0 ? (s.read() as Buffer | null) : null;
  s[keys.callback] = onRead;
  if (current === null) {
    lentBuffer ??= Buffer.allocUnsafe(LENT_BUFFER_BYTES);
    s[keys.buffer] = lentBuffer;
    handle.useUserBuffer(lentBuffer);
  }
  return { isLent: true, buffered };
}

/**
 * Pauses `socket` for a new owner that does not know about lending (a `Tunnel`, an h2c
 * connection) and gives it back its ordinary readable side: from now on each read is copied
 * out of the shared buffer and pushed as a chunk of its own, so 'data', `read()`, `resume()`
 * and backpressure behave as on any socket. (The handle cannot stop reading into the buffer
 * once told to; the copy stands in for the buffer Node would have allocated.) As on a socket
 * that was never lent, the pause stops the flow of 'data' but not the handle, which reads on
 * into the readable side up to its high-water mark: a reset is noticed while nobody reads.
 * `lendReads` can still take the socket over again.
 */
export function returnReads(socket: Socket): void {
  const s = socket as OnreadSocket;
  const keys = onreadKeys;
  if (keys !== null && lentBuffer !== null && s[keys.buffer] === lentBuffer) {
    s[keys.callback] = pushCopy;
  }
  // Readable's own pause: net.Socket's stops the handle of a socket in `onread` mode.
  Readable.prototype.pause.call(socket);
}

/**
 * Views of the shared read buffer's first n bytes, by n, for reads of up to this many bytes.
 * A lent chunk is only read during the call, so the same window serves every read of its
 * size: a small read makes no typed array (about 200 instructions, and young-heap garbage).
 */
const CACHED_VIEW_MAX_BYTES = 4096;
let lentViews: (Buffer | undefined)[] = [];
/** The shared buffer `lentViews` look into (one per process; checked, not assumed). */
let lentViewsOf: Buffer | null = null;

/**
 * `buf[0, bytes)` for a lent-read callback: a cached view for small reads. Like the bytes,
 * the view is valid during the call only (the same object serves the next read).
 */
export function lentView(buf: Buffer, bytes: number): Buffer {
  if (bytes > CACHED_VIEW_MAX_BYTES) return buf.subarray(0, bytes);
  if (lentViewsOf !== buf) {
    // Preallocated: a sparse array would fall back to slow dictionary elements.
    lentViews = new Array<Buffer | undefined>(CACHED_VIEW_MAX_BYTES + 1);
    lentViewsOf = buf;
  }
  let view = lentViews[bytes];
  if (view === undefined) {
    view = buf.subarray(0, bytes);
    lentViews[bytes] = view;
  }
  return view;
}

function pushCopy(this: Socket, bytes: number, buf: Buffer): boolean {
  const chunk = Buffer.allocUnsafe(bytes);
  buf.copy(chunk, 0, 0, bytes);
  return this.push(chunk);
}

const NOT_LENT = { isLent: false, buffered: null } as const;

function findOnreadKeys(socket: OnreadSocket): OnreadKeys | null {
  let buffer: symbol | undefined;
  let callback: symbol | undefined;
  let generator: symbol | undefined;
  for (const key of Object.getOwnPropertySymbols(socket)) {
    if (key.description === 'kBuffer') buffer = key;
    else if (key.description === 'kBufferCb') callback = key;
    else if (key.description === 'kBufferGen') generator = key;
  }
  if (buffer === undefined || callback === undefined || generator === undefined) return null;
  // Cached once found: they are module-level symbols of Node's net, the same for every socket.
  onreadKeys = { buffer, callback, generator };
  return onreadKeys;
}
