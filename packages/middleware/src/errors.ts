/**
 * Every error code @rws/middleware throws. docs/errors.md has one row per code; a test keeps
 * the two in step.
 */
export const ERROR_CODES = {
  STATIC_INVALID_OPTIONS: 'RWS_MIDDLEWARE_STATIC_INVALID_OPTIONS',
  STATIC_ROOT_NOT_FOUND: 'RWS_MIDDLEWARE_STATIC_ROOT_NOT_FOUND',
  CORS_INVALID_OPTIONS: 'RWS_MIDDLEWARE_CORS_INVALID_OPTIONS',
  ACCESS_LOG_INVALID_OPTIONS: 'RWS_MIDDLEWARE_ACCESS_LOG_INVALID_OPTIONS',
  REQUEST_ID_INVALID_OPTIONS: 'RWS_MIDDLEWARE_REQUEST_ID_INVALID_OPTIONS',
} as const;

/** A one-line description of each code, keyed by the code string. */
export const ERROR_DESCRIPTIONS: Readonly<Record<string, string>> = {
  RWS_MIDDLEWARE_STATIC_INVALID_OPTIONS:
    'serveStatic() was given an option of the wrong type or an out-of-range value.',
  RWS_MIDDLEWARE_STATIC_ROOT_NOT_FOUND:
    'The root directory given to serveStatic() does not exist or is not a directory.',
  RWS_MIDDLEWARE_CORS_INVALID_OPTIONS:
    'cors() or its update() was given an invalid option (bad origin, method, header name or max-age).',
  RWS_MIDDLEWARE_ACCESS_LOG_INVALID_OPTIONS:
    'accessLog() was given an unknown format or an option of the wrong type.',
  RWS_MIDDLEWARE_REQUEST_ID_INVALID_OPTIONS:
    'requestId() was given an invalid header name or generator, or the generator returned an invalid id.',
};
