/** @module */

export type { H2ErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
export type { FrameHandler } from './frame-parser.js';
export { FrameParser, H2ConnectionError } from './frame-parser.js';
export {
  CONNECTION_PREFACE,
  FLAG,
  FRAME_TYPE,
  frame,
  goawayFrame,
  H2_ERROR,
  headersFrames,
  pingFrame,
  rstStreamFrame,
  SETTING,
  settingsFrame,
  windowUpdateFrame,
} from './frames.js';
export type { ClientResponse, Http2ClientOptions, Http2RequestInit } from './h2-client.js';
export { Http2Client } from './h2-client.js';
export type { Http2ServerOptions } from './h2-server.js';
export { Http2Server } from './h2-server.js';
export { h2cUpgradeSettings } from './h2c-upgrade.js';
export type { HpackDecoderOptions } from './hpack-decoder.js';
export { HpackDecoder } from './hpack-decoder.js';
export { HpackEncoder } from './hpack-encoder.js';
export { huffmanDecode, huffmanEncode, huffmanEncodedLength } from './huffman.js';
export type { RequestHead } from './request-fields.js';
export { isConnectionSpecific, parseRequestFields, trailerProblem } from './request-fields.js';
