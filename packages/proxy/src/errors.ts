/**
 * Every error code @rws/proxy throws. docs/errors.md lists the same codes; a test keeps the
 * two in step.
 */
export const ERROR_CODES = {
  INVALID_OPTIONS: 'RWS_PROXY_INVALID_OPTIONS',
} as const;

/** A code @rws/proxy throws. */
export type ProxyErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<ProxyErrorCode, string>> = {
  RWS_PROXY_INVALID_OPTIONS:
    'A proxy, upstream or gateway option is invalid; the message names the option and the value.',
};
