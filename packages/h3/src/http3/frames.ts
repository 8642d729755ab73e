import { HTTP3_ERROR, http3Error } from '../errors.js';
import { readVarint, varintLength, writeVarint } from '../quic/varint.js';

/**
 * HTTP/3 frame types. 0x02, 0x06, 0x08 and 0x09 are HTTP/2 types reserved so they are never
 * used (RFC 9114 §7.2.8): receiving one is H3_FRAME_UNEXPECTED.
 * @see RFC 9114 §7.2
 */
export const FRAME = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;

/** Frame types carried over from HTTP/2 that HTTP/3 forbids. */
export function isReservedHttp2Frame(type: number): boolean {
  return type === 0x02 || type === 0x06 || type === 0x08 || type === 0x09;
}

/**
 * Unidirectional stream types.
 * @see RFC 9114 §6.2, RFC 9204 §4.2
 */
export const UNI_STREAM = {
  CONTROL: 0x00,
  PUSH: 0x01,
  QPACK_ENCODER: 0x02,
  QPACK_DECODER: 0x03,
} as const;

/**
 * Setting identifiers we understand. 0x02–0x05 are HTTP/2 settings with no HTTP/3 meaning;
 * receiving one is H3_SETTINGS_ERROR (RFC 9114 §7.2.4.1).
 */
export const SETTING = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
  ENABLE_CONNECT_PROTOCOL: 0x08,
} as const;

/** Encodes one frame: type, length, payload. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(payload.length) + payload.length);
  let at = writeVarint(out, 0, type);
  at = writeVarint(out, at, payload.length);
  out.set(payload, at);
  return out;
}

/** Just the header of a frame (type and length), for a payload written separately. */
export function encodeFrameHeader(type: number, length: number): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(length));
  writeVarint(out, writeVarint(out, 0, type), length);
  return out;
}

/** A payload made of varints (SETTINGS pairs, GOAWAY, MAX_PUSH_ID, CANCEL_PUSH). */
export function encodeVarints(values: readonly number[]): Uint8Array {
  let size = 0;
  for (const v of values) size += varintLength(v);
  const out = new Uint8Array(size);
  let at = 0;
  for (const v of values) at = writeVarint(out, at, v);
  return out;
}

/**
 * Parses a SETTINGS payload into identifier → value. A truncated pair is H3_FRAME_ERROR; a
 * repeated identifier or an HTTP/2 setting is H3_SETTINGS_ERROR. Unknown identifiers (GREASE
 * included) are kept and ignored by the caller.
 * @see RFC 9114 §7.2.4
 */
export function parseSettings(payload: Uint8Array): Map<number, number> {
  const settings = new Map<number, number>();
  let at = 0;
  while (at < payload.length) {
    const id = readVarint(payload, at);
    if (id < 0) throw http3Error(HTTP3_ERROR.H3_FRAME_ERROR, 'SETTINGS ends inside an identifier');
    at += varintLength(id);
    const value = readVarint(payload, at);
    if (value < 0) throw http3Error(HTTP3_ERROR.H3_FRAME_ERROR, 'SETTINGS ends inside a value');
    at += 1 << (payload[at]! >> 6);
    if (id >= 0x02 && id <= 0x05) {
      throw http3Error(
        HTTP3_ERROR.H3_SETTINGS_ERROR,
        `HTTP/2 setting 0x${id.toString(16)} in SETTINGS`,
      );
    }
    if (settings.has(id)) {
      throw http3Error(HTTP3_ERROR.H3_SETTINGS_ERROR, `setting 0x${id.toString(16)} appears twice`);
    }
    settings.set(id, value);
  }
  return settings;
}

/** Parses a payload that must be exactly one varint (GOAWAY, MAX_PUSH_ID, CANCEL_PUSH). */
export function parseSingleVarint(payload: Uint8Array, frameName: string): number {
  const value = readVarint(payload, 0);
  if (value < 0 || 1 << (payload[0]! >> 6) !== payload.length) {
    throw http3Error(HTTP3_ERROR.H3_FRAME_ERROR, `malformed ${frameName} frame`);
  }
  return value;
}
