/**
 * The state constants of a server connection, shared by `ServerConnection` and the modules
 * that read requests, write responses and keep its deadlines.
 */

// Connection states.
export const ST_HEAD = 0;
export const ST_BODY = 1;
export const ST_WAIT = 2;
export const ST_CLOSED = 3;
export const ST_UPGRADED = 4;

// Body framing of the current request.
export const BODY_NONE = 0;
export const BODY_LENGTH = 1;
export const BODY_CHUNKED = 2;

// What the connection deadline means.
export const DL_NONE = 0;
export const DL_IDLE = 1;
export const DL_HEADERS = 2;
export const DL_REQUEST = 3;
export const DL_LINGER = 4;
/**
 * Response bytes are waiting for the peer to read them. Sits on top of the deadline it
 * interrupted (kept in `savedKind`/`savedDeadline`), which comes back once the queue empties.
 */
export const DL_SEND = 5;

/** How long a connection we are closing may linger for the peer to read our last response. */
export const LINGER_MS = 2000;

/** Largest unread request body rest that is read and dropped to keep a connection alive. */
export const MAX_DISCARD_BYTES: number = 64 * 1024;

/** A streamed response body. */
export type StreamBody = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** Listener and catch handler that ignores its argument. */
export function noop(): void {}
