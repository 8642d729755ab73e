/**
 * The resolver: flags > environment > config file > defaults, into one `ServerConfig`, with
 * every problem found on the way. A pure function of its input — tests pass argv, env, cwd
 * and a file reader and never touch the process.
 */
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { RwsError } from '@rws/core';
import { checkAcme, isAcmeOn, isTlsFromAcme } from '../acme.js';
import { ERROR_CODES } from '../errors.js';
import type { ConfigKey } from './config-key.js';
import { type CliCommand, parseArgs } from './parse-args.js';
import { parseEnv } from './parse-env.js';
import { parseToml } from './parse-toml.js';
import { type ConfigProblem, formatProblem } from './problem.js';
import { DEFAULT_SECRET_TIMEOUT_MS, type RemoteRef, resolveRemoteRefs } from './remote-secrets.js';
import { CONFIG_KEYS, defaultConfig, setPath } from './schema.js';
import { resolveSecretRefs, type SecretSources } from './secret-refs.js';
import type { ServerConfig } from './server-config.js';
import { coerce } from './values.js';

/** What the resolver reads. Only `argv`, `env` and `cwd` are required. */
export interface ResolveConfigInput {
  /** Command-line arguments without node and the script. */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Absolute working directory: relative paths of flags and env vars resolve against it. */
  cwd: string;
  /** Reads a text file; throws when it does not exist. Default `fs.readFileSync(p, 'utf8')`. */
  readFile?: ((path: string) => string) | undefined;
  /** What a path is. Default: `fs.statSync`. */
  fileKind?: ((path: string) => 'file' | 'directory' | null) | undefined;
}

/** The resolved configuration and everything found wrong on the way. */
export interface ResolveConfigResult {
  command: CliCommand;
  /** The configuration; meaningful only when `problems` is empty. */
  config: ServerConfig;
  /** Errors: the server must not start. */
  problems: ConfigProblem[];
  /** Things that work but deserve a look. */
  warnings: ConfigProblem[];
  /** True when a problem is a command-line usage error (exit code 2). */
  isUsageError: boolean;
  /** The `ConfigKey.path`s a flag, env var or the file set (the rest are defaults). */
  setKeys: ReadonlySet<string>;
}

/** The default config file name, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = 'rws.config.toml';

function defaultFileKind(path: string): 'file' | 'directory' | null {
  try {
    const st = statSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : null;
  } catch {
    return null;
  }
}

const ACCESS_LOG_WORDS: ReadonlySet<string> = new Set(['off', 'stdout', 'stderr']);

const BY_PATH = new Map<string, ConfigKey>(CONFIG_KEYS.map((k) => [k.path, k]));

interface Origin {
  source: 'default' | 'flag' | 'env' | 'file';
  key: string;
  line?: number | undefined;
}

/** Options of `resolveConfigAsync`. */
export interface ResolveConfigAsyncInput extends ResolveConfigInput {
  /**
   * Bound of each secret-store fetch (`vault://`, `aws-sm://`, `azkv://`). Default
   * `RWS_SECRET_TIMEOUT_MS` from `env`, else 10000.
   */
  secretTimeoutMs?: number | undefined;
}

/**
 * Resolves the configuration. Never throws for bad input: it reports problems. Secret-store
 * references (`vault://`, `aws-sm://`, `azkv://`) need the network: they are problems here,
 * and `resolveConfigAsync` reads them.
 */
export function resolveConfig(input: ResolveConfigInput): ResolveConfigResult {
  const state = gather(input);
  resolveSecretRefs(state.config, state.secretSources, state.reportSecret);
  return finish(state);
}

/**
 * `resolveConfig`, with secret-store references fetched too (concurrently, each within the
 * timeout); one that cannot be read is a problem naming the key, as for `env://`.
 */
export async function resolveConfigAsync(
  input: ResolveConfigAsyncInput,
): Promise<ResolveConfigResult> {
  const state = gather(input);
  const remote: RemoteRef[] = [];
  resolveSecretRefs(state.config, state.secretSources, state.reportSecret, remote);
  // `rws --help` and `rws --version` answer without asking a secret store.
  if (state.args.command !== 'help' && state.args.command !== 'version') {
    const fromEnv = Number(input.env['RWS_SECRET_TIMEOUT_MS']);
    const timeoutMs =
      input.secretTimeoutMs ??
      (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_SECRET_TIMEOUT_MS);
    await resolveRemoteRefs(remote, input.env, timeoutMs);
  }
  return finish(state);
}

/** What `gather` leaves for the secret resolvers and `finish`. */
interface GatherState {
  args: ReturnType<typeof parseArgs>;
  config: ServerConfig;
  origins: Map<string, Origin>;
  fileDisplay: string | undefined;
  fileKind: (path: string) => 'file' | 'directory' | null;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
  isUsageError: boolean;
  secretSources: SecretSources;
  reportSecret: (path: string, message: string) => void;
}

