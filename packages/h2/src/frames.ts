/**
 * HTTP/2 frame constants and serialisers (RFC 9113 §4, §6). Every frame starts with a 9-octet
 * header: 24-bit length, 8-bit type, 8-bit flags, 1 reserved bit and a 31-bit stream id.
 */

/** Frame types (RFC 9113 §6). */
export const FRAME_TYPE = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags (RFC 9113 §6). */
export const FLAG = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 §7). */
export const H2_ERROR = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

/** SETTINGS parameters (RFC 9113 §6.5.2, RFC 8441 §3). */
export const SETTING = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  ENABLE_CONNECT_PROTOCOL: 0x8,
} as const;

/** The client connection preface (RFC 9113 §3.4). */
export const CONNECTION_PREFACE: Buffer = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Size of a frame header. */
export const FRAME_HEADER_SIZE = 9;

/** Largest flow-control window (RFC 9113 §6.9.1). */
export const MAX_WINDOW = 0x7fffffff;

/** Writes a frame header into `buf` at `offset`. */
export function writeFrameHeader(
  buf: Uint8Array,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  buf[offset] = length >>> 16;
  buf[offset + 1] = (length >>> 8) & 0xff;
  buf[offset + 2] = length & 0xff;
  buf[offset + 3] = type;
  buf[offset + 4] = flags;
  buf[offset + 5] = (streamId >>> 24) & 0x7f;
  buf[offset + 6] = (streamId >>> 16) & 0xff;
  buf[offset + 7] = (streamId >>> 8) & 0xff;
  buf[offset + 8] = streamId & 0xff;
}

/** A whole frame: header plus `payload`. */
export function frame(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const length = payload === undefined ? 0 : payload.length;
  const buf = Buffer.allocUnsafe(FRAME_HEADER_SIZE + length);
  writeFrameHeader(buf, 0, length, type, flags, streamId);
  if (payload !== undefined) buf.set(payload, FRAME_HEADER_SIZE);
  return buf;
}

/** A SETTINGS frame with `[id, value]` pairs, or a SETTINGS ACK when `settings` is null. */
export function settingsFrame(settings: readonly (readonly [number, number])[] | null): Buffer {
  if (settings === null) return frame(FRAME_TYPE.SETTINGS, FLAG.ACK, 0);
  const buf = Buffer.allocUnsafe(FRAME_HEADER_SIZE + settings.length * 6);
  writeFrameHeader(buf, 0, settings.length * 6, FRAME_TYPE.SETTINGS, 0, 0);
  let at = FRAME_HEADER_SIZE;
  for (const [id, value] of settings) {
    buf.writeUInt16BE(id, at);
    buf.writeUInt32BE(value, at + 2);
    at += 6;
  }
  return buf;
}

/** A PING frame (8 opaque octets), or its ACK. */
export function pingFrame(data: Uint8Array, isAck: boolean): Buffer {
  return frame(FRAME_TYPE.PING, isAck ? FLAG.ACK : 0, 0, data);
}

/** A GOAWAY frame (RFC 9113 §6.8). `debug` is ASCII diagnostic text for the peer. */
export function goawayFrame(lastStreamId: number, code: number, debug = ''): Buffer {
  const text = Buffer.from(debug, 'latin1');
  const buf = Buffer.allocUnsafe(FRAME_HEADER_SIZE + 8 + text.length);
  writeFrameHeader(buf, 0, 8 + text.length, FRAME_TYPE.GOAWAY, 0, 0);
  buf.writeUInt32BE(lastStreamId & MAX_WINDOW, 9);
  buf.writeUInt32BE(code, 13);
  text.copy(buf, 17);
  return buf;
}

/** An RST_STREAM frame (RFC 9113 §6.4). */
export function rstStreamFrame(streamId: number, code: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_SIZE + 4);
  writeFrameHeader(buf, 0, 4, FRAME_TYPE.RST_STREAM, 0, streamId);
  buf.writeUInt32BE(code, 9);
  return buf;
}

/** A WINDOW_UPDATE frame (RFC 9113 §6.9). */
export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_SIZE + 4);
  writeFrameHeader(buf, 0, 4, FRAME_TYPE.WINDOW_UPDATE, 0, streamId);
  buf.writeUInt32BE(increment, 9);
  return buf;
}

/**
 * A header block as one HEADERS frame and as many CONTINUATION frames as `maxFrameSize`
 * requires (RFC 9113 §6.2, §6.10), in one buffer.
 */
export function headersFrames(
  streamId: number,
  block: Uint8Array,
  isEndStream: boolean,
  maxFrameSize: number,
): Buffer {
  const count = Math.max(1, Math.ceil(block.length / maxFrameSize));
  const buf = Buffer.allocUnsafe(block.length + count * FRAME_HEADER_SIZE);
  let at = 0;
  let from = 0;
  for (let i = 0; i < count; i++) {
    const n = Math.min(maxFrameSize, block.length - from);
    const isLast = i === count - 1;
    const type = i === 0 ? FRAME_TYPE.HEADERS : FRAME_TYPE.CONTINUATION;
    let flags = isLast ? FLAG.END_HEADERS : 0;
    if (i === 0 && isEndStream) flags |= FLAG.END_STREAM;
    writeFrameHeader(buf, at, n, type, flags, streamId);
    buf.set(block.subarray(from, from + n), at + FRAME_HEADER_SIZE);
    at += FRAME_HEADER_SIZE + n;
    from += n;
  }
  return buf;
}
