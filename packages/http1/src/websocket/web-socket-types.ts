/** The public types of a WebSocket: its messages, handlers, options and how it ended. */
import type { PerMessageDeflate } from './permessage-deflate.js';
import type { WebSocket } from './web-socket.js';

/** A message as delivered: text frames as a string, binary frames as bytes. */
export type WebSocketMessage = string | Uint8Array;

/** How a WebSocket ended. */
export interface CloseInfo {
  /**
   * The close code (RFC 6455 §7.4): the peer's, the one we failed the connection with, 1005
   * when a Close frame carried none, 1006 when the connection dropped without a handshake.
   */
  readonly code: number;
  readonly reason: string;
  /** True when both Close frames were exchanged and the connection ended in order. */
  readonly wasClean: boolean;
}

/** Callbacks of a WebSocket; each receives the socket last. */
export interface WebSocketHandlers {
  /**
   * Called for each complete message. When it is set, messages are not queued for async
   * iteration. A thrown error or rejected promise goes to `onError` and closes with 1011.
   */
  readonly onMessage?: ((message: WebSocketMessage, ws: WebSocket) => unknown) | undefined;
  /** Called once when the connection has ended, cleanly or not. */
  readonly onClose?: ((info: CloseInfo, ws: WebSocket) => void) | undefined;
  /** Called for a protocol violation by the peer, a failing handler or a failing write. */
  readonly onError?: ((error: unknown, ws: WebSocket) => void) | undefined;
}

/** Options of a `WebSocket` beyond its handlers; `upgradeWebSocket`/`connectWebSocket` fill them. */
export interface WebSocketOptions extends WebSocketHandlers {
  /** True for the server side: incoming frames must be masked, outgoing never are. */
  readonly isServer: boolean;
  /** The negotiated subprotocol, or ''. */
  readonly protocol?: string | undefined;
  /** The negotiated Sec-WebSocket-Extensions value, or ''. */
  readonly extensions?: string | undefined;
  /** The negotiated permessage-deflate state, or null. */
  readonly deflate?: PerMessageDeflate | null | undefined;
  /** Largest message (after inflation) and frame accepted; past it 1009. Default 16 MiB. */
  readonly maxMessageBytes?: number | undefined;
  /** Send a Ping this often (0 = never). Default 30000 on the server, 0 on the client. */
  readonly pingIntervalMs?: number | undefined;
  /** Drop the connection (1006) when a Pong does not follow a Ping within this. Default 10000. */
  readonly pongTimeoutMs?: number | undefined;
  /** Drop the connection when the closing handshake takes longer than this. Default 5000. */
  readonly closeTimeoutMs?: number | undefined;
  /** Messages shorter than this are sent uncompressed. Default 1024. */
  readonly deflateThresholdBytes?: number | undefined;
}

/** The handlers and timings a WebSocket reads after its construction. */
export type WebSocketSettings = WebSocketHandlers &
  Pick<
    WebSocketOptions,
    | 'maxMessageBytes'
    | 'pingIntervalMs'
    | 'pongTimeoutMs'
    | 'closeTimeoutMs'
    | 'deflateThresholdBytes'
  >;
