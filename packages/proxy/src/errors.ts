/**
 * Every error code @rws/proxy throws. docs/errors.md lists the same codes; a test keeps the
 * two in step.
 */
export const ERROR_CODES = {
  INVALID_OPTIONS: 'RWS_PROXY_INVALID_OPTIONS',
  CONFIG_INVALID: 'RWS_PROXY_CONFIG_INVALID',
  CONFIG_TOML_SYNTAX: 'RWS_PROXY_CONFIG_TOML_SYNTAX',
  CONFIG_UNKNOWN_KEY: 'RWS_PROXY_CONFIG_UNKNOWN_KEY',
  CONFIG_INVALID_VALUE: 'RWS_PROXY_CONFIG_INVALID_VALUE',
  CONFIG_MISSING_VALUE: 'RWS_PROXY_CONFIG_MISSING_VALUE',
  CONFIG_UNKNOWN_UPSTREAM: 'RWS_PROXY_CONFIG_UNKNOWN_UPSTREAM',
  CONFIG_CONFLICT: 'RWS_PROXY_CONFIG_CONFLICT',
  CONFIG_UNSUPPORTED: 'RWS_PROXY_CONFIG_UNSUPPORTED',
} as const;

/** A code @rws/proxy throws. */
export type ProxyErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<ProxyErrorCode, string>> = {
  RWS_PROXY_INVALID_OPTIONS:
    'A proxy, upstream or gateway option is invalid; the message names the option and the value.',
  RWS_PROXY_CONFIG_INVALID:
    'A gateway configuration has problems; the error lists every one with its key path and line (nothing was started or swapped).',
  RWS_PROXY_CONFIG_TOML_SYNTAX: 'The gateway configuration is not valid TOML.',
  RWS_PROXY_CONFIG_UNKNOWN_KEY:
    'A gateway configuration key is not one the gateway reads (with a did-you-mean suggestion).',
  RWS_PROXY_CONFIG_INVALID_VALUE:
    'A gateway configuration value has the wrong type, is out of range, or is not a valid address, path or header.',
  RWS_PROXY_CONFIG_MISSING_VALUE: 'A required gateway configuration key is missing.',
  RWS_PROXY_CONFIG_UNKNOWN_UPSTREAM:
    'A proxy route names an upstream that no [[upstream]] defines and that is not an address.',
  RWS_PROXY_CONFIG_CONFLICT:
    'Two gateway configuration keys contradict each other (a duplicate upstream name, an action key given twice, keys of another action type).',
  RWS_PROXY_CONFIG_UNSUPPORTED:
    'A gateway configuration section or action type is recognised but not supported yet; the message names the issue that adds it.',
};
