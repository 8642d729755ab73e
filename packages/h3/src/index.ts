/** @module */

export type { H3ErrorCode } from './errors.js';
export {
  ERROR_CODES,
  ERROR_DESCRIPTIONS,
  HTTP3_ERROR,
  Http3Error,
  QuicError,
  TRANSPORT_ERROR,
} from './errors.js';
export type { Http3StreamRequest, Http3StreamResponse } from './http3/client-stream.js';
export type {
  Http3ClientOptions,
  Http3ClientRequest,
  Http3ClientResponse,
} from './http3/h3-client.js';
export { Http3Client } from './http3/h3-client.js';
export type {
  Http3Certificate,
  Http3ServerOptions,
  Http3TlsOptions,
} from './http3/h3-server.js';
export { createHttp3Certificate, Http3Server } from './http3/h3-server.js';
export type { SessionTicket } from './quic/tls/session-ticket.js';
