/** @module */

export { asciiLower } from './ascii-lower.js';
export type { BodyOptions, BodyReadOptions } from './body.js';
export { Body, DEFAULT_BODY_LIMIT } from './body.js';
export { checkFieldBytes } from './check-field-bytes.js';
export { compose } from './compose.js';
export type { CookieOptions, SetCookie } from './cookies.js';
export { parseCookies, parseSetCookie, serializeCookie } from './cookies.js';
export type { CreateRequestInit } from './create-request.js';
export { createRequest, IN_PROCESS_CONNECTION } from './create-request.js';
export { encodeHeaderUrl } from './encode-header-url.js';
export type { ErrorInfo } from './error-info.js';
export { errorInfo } from './error-info.js';
export { errorStatus } from './error-status.js';
export type { CoreErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
export { escapeHtml } from './escape-html.js';
export type { HeadersInit } from './headers.js';
export { Headers } from './headers.js';
export {
  HOP_BY_HOP_HEADERS,
  hopByHopFields,
  isHopByHopHeader,
  withoutHopByHop,
} from './hop-by-hop.js';
export type { HttpErrorOptions } from './http-error.js';
export { HttpError } from './http-error.js';
export { isIdempotentMethod } from './is-idempotent-method.js';
export { isPromise } from './is-promise.js';
export { isToken } from './is-token.js';
export { DEFAULT_MIME_TYPE, isCompressible, lookupExtension, mimeType } from './mime.js';
export { normalizeHost } from './normalize-host.js';
export { parseContentLength } from './parse-content-length.js';
export { requestAuthority } from './request-authority.js';
export type { FileResponseInit, ResponseInit } from './response-helpers.js';
export {
  empty,
  errorResponse,
  file,
  html,
  json,
  redirect,
  stream,
  text,
} from './response-helpers.js';
export type { RwsErrorOptions } from './rws-error.js';
export { isRwsError, RwsError } from './rws-error.js';
export { splitTarget } from './split-target.js';
export type { SseEvent, SseOptions } from './sse.js';
export { serializeSseEvent, sse } from './sse.js';
export { isNullBodyStatus, STATUS_CODES, statusText } from './status.js';
export type {
  AbortSignalLike,
  BodyInit,
  BodySource,
  ConnectionInfo,
  FileBodyInit,
  Handler,
  MaybePromise,
  Middleware,
  Protocol,
  Request,
  Response,
  ResponseSentListener,
  Scheme,
  TlsInfo,
  TrailersInit,
  Tunnel,
  Upgrade,
} from './types.js';
export { validateInformational } from './validate-informational.js';
export type { FromWebRequestOptions, ToWebRequestOptions } from './web.js';
export {
  fromWebRequest,
  fromWebResponse,
  toFetchHandler,
  toWebRequest,
  toWebResponse,
} from './web.js';
