import { TextDecoder } from 'node:util';
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { decodeOrThrow } from './message-parts.js';
import { isValidCloseCode } from './opcodes.js';
import { ProtocolError } from './protocol-error.js';

/** The body of a Close frame (RFC 6455 §5.5.1): a status code and a UTF-8 reason. */

const EMPTY = new Uint8Array(0);

/**
 * The reason of a `close(code, reason)` call as bytes, after checking the arguments: a code
 * an endpoint may send and a reason of at most 123 bytes (a control frame holds 125).
 */
export function checkedCloseReason(code: number, reason: string): Uint8Array {
  if (!isValidCloseCode(code)) {
    throw new RwsError(ERROR_CODES.WS_INVALID_ARGUMENT, `invalid close code ${code}`);
  }
  const reasonBytes = Buffer.from(reason);
  if (reasonBytes.byteLength > 123) {
    throw new RwsError(ERROR_CODES.WS_INVALID_ARGUMENT, 'a close reason is at most 123 bytes');
  }
  return reasonBytes;
}

/** The payload of a Close frame; 1005 (no status) is sent as an empty payload. */
export function encodeClosePayload(code: number, reason: Uint8Array): Uint8Array {
  if (code === 1005) return EMPTY;
  const buf = Buffer.allocUnsafe(2 + reason.byteLength);
  buf.writeUInt16BE(code, 0);
  buf.set(reason, 2);
  return buf;
}

/** The peer's code and reason (1005 for an empty payload); a ProtocolError for a bad one. */
export function parseClosePayload(payload: Uint8Array): { code: number; reason: string } {
  if (payload.byteLength === 0) return { code: 1005, reason: '' };
  if (payload.byteLength === 1) throw new ProtocolError(1002, 'a close payload of one byte');
  const code = ((payload[0] as number) << 8) | (payload[1] as number);
  if (!isValidCloseCode(code)) throw new ProtocolError(1002, `invalid close code ${code}`);
  const reason = decodeOrThrow(
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }),
    payload.subarray(2),
    false,
  );
  return { code, reason };
}
