import type { CliErrorCode } from '../errors.js';

/** Where a configuration value came from. */
export type ConfigSource = 'flag' | 'env' | 'file' | 'config';

/** One problem (or warning) found while resolving the configuration. */
export interface ConfigProblem {
  readonly code: CliErrorCode;
  readonly source: ConfigSource;
  /** The flag (`--port`), env var (`RWS_CONFIG_PORT`) or TOML key path (`cors.allow_all`). */
  readonly key: string;
  readonly message: string;
  /** The config file the problem is in (source `file`). */
  readonly file?: string | undefined;
  /** 1-based line in the config file, when known. */
  readonly line?: number | undefined;
  /** A suggestion, e.g. `did you mean "allow_all"?`. */
  readonly hint?: string | undefined;
}

/** One line per problem: `rws.config.toml:4: cors.allow_al: unknown key (did you mean …?)`. */
export function formatProblem(p: ConfigProblem): string {
  const where =
    p.source === 'file' && p.file !== undefined
      ? `${p.file}${p.line === undefined ? '' : `:${p.line}`}: `
      : '';
  const hint = p.hint === undefined ? '' : ` (${p.hint})`;
  return `${where}${p.key}: ${p.message}${hint}`;
}
