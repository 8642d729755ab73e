/** Where a configuration value came from. */
export type ConfigSource = 'flag' | 'env' | 'file' | 'config';

/** A path into a config tree: `['route', 0, 'action', 'upstream']`. */
export type KeyPath = readonly (string | number)[];

/**
 * One problem (or warning) found in a configuration: what, where (key path, file, line) and a
 * hint. Shared by the `rws` CLI and the gateway so both report in one format.
 */
export interface ConfigProblem<Code extends string = string> {
  readonly code: Code;
  readonly source: ConfigSource;
  /** The flag (`--port`), env var (`RWS_CONFIG_PORT`) or TOML key path (`route[0].match.path`). */
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
export function formatConfigProblem(p: ConfigProblem): string {
  const where =
    p.source === 'file' && p.file !== undefined
      ? `${p.file}${p.line === undefined ? '' : `:${p.line}`}: `
      : '';
  const hint = p.hint === undefined ? '' : ` (${p.hint})`;
  return `${where}${p.key}: ${p.message}${hint}`;
}

/** `route[1].match.path` */
export function keyPathName(path: KeyPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out.length === 0 ? p : `.${p}`;
  return out;
}
