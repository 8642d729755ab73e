import { RwsError } from '@rws/core';
import type { ConnectionCloseFrame } from './quic/frames.js';

/**
 * Every error code @rws/h3 throws. docs/errors.md lists the same codes; a test keeps the two in
 * step.
 */
export const ERROR_CODES = {
  TRANSPORT_ERROR: 'RWS_H3_TRANSPORT_ERROR',
  CRYPTO_ERROR: 'RWS_H3_CRYPTO_ERROR',
  PEER_CLOSED: 'RWS_H3_PEER_CLOSED',
  IDLE_TIMEOUT: 'RWS_H3_IDLE_TIMEOUT',
  INVALID_OPTIONS: 'RWS_H3_INVALID_OPTIONS',
  STREAM_RESET: 'RWS_H3_STREAM_RESET',
  QPACK_ERROR: 'RWS_H3_QPACK_ERROR',
  HTTP3_ERROR: 'RWS_H3_HTTP3_ERROR',
  BODY_TOO_LARGE: 'RWS_H3_BODY_TOO_LARGE',
  INVALID_RESPONSE: 'RWS_H3_INVALID_RESPONSE',
  REQUEST_REJECTED: 'RWS_H3_REQUEST_REJECTED',
  FIELD_SECTION_TOO_LARGE: 'RWS_H3_FIELD_SECTION_TOO_LARGE',
  UPGRADE_UNAVAILABLE: 'RWS_H3_UPGRADE_UNAVAILABLE',
  CONNECT_PROTOCOL_UNSUPPORTED: 'RWS_H3_CONNECT_PROTOCOL_UNSUPPORTED',
} as const;

/** A code @rws/h3 throws. */
export type H3ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<H3ErrorCode, string>> = {
  RWS_H3_TRANSPORT_ERROR:
    'A QUIC peer broke RFC 9000 (malformed packet or frame, bad transport parameter, flow-control or stream-limit violation); transportCode carries the QUIC error code the connection closes with.',
  RWS_H3_CRYPTO_ERROR:
    'The QUIC TLS 1.3 handshake failed (bad message, unsupported group or cipher suite, certificate or signature rejected, Finished mismatch); transportCode is 0x100 plus the TLS alert.',
  RWS_H3_PEER_CLOSED:
    'The QUIC peer closed the connection with CONNECTION_CLOSE; the message carries its error code and reason.',
  RWS_H3_IDLE_TIMEOUT:
    'A QUIC connection saw no packet from its peer for the negotiated idle timeout (or the handshake did not finish in time).',
  RWS_H3_INVALID_OPTIONS:
    'A QUIC endpoint or connection option is out of range; the message names it.',
  RWS_H3_STREAM_RESET:
    'The QUIC peer reset a stream (RESET_STREAM) or asked it to stop (STOP_SENDING), or the connection closed before the stream ended.',
  RWS_H3_QPACK_ERROR:
    'A QPACK peer sent a field section, encoder instruction or decoder instruction RFC 9204 forbids (bad index, table capacity abuse, truncated or oversized string, bad Huffman); applicationCode is QPACK_DECOMPRESSION_FAILED, QPACK_ENCODER_STREAM_ERROR or QPACK_DECODER_STREAM_ERROR.',
  RWS_H3_HTTP3_ERROR:
    'An HTTP/3 peer broke RFC 9114 (malformed or unexpected frame, bad SETTINGS, malformed message); applicationCode is the HTTP/3 error code (H3_FRAME_ERROR, H3_SETTINGS_ERROR, H3_MESSAGE_ERROR, …).',
  RWS_H3_BODY_TOO_LARGE: 'An HTTP/3 request body went past maxBodyBytes; the server answers 413.',
  RWS_H3_INVALID_RESPONSE:
    'A handler returned a response HTTP/3 cannot send (status outside 200-999); the server answers 500.',
  RWS_H3_REQUEST_REJECTED:
    'The HTTP/3 server refused a request without processing it: it sent GOAWAY (shutting down) before the request, or reset the stream with H3_REQUEST_REJECTED. Safe to retry on a new connection.',
  RWS_H3_FIELD_SECTION_TOO_LARGE:
    "A field section is larger than the receiver's SETTINGS_MAX_FIELD_SECTION_SIZE: a request's header section over our limit is answered with 431; a section over the peer's limit is never sent (a response becomes 500, a request rejects).",
  RWS_H3_UPGRADE_UNAVAILABLE:
    'req.upgrade.accept() on HTTP/3 was called twice, after the final response, or on a closed stream.',
  RWS_H3_CONNECT_PROTOCOL_UNSUPPORTED:
    'Http3Client was asked for an extended CONNECT (RFC 9220) but the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.',
};

/**
 * QUIC transport error codes.
 * @see RFC 9000 §20.1
 */
export const TRANSPORT_ERROR = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  CONNECTION_REFUSED: 0x02,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  TRANSPORT_PARAMETER_ERROR: 0x08,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
  INVALID_TOKEN: 0x0b,
  APPLICATION_ERROR: 0x0c,
  CRYPTO_BUFFER_EXCEEDED: 0x0d,
  KEY_UPDATE_ERROR: 0x0e,
  AEAD_LIMIT_REACHED: 0x0f,
  NO_VIABLE_PATH: 0x10,
  /** RFC 9368 §10.2: version_information is wrong or shows a downgrade. */
  VERSION_NEGOTIATION_ERROR: 0x11,
  /** CRYPTO_ERROR is 0x0100 + the TLS alert description. */
  CRYPTO_ERROR_BASE: 0x100,
} as const;

