/**
 * Every error code @rws/middleware throws. docs/errors.md has one row per code; a test keeps
 * the two in step.
 */
export const ERROR_CODES = {
  STATIC_INVALID_OPTIONS: 'RWS_MIDDLEWARE_STATIC_INVALID_OPTIONS',
  STATIC_ROOT_NOT_FOUND: 'RWS_MIDDLEWARE_STATIC_ROOT_NOT_FOUND',
} as const;

/** A one-line description of each code, keyed by the code string. */
export const ERROR_DESCRIPTIONS: Readonly<Record<string, string>> = {
  RWS_MIDDLEWARE_STATIC_INVALID_OPTIONS:
    'serveStatic() was given an option of the wrong type or an out-of-range value.',
  RWS_MIDDLEWARE_STATIC_ROOT_NOT_FOUND:
    'The root directory given to serveStatic() does not exist or is not a directory.',
};
