/** @module */

export type { H2ErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
export type { HpackDecoderOptions } from './hpack-decoder.js';
export { HpackDecoder } from './hpack-decoder.js';
export { HpackEncoder } from './hpack-encoder.js';
export { huffmanDecode, huffmanEncode, huffmanEncodedLength } from './huffman.js';