/**
 * A QUIC connection error: the peer sent something the RFCs forbid, or the handshake failed.
 * `transportCode` is what CONNECTION_CLOSE carries to the peer.
 */
export class QuicError extends RwsError {
  /** The QUIC transport error code (RFC 9000 §20.1), or 0x100 + TLS alert for crypto errors. */
  readonly transportCode: number;
  /** The frame type being processed when the error was found, when known (0 otherwise). */
  readonly frameType: number;

  constructor(code: H3ErrorCode, message: string, transportCode: number, frameType = 0) {
    super(code, message);
    this.name = 'QuicError';
    this.transportCode = transportCode;
    this.frameType = frameType;
  }
}

/** A transport error (RWS_H3_TRANSPORT_ERROR) with the given QUIC code. */
export function transportError(transportCode: number, message: string, frameType = 0): QuicError {
  return new QuicError(ERROR_CODES.TRANSPORT_ERROR, message, transportCode, frameType);
}

/**
 * TLS alert descriptions used by the handshake.
 * @see RFC 8446 §6
 */
export const TLS_ALERT = {
  UNEXPECTED_MESSAGE: 10,
  BAD_RECORD_MAC: 20,
  HANDSHAKE_FAILURE: 40,
  BAD_CERTIFICATE: 42,
  CERTIFICATE_EXPIRED: 45,
  CERTIFICATE_UNKNOWN: 46,
  ILLEGAL_PARAMETER: 47,
  UNKNOWN_CA: 48,
  DECODE_ERROR: 50,
  DECRYPT_ERROR: 51,
  PROTOCOL_VERSION: 70,
  INTERNAL_ERROR: 80,
  MISSING_EXTENSION: 109,
  UNSUPPORTED_EXTENSION: 110,
  CERTIFICATE_REQUIRED: 116,
  NO_APPLICATION_PROTOCOL: 120,
} as const;

/** A handshake failure (RWS_H3_CRYPTO_ERROR) carrying the TLS alert as QUIC CRYPTO_ERROR. */
export function cryptoError(alert: number, message: string): QuicError {
  return new QuicError(
    ERROR_CODES.CRYPTO_ERROR,
    message,
    TRANSPORT_ERROR.CRYPTO_ERROR_BASE + alert,
    0x06,
  );
}

/** An option error (RWS_H3_INVALID_OPTIONS) naming the option. */
export function invalidOptions(message: string, cause?: unknown): RwsError {
  return new RwsError(ERROR_CODES.INVALID_OPTIONS, message, cause === undefined ? {} : { cause });
}

/** The error a received CONNECTION_CLOSE ends the connection with (RWS_H3_PEER_CLOSED). */
export function peerClosedError(frame: ConnectionCloseFrame): QuicError {
  const kind = frame.isApplication ? 'application' : 'transport';
  const reason = frame.reason ? `: ${frame.reason}` : '';
  const message =
    frame.errorCode === 0
      ? 'the peer closed the connection'
      : `the peer closed the connection with ${kind} error 0x${frame.errorCode.toString(16)}${reason}`;
  return new QuicError(ERROR_CODES.PEER_CLOSED, message, frame.errorCode);
}

/**
 * HTTP/3 and QPACK application error codes, carried by CONNECTION_CLOSE (application),
 * RESET_STREAM and STOP_SENDING.
 * @see RFC 9114 §8.1, RFC 9204 §6
 */
export const HTTP3_ERROR = {
  H3_NO_ERROR: 0x100,
  H3_GENERAL_PROTOCOL_ERROR: 0x101,
  H3_INTERNAL_ERROR: 0x102,
  H3_STREAM_CREATION_ERROR: 0x103,
  H3_CLOSED_CRITICAL_STREAM: 0x104,
  H3_FRAME_UNEXPECTED: 0x105,
  H3_FRAME_ERROR: 0x106,
  H3_EXCESSIVE_LOAD: 0x107,
  H3_ID_ERROR: 0x108,
  H3_SETTINGS_ERROR: 0x109,
  H3_MISSING_SETTINGS: 0x10a,
  H3_REQUEST_REJECTED: 0x10b,
  H3_REQUEST_CANCELLED: 0x10c,
  H3_REQUEST_INCOMPLETE: 0x10d,
  H3_MESSAGE_ERROR: 0x10e,
  H3_CONNECT_ERROR: 0x10f,
  H3_VERSION_FALLBACK: 0x110,
  QPACK_DECOMPRESSION_FAILED: 0x200,
  QPACK_ENCODER_STREAM_ERROR: 0x201,
  QPACK_DECODER_STREAM_ERROR: 0x202,
} as const;

/**
 * An HTTP/3 or QPACK error: the peer sent something RFC 9114 or RFC 9204 forbids.
 * `applicationCode` is what CONNECTION_CLOSE (or RESET_STREAM for a stream error) carries.
 */
export class Http3Error extends RwsError {
  /** The HTTP/3 or QPACK error code (RFC 9114 §8.1, RFC 9204 §6). */
  readonly applicationCode: number;

  constructor(code: H3ErrorCode, message: string, applicationCode: number) {
    super(code, message);
    this.name = 'Http3Error';
    this.applicationCode = applicationCode;
  }
}

/** A QPACK error (RWS_H3_QPACK_ERROR) with one of the three QPACK codes. */
export function qpackError(applicationCode: number, message: string): Http3Error {
  return new Http3Error(ERROR_CODES.QPACK_ERROR, message, applicationCode);
}

/** An HTTP/3 error (RWS_H3_HTTP3_ERROR) with the given H3_* code. */
export function http3Error(applicationCode: number, message: string): Http3Error {
  return new Http3Error(ERROR_CODES.HTTP3_ERROR, message, applicationCode);
}
