/**
 * Every error code @rws/cli reports. A configuration problem carries one of these codes in
 * `ConfigProblem.code`; `ConfigError` (RWS_CLI_INVALID_CONFIG) carries the list.
 * docs/errors.md has one row per code.
 */
export const ERROR_CODES = {
  UNKNOWN_FLAG: 'RWS_CLI_UNKNOWN_FLAG',
  MISSING_VALUE: 'RWS_CLI_MISSING_VALUE',
  UNEXPECTED_ARGUMENT: 'RWS_CLI_UNEXPECTED_ARGUMENT',
  INVALID_VALUE: 'RWS_CLI_INVALID_VALUE',
  UNKNOWN_KEY: 'RWS_CLI_UNKNOWN_KEY',
  TOML_SYNTAX: 'RWS_CLI_TOML_SYNTAX',
  CONFIG_NOT_FOUND: 'RWS_CLI_CONFIG_NOT_FOUND',
  FILE_NOT_FOUND: 'RWS_CLI_FILE_NOT_FOUND',
  TLS_PAIR_INCOMPLETE: 'RWS_CLI_TLS_PAIR_INCOMPLETE',
  INVALID_CONFIG: 'RWS_CLI_INVALID_CONFIG',
  SECRET_UNRESOLVED: 'RWS_CLI_SECRET_UNRESOLVED',
} as const;

/** A code of @rws/cli. */
export type CliErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** A one-line description of each code, keyed by the code string. */
export const ERROR_DESCRIPTIONS: Readonly<Record<CliErrorCode, string>> = {
  RWS_CLI_UNKNOWN_FLAG: 'A command-line flag is not one rws knows (exit code 2).',
  RWS_CLI_MISSING_VALUE: 'A command-line flag that needs a value was given none (exit code 2).',
  RWS_CLI_UNEXPECTED_ARGUMENT: 'A positional command-line argument is not a command (exit code 2).',
  RWS_CLI_INVALID_VALUE:
    'A flag, environment variable or config key has a value of the wrong type or out of range.',
  RWS_CLI_UNKNOWN_KEY: 'rws.config.toml has a key or table rws does not know.',
  RWS_CLI_TOML_SYNTAX: 'rws.config.toml is not valid TOML.',
  RWS_CLI_CONFIG_NOT_FOUND:
    'The config file named by --config or RWS_CONFIG_FILE does not exist or is a directory.',
  RWS_CLI_FILE_NOT_FOUND:
    'A file or directory the config refers to (TLS certificate or key, CA, root) does not exist.',
  RWS_CLI_TLS_PAIR_INCOMPLETE: 'A TLS certificate was configured without its key, or the reverse.',
  RWS_CLI_INVALID_CONFIG: 'The resolved configuration has problems; the error lists every one.',
  RWS_CLI_SECRET_UNRESOLVED:
    'A config value is a secret reference (env://NAME, file:///path, vault://, aws-sm://, azkv://) that cannot be resolved: the variable is unset or empty, the file cannot be read, or the secret store refused, lacks the secret or field, or did not answer in time. The message names the key and the reference, never a secret.',
};
