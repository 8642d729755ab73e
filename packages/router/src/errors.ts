/**
 * Every error code @rws/router throws. The docs/errors.md table lists the same codes.
 */
export const ERROR_CODES = {
  INVALID_PATH: 'RWS_ROUTER_INVALID_PATH',
  ROUTE_CONFLICT: 'RWS_ROUTER_ROUTE_CONFLICT',
  PARAM_CONFLICT: 'RWS_ROUTER_PARAM_CONFLICT',
  INVALID_HOST: 'RWS_ROUTER_INVALID_HOST',
  INVALID_ENCODING: 'RWS_ROUTER_INVALID_ENCODING',
  NOT_FOUND: 'RWS_ROUTER_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'RWS_ROUTER_METHOD_NOT_ALLOWED',
  INTERNAL: 'RWS_ROUTER_INTERNAL',
  UNSUPPORTED_MEDIA_TYPE: 'RWS_ROUTER_UNSUPPORTED_MEDIA_TYPE',
  VALIDATION_FAILED: 'RWS_ROUTER_VALIDATION_FAILED',
  MULTIPART_INVALID: 'RWS_ROUTER_MULTIPART_INVALID',
  MULTIPART_FILE_TOO_LARGE: 'RWS_ROUTER_MULTIPART_FILE_TOO_LARGE',
  MULTIPART_TOO_MANY_FILES: 'RWS_ROUTER_MULTIPART_TOO_MANY_FILES',
  MULTIPART_TOO_MANY_FIELDS: 'RWS_ROUTER_MULTIPART_TOO_MANY_FIELDS',
  MULTIPART_FIELD_TOO_LARGE: 'RWS_ROUTER_MULTIPART_FIELD_TOO_LARGE',
  MULTIPART_TOO_MANY_PARTS: 'RWS_ROUTER_MULTIPART_TOO_MANY_PARTS',
  INVALID_HANDLER: 'RWS_ROUTER_INVALID_HANDLER',
  HTTP_ERROR: 'RWS_ROUTER_HTTP_ERROR',
  TEMPLATE_NOT_FOUND: 'RWS_ROUTER_TEMPLATE_NOT_FOUND',
} as const;

/** One of the codes in `ERROR_CODES`. */
export type RouterErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** A one-line description of each code, keyed by the code string. */
export const ERROR_DESCRIPTIONS: Readonly<Record<RouterErrorCode, string>> = {
  RWS_ROUTER_INVALID_PATH:
    'A route path is malformed (no leading `/`, empty or non-segment param, wildcard not last, bad pattern).',
  RWS_ROUTER_ROUTE_CONFLICT: 'The same method and path were registered twice.',
  RWS_ROUTER_PARAM_CONFLICT:
    'Two routes use different parameter names (or wildcard names) at the same position.',
  RWS_ROUTER_INVALID_HOST: 'A host pattern is malformed (empty, or `*` not as the leftmost label).',
  RWS_ROUTER_INVALID_ENCODING: 'A path parameter holds invalid percent-encoding (400 Bad Request).',
  RWS_ROUTER_NOT_FOUND: 'No route matches the request path (404 Not Found).',
  RWS_ROUTER_METHOD_NOT_ALLOWED:
    'The path exists but not for the request method (405 Method Not Allowed, with `Allow`).',
  RWS_ROUTER_INTERNAL:
    'A handler threw something that is not an HTTP error; answered 500 with a request id.',
  RWS_ROUTER_UNSUPPORTED_MEDIA_TYPE:
    'The request Content-Type does not fit the extractor (415 Unsupported Media Type).',
  RWS_ROUTER_VALIDATION_FAILED:
    'The body, query or params failed schema validation (422 Unprocessable Content).',
  RWS_ROUTER_MULTIPART_INVALID:
    'A multipart body is malformed or its boundary is missing (400 Bad Request).',
  RWS_ROUTER_MULTIPART_FILE_TOO_LARGE: 'A multipart file is larger than `maxFileBytes` (413).',
  RWS_ROUTER_MULTIPART_TOO_MANY_FILES: 'A multipart body has more files than `maxFiles` (413).',
  RWS_ROUTER_MULTIPART_TOO_MANY_FIELDS: 'A multipart body has more fields than `maxFields` (413).',
  RWS_ROUTER_MULTIPART_FIELD_TOO_LARGE:
    'A multipart field value (or name) is larger than `maxFieldBytes` (413).',
  RWS_ROUTER_MULTIPART_TOO_MANY_PARTS: 'A multipart body has more parts than `maxParts` (413).',
  RWS_ROUTER_INVALID_HANDLER:
    'A route was registered without a handler function, or middleware is not a function or { handle }.',
  RWS_ROUTER_HTTP_ERROR:
    'A thrown error that is not an RwsError but carries an HTTP status (e.g. from http-errors); answered with that status.',
  RWS_ROUTER_TEMPLATE_NOT_FOUND:
    'A template named to `render()` (or a partial or layout it includes) does not exist in the template directory (500).',
};
