/**
 * WebSocket (RFC 6455, permessage-deflate RFC 7692) for rws: `upgradeWebSocket` answers a
 * handshake from a route handler, `connectWebSocket` is the client, `Topic` broadcasts. The
 * codec works on core's `Tunnel`, so HTTP/2 extended CONNECT (RFC 8441) reuses it.
 * @module
 */

export type { ConnectWebSocketOptions } from './connect-web-socket.js';
export { connectWebSocket } from './connect-web-socket.js';
export type { EncodeFrameOptions } from './encode-frame.js';
export { encodeFrame } from './encode-frame.js';
export type { Frame, FrameParserOptions } from './frame-parser.js';
export { FrameParser } from './frame-parser.js';
export { acceptKey } from './handshake.js';
export { isValidCloseCode, OPCODE } from './opcodes.js';
export type { DeflateOptions, DeflateParams } from './permessage-deflate.js';
export { ProtocolError } from './protocol-error.js';
export { createTopic, Topic } from './topic.js';
export type { OriginCheck, UpgradeWebSocketOptions } from './upgrade-web-socket.js';
export { upgradeWebSocket } from './upgrade-web-socket.js';
export type {
  CloseInfo,
  WebSocketHandlers,
  WebSocketMessage,
  WebSocketOptions,
} from './web-socket.js';
export { WebSocket } from './web-socket.js';