/** Parses flags, env and the file into one configuration, in precedence order. */
function gather(input: ResolveConfigInput): GatherState {
  const readFile = input.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const fileKind = input.fileKind ?? defaultFileKind;
  const cwd = input.cwd;
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];

  const args = parseArgs(input.argv);
  problems.push(...args.problems);
  const isUsageError = args.problems.length > 0;
  const env = parseEnv(input.env);
  problems.push(...env.problems);
  warnings.push(...env.warnings);

  const config = defaultConfig(cwd);
  const origins = new Map<string, Origin>();

  // Which file: --config, else RWS_CONFIG_FILE, else ./rws.config.toml when it exists.
  const flagFile = args.values.get('configFile') as string | undefined;
  const envFile = env.values.get('configFile') as string | undefined;
  const named = flagFile ?? envFile;
  const configPath = resolve(cwd, named ?? DEFAULT_CONFIG_FILE);
  let text: string | null = null;
  let fileDisplay: string | undefined;
  try {
    text = readFile(configPath);
  } catch {
    if (named !== undefined) {
      const isDirectory = fileKind(configPath) === 'directory';
      problems.push({
        code: ERROR_CODES.CONFIG_NOT_FOUND,
        source: flagFile !== undefined ? 'flag' : 'env',
        key: flagFile !== undefined ? '--config' : 'RWS_CONFIG_FILE',
        message: isDirectory
          ? `${configPath} is a directory, not a config file`
          : `config file not found: ${configPath}`,
        hint: isDirectory ? `did you mean ${join(configPath, DEFAULT_CONFIG_FILE)}?` : undefined,
      });
    }
  }
  if (text !== null) {
    config.configFile = configPath;
    fileDisplay = displayPath(cwd, configPath);
    const file = parseToml(text, fileDisplay);
    problems.push(...file.problems);
    warnings.push(...file.warnings);
    config.proxy = file.proxy;
    const base = dirname(configPath);
    for (const [path, value] of file.values) {
      const o = file.origins.get(path);
      apply(config, path, value, base);
      origins.set(path, { source: 'file', key: o?.key ?? path, line: o?.line });
    }
  }
  for (const [path, value] of env.values) {
    if (path === 'configFile') continue;
    apply(config, path, value, cwd);
    origins.set(path, { source: 'env', key: BY_PATH.get(path)?.env ?? path });
  }
  for (const [path, value] of args.values) {
    if (path === 'configFile') continue;
    apply(config, path, value, cwd);
    origins.set(path, { source: 'flag', key: `--${BY_PATH.get(path)?.flag ?? path}` });
  }

  config.isRootSet = origins.has('root');
  const reportSecret = (path: string, message: string): void => {
    const o = origins.get(path);
    problems.push({
      code: ERROR_CODES.SECRET_UNRESOLVED,
      source: o?.source === 'default' || o === undefined ? 'config' : o.source,
      key: o?.key ?? path,
      ...(o?.source === 'file' ? { line: o.line, file: fileDisplay } : {}),
      message,
    });
  };
  return {
    args,
    config,
    origins,
    fileDisplay,
    fileKind,
    problems,
    warnings,
    isUsageError,
    secretSources: { env: input.env, readFile },
    reportSecret,
  };
}

/** The cross-checks, run after the secret references are resolved (they look at values). */
function finish(state: GatherState): ResolveConfigResult {
  const { args, config, origins, fileDisplay, fileKind, problems, warnings, isUsageError } = state;
  crossCheck(config, origins, fileDisplay, fileKind, problems, warnings);
  // `--directory-listing maybe`: "maybe" was taken as ROOT because a bare boolean flag does
  // not swallow the next word (`--directory-listing ./public` is fine). When no such
  // directory exists, the word was meant as the flag's value: report that alone (issue #8).
  const afterFlag = args.rootAfterBoolean;
  const rootWord = args.values.get('root');
  // A word that looks like a path (`./pubilc`, `dist/`) stays a missing directory.
  const isPathLike = (w: string): boolean => w.includes('/') || w.startsWith('.');
  if (afterFlag !== null && typeof rootWord === 'string' && !isPathLike(rootWord)) {
    const at = problems.findIndex(
      (p) => p.code === ERROR_CODES.FILE_NOT_FOUND && p.key === '--root',
    );
    const flagKey = CONFIG_KEYS.find(
      (k) => `--${k.flag}` === afterFlag || `-${k.short}` === afterFlag,
    );
    if (at !== -1 && flagKey !== undefined) {
      const r = coerce(flagKey, rootWord);
      problems[at] = {
        code: ERROR_CODES.INVALID_VALUE,
        source: 'flag',
        key: afterFlag,
        message: r.ok ? 'unexpected value' : r.message,
      };
      return {
        command: args.command,
        config,
        problems,
        warnings,
        isUsageError: true,
        setKeys: new Set(origins.keys()),
      };
    }
  }
  return {
    command: args.command,
    config,
    problems,
    warnings,
    isUsageError,
    setKeys: new Set(origins.keys()),
  };
}

