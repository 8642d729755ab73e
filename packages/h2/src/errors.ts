/**
 * Every error code @rws/h2 throws. docs/errors.md lists the same codes; a test keeps the
 * two in step.
 */
export const ERROR_CODES = {
  COMPRESSION_ERROR: 'RWS_H2_COMPRESSION_ERROR',
  HEADER_LIST_TOO_LARGE: 'RWS_H2_HEADER_LIST_TOO_LARGE',
  FRAME_SIZE_ERROR: 'RWS_H2_FRAME_SIZE_ERROR',
  PROTOCOL_ERROR: 'RWS_H2_PROTOCOL_ERROR',
  STREAM_RESET: 'RWS_H2_STREAM_RESET',
  BODY_TOO_LARGE: 'RWS_H2_BODY_TOO_LARGE',
  SEND_TIMEOUT: 'RWS_H2_SEND_TIMEOUT',
  INVALID_OPTIONS: 'RWS_H2_INVALID_OPTIONS',
  INVALID_RESPONSE: 'RWS_H2_INVALID_RESPONSE',
  UPGRADE_UNAVAILABLE: 'RWS_H2_UPGRADE_UNAVAILABLE',
  CONNECT_FAILED: 'RWS_H2_CONNECT_FAILED',
  CONNECT_PROTOCOL_UNSUPPORTED: 'RWS_H2_CONNECT_PROTOCOL_UNSUPPORTED',
} as const;

/** A code @rws/h2 throws. */
export type H2ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<H2ErrorCode, string>> = {
  RWS_H2_COMPRESSION_ERROR:
    'An HPACK header block is invalid (bad index, bad Huffman padding, oversized table size update); the connection ends with GOAWAY COMPRESSION_ERROR.',
  RWS_H2_HEADER_LIST_TOO_LARGE:
    'A decoded header list is larger than maxHeaderListSize; the request is answered 431.',
  RWS_H2_FRAME_SIZE_ERROR:
    'A frame is larger than the advertised SETTINGS_MAX_FRAME_SIZE or has a length its type does not allow.',
  RWS_H2_PROTOCOL_ERROR:
    'The peer broke RFC 9113 (bad preface, frame on the wrong stream, malformed request); the message names the rule.',
  RWS_H2_STREAM_RESET:
    'The peer reset the stream (RST_STREAM) or the connection closed before the request body ended.',
  RWS_H2_BODY_TOO_LARGE: 'A request body is larger than maxBodyBytes (413 Content Too Large).',
  RWS_H2_SEND_TIMEOUT:
    'The peer left its flow-control window closed longer than sendTimeoutMs; the stream is reset.',
  RWS_H2_INVALID_OPTIONS: 'An Http2Server option is out of range; the message names it.',
  RWS_H2_INVALID_RESPONSE:
    'A handler returned a response with a status outside 200-999; the client gets 500.',
  RWS_H2_UPGRADE_UNAVAILABLE:
    'req.upgrade.accept() was called twice, after the response started, or on a closed stream.',
  RWS_H2_CONNECT_FAILED:
    'Http2Client could not connect to an origin (refused, TLS handshake failed, timeout); the cause says why.',
  RWS_H2_CONNECT_PROTOCOL_UNSUPPORTED:
    'Http2Client was asked for an extended CONNECT (RFC 8441) but the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.',
};
