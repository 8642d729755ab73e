/**
 * The shape of one configuration key (`ConfigKey`) and how a definition (`KeyInit`) gets its
 * derived flag, environment and TOML names. The keys themselves are in the `*-keys.ts` files.
 */

/** How a raw value is read and checked. */
export type ValueType =
  /** Any non-empty string. */
  | 'string'
  /** A file-system path; relative ones resolve against the cwd (flags, env) or the file. */
  | 'path'
  /** An IP address (v4 or v6) or `localhost`. */
  | 'ip'
  /** An integer 0–65535 (0 = any free port). */
  | 'port'
  /** `true`/`false`, also `on`/`off`, `yes`/`no`, `1`/`0`. */
  | 'boolean'
  /** A list of strings: a TOML array or a comma-separated string. */
  | 'list'
  /** A byte count: an integer or a string such as `10mb`, `512k`, `1.5GiB`. */
  | 'size'
  /** A non-negative integer. */
  | 'integer'
  /** One of `values`. */
  | 'enum'
  /** A positive integer or `auto` (one per CPU). */
  | 'workers'
  /** `[[virtual_host]]` tables: `{ domain, cert_file, key_file }`. */
  | 'virtualHosts'
  /** A listen address: `host:port`, `[v6]:port`, or a bare port (on 127.0.0.1). */
  | 'address'
  /** A URL path starting with `/`, or `off` (false) to turn the endpoint off. */
  | 'endpoint'
  /** Response headers: `Name: value` strings (flags, env lines) or a TOML table. */
  | 'headers'
  /**
   * Basic-auth users: `user:password` strings (flags, env lines), or in TOML a list of such
   * strings or a table user → password.
   */
  | 'credentials'
  /**
   * A `{ driver = … }` table of @rws/proxy's storage sources (TOML only), with key pairs
   * allowed as secret references.
   */
  | 'storage';

/** One configuration key. */
export interface ConfigKey {
  /** The dotted path in `ServerConfig`, e.g. `cors.allowAll`. */
  readonly path: string;
  /** The long flag without dashes (`cors-allow-all`), or null when there is none. */
  readonly flag: string | null;
  /** The one-letter short flag, or null. */
  readonly short: string | null;
  /** The environment variable. For virtual hosts, a `{N}` pattern. */
  readonly env: string | null;
  /** Older environment variable names still read (the reference's spellings). */
  readonly envAliases: readonly string[];
  /** The TOML key as a dotted path (`cors.allow_all`), or null when the file cannot set it. */
  readonly toml: string | null;
  /** Other TOML spellings accepted (the reference's flat `cors_allow_all`). */
  readonly tomlAliases: readonly string[];
  readonly type: ValueType;
  /** The allowed values of an `enum`. */
  readonly values: readonly string[];
  /** The default, as it appears in `ServerConfig` (`null` = unset). */
  readonly default: unknown;
  /** The placeholder shown in `--help` (`<port>`). */
  readonly placeholder: string;
  readonly description: string;
  /** True when a reload (SIGHUP) applies a change without a restart. */
  readonly isReloadable: boolean;
  /** True when the value is a secret: never shown (reload messages say only that it changed). */
  readonly isSecret: boolean;
}
/** A key definition before its derived names are filled in. */
export interface KeyInit {
  path: string;
  flag?: string | null;
  short?: string | null;
  env?: string | null;
  envAliases?: readonly string[];
  toml?: string | null;
  tomlAliases?: readonly string[];
  type: ValueType;
  values?: readonly string[];
  default: unknown;
  placeholder?: string;
  description: string;
  isReloadable: boolean;
  isSecret?: boolean;
}

function snake(path: string): string {
  let out = '';
  for (const ch of path) {
    if (ch >= 'A' && ch <= 'Z') out += `_${ch.toLowerCase()}`;
    else out += ch;
  }
  return out;
}

/** Fills in the derived names of `init`: flag, env variable and TOML key follow from `path`. */
export function toConfigKey(init: KeyInit): ConfigKey {
  const tomlPath = snake(init.path);
  const flat = tomlPath.replaceAll('.', '_');
  const kebab = flat.replaceAll('_', '-');
  return {
    path: init.path,
    flag: init.flag === undefined ? kebab : init.flag,
    short: init.short ?? null,
    env: init.env === undefined ? `RWS_CONFIG_${flat.toUpperCase()}` : init.env,
    envAliases: init.envAliases ?? [],
    toml: init.toml === undefined ? tomlPath : init.toml,
    tomlAliases: init.tomlAliases ?? (tomlPath.includes('.') ? [flat] : []),
    type: init.type,
    values: init.values ?? [],
    default: init.default,
    placeholder: init.placeholder ?? '',
    description: init.description,
    isReloadable: init.isReloadable,
    isSecret: init.isSecret ?? false,
  };
}