function displayPath(cwd: string, p: string): string {
  const rel = relative(cwd, p);
  return rel.length > 0 && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

function apply(config: ServerConfig, path: string, value: unknown, base: string): void {
  const k = BY_PATH.get(path);
  if (k?.type === 'path' && typeof value === 'string') value = resolve(base, value);
  // `--access-log` is a file unless it names a stream or turns the log off.
  if (path === 'accessLog' && typeof value === 'string' && !ACCESS_LOG_WORDS.has(value)) {
    value = resolve(base, value);
  }
  // A local bucket's root is relative to the file (or the working directory) like any path.
  const source = path === 'acme.storage' ? (value as ServerConfig['acme']['storage']) : null;
  if (source?.driver === 'local') value = { ...source, root: resolve(base, source.root) };
  if (path === 'virtualHosts') {
    value = (value as ServerConfig['virtualHosts']).map((h) => ({
      domain: h.domain,
      certFile: h.certFile === '' ? '' : resolve(base, h.certFile),
      keyFile: h.keyFile === '' ? '' : resolve(base, h.keyFile),
    }));
  }
  setPath(config, path, value);
}

function crossCheck(
  config: ServerConfig,
  origins: Map<string, Origin>,
  fileDisplay: string | undefined,
  fileKind: (path: string) => 'file' | 'directory' | null,
  problems: ConfigProblem[],
  warnings: ConfigProblem[],
): void {
  const where = (path: string): Pick<ConfigProblem, 'source' | 'key' | 'line' | 'file'> => {
    const o = origins.get(path);
    const k = BY_PATH.get(path);
    if (o === undefined || o.source === 'default') {
      return { source: 'config', key: k?.toml ?? path };
    }
    if (o.source === 'file') {
      return { source: 'file', key: o.key, line: o.line, file: fileDisplay };
    }
    return { source: o.source, key: o.key };
  };
  const add = (
    list: ConfigProblem[],
    code: ConfigProblem['code'],
    path: string,
    message: string,
  ) => {
    const w = where(path);
    list.push({ code, ...w, message });
  };

  if ((config.tlsCertFile === null) !== (config.tlsKeyFile === null)) {
    const has = config.tlsCertFile === null ? 'tlsKeyFile' : 'tlsCertFile';
    const missing =
      has === 'tlsCertFile' ? 'tls_key_file (--tls-key-file)' : 'tls_cert_file (--tls-cert-file)';
    add(
      problems,
      ERROR_CODES.TLS_PAIR_INCOMPLETE,
      has,
      `is set but ${missing} is not; TLS needs both`,
    );
  }
  if (config.tlsClientCaFile !== null && config.tlsCertFile === null) {
    add(
      problems,
      ERROR_CODES.TLS_PAIR_INCOMPLETE,
      'tlsClientCaFile',
      'client certificates (mTLS) need TLS: set tls_cert_file and tls_key_file too',
    );
  }
  for (const path of ['tlsCertFile', 'tlsKeyFile', 'tlsClientCaFile', 'basicAuthFile'] as const) {
    const p = config[path];
    // ACME writes the TLS files itself when [acme] cert_path/key_path are not set.
    if ((path === 'tlsCertFile' || path === 'tlsKeyFile') && isTlsFromAcme(config)) continue;
    if (p !== null && fileKind(p) !== 'file')
      add(problems, ERROR_CODES.FILE_NOT_FOUND, path, `file not found: ${p}`);
  }
  config.virtualHosts.forEach((h, i) => {
    for (const field of ['certFile', 'keyFile'] as const) {
      const p = h[field];
      if (p !== '' && fileKind(p) !== 'file') {
        const w = where('virtualHosts');
        problems.push({
          code: ERROR_CODES.FILE_NOT_FOUND,
          ...w,
          key:
            w.source === 'env'
              ? `RWS_CONFIG_VIRTUAL_HOST_${i}_${field === 'certFile' ? 'CERT_FILE' : 'KEY_FILE'}`
              : `virtual_host[${i}].${field === 'certFile' ? 'cert_file' : 'key_file'}`,
          message: `file not found: ${p}`,
        });
      }
    }
  });
  if (fileKind(config.root) !== 'directory') {
    add(problems, ERROR_CODES.FILE_NOT_FOUND, 'root', `directory not found: ${config.root}`);
  }
  checkAcme(config, (path, message) => add(problems, ERROR_CODES.INVALID_VALUE, path, message));
  if (config.httpRedirectPort !== null) {
    if (config.tlsCertFile === null && !isAcmeOn(config)) {
      add(warnings, ERROR_CODES.INVALID_VALUE, 'httpRedirectPort', 'has no effect without TLS');
    } else if (config.httpRedirectPort === config.port && config.port !== 0) {
      add(
        problems,
        ERROR_CODES.INVALID_VALUE,
        'httpRedirectPort',
        `must differ from port (${config.port})`,
      );
    }
  }
  if (config.virtualHosts.length > 0 && config.tlsCertFile === null && !isAcmeOn(config)) {
    add(
      warnings,
      ERROR_CODES.TLS_PAIR_INCOMPLETE,
      'virtualHosts',
      'virtual hosts have no effect without tls_cert_file and tls_key_file',
    );
  }
  config.allowedHosts.forEach((name, i) => {
    if (name.toLowerCase() !== 'any' && !isHostName(name)) {
      const w = where('allowedHosts');
      problems.push({
        code: ERROR_CODES.INVALID_VALUE,
        ...w,
        key: w.source === 'file' ? `${w.key}[${i}]` : w.key,
        message: `${JSON.stringify(name)} is not a host name, *.wildcard or IP address`,
      });
    }
  });
  if (config.admin !== null && config.admin.port !== 0) {
    const clash =
      config.admin.port === config.port
        ? 'port'
        : config.admin.port === config.httpRedirectPort
          ? 'http_redirect_port'
          : null;
    if (clash !== null) {
      add(problems, ERROR_CODES.INVALID_VALUE, 'admin', `port must differ from ${clash}`);
    }
  }
  if (config.adminMcpToken !== null) {
    if (config.admin === null) {
      add(
        problems,
        ERROR_CODES.INVALID_VALUE,
        'adminMcpToken',
        'needs the admin listener (admin.listen / --admin)',
      );
    } else if (config.adminMcpToken.length < 16) {
      // The endpoint can reload the config and stop the site: no guessable tokens.
      add(problems, ERROR_CODES.INVALID_VALUE, 'adminMcpToken', 'must be at least 16 characters');
    }
  }
  // A built-in endpoint answers before the static files: say so when it hides a real file.
  for (const [path, fallback] of [
    ['healthzPath', '/healthz'],
    ['readyzPath', '/readyz'],
    ['metricsPath', '/metrics'],
  ] as const) {
    const value = config[path];
    if (value === false) continue;
    // Without a path of their own, the endpoints move to the admin listener when there is one,
    // and /metrics is only on when the listener is loopback.
    if (value === null && config.admin !== null) continue;
    if (value === null && path === 'metricsPath' && !isLoopback(config.ip)) continue;
    const endpoint = value ?? fallback;
    const file = resolve(config.root, `.${endpoint}`);
    if (fileKind(file) === 'file') {
      add(
        warnings,
        ERROR_CODES.INVALID_VALUE,
        path,
        `${endpoint} is also a file in the root (${file}); the built-in endpoint answers it — move the endpoint (another path, off, or --admin)`,
      );
    }
  }
  if (
    config.spaFallback !== null &&
    fileKind(resolve(config.root, config.spaFallback)) !== 'file'
  ) {
    add(
      warnings,
      ERROR_CODES.FILE_NOT_FOUND,
      'spaFallback',
      `${config.spaFallback} does not exist under the root yet`,
    );
  }
}

function isLoopback(ip: string): boolean {
  return ip === 'localhost' || ip === '::1' || ip.startsWith('127.');
}

/** A DNS name (optionally `*.`-prefixed) or an IP address: what `allowed_hosts` takes. */
function isHostName(name: string): boolean {
  if (isIP(name) !== 0) return true;
  if (name.startsWith('[') && name.endsWith(']') && isIP(name.slice(1, -1)) === 6) return true;
  const bare = name.startsWith('*.') ? name.slice(2) : name;
  if (bare.length === 0 || bare.length > 253) return false;
  return bare.split('.').every((label) => {
    if (label.length === 0 || label.length > 63) return false;
    for (const ch of label) {
      const isOk = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
      if (!isOk && ch !== '-') return false;
    }
    return true;
  });
}

/** Thrown by `loadConfig()`: the configuration has problems, all listed in `problems`. */
export class ConfigError extends RwsError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const n = problems.length;
    super(
      ERROR_CODES.INVALID_CONFIG,
      `configuration has ${n} problem${n === 1 ? '' : 's'}:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Resolves the configuration and throws a `ConfigError` listing every problem. */
export function loadConfig(input: ResolveConfigInput): ServerConfig {
  const result = resolveConfig(input);
  if (result.problems.length > 0) throw new ConfigError(result.problems);
  return result.config;
}
