/**
 * `parseGatewayConfig()`: reads the gateway sections of `rws.config.toml` (TOML text or an
 * object of the same shape) and returns the typed `GatewayConfig` or every problem at once,
 * each with its key path, line and a did-you-mean hint. Each section has its reader module
 * (read-upstreams, read-routes, read-action, read-middleware, read-listeners); they share the
 * problem-collecting `Reader`.
 */
import { parse, TomlError } from 'smol-toml';
import { GATEWAY_CONFIG_CODES } from '../errors.js';
import type { GatewayAdmin, GatewayConfig } from './gateway-config.js';
import { readKubernetesIngress } from './read-discovery.js';
import { checkIdentityNeeds, readOidc, readSession } from './read-identity.js';
import { readTcpProxies, readUdpProxies, readWsProxies } from './read-listeners.js';
import { readMiddleware } from './read-middleware.js';
import { readRoutes } from './read-routes.js';
import { readUpstreams } from './read-upstreams.js';
import { type GatewayConfigProblem, isTable, Reader, type Table } from './reader.js';

export { parseBackendAddress } from './read-upstreams.js';
export type { GatewayConfigProblem } from './reader.js';

/** The result of `parseGatewayConfig()`: a config, or null with at least one problem. */
export interface GatewayConfigResult {
  readonly config: GatewayConfig | null;
  readonly problems: readonly GatewayConfigProblem[];
}

/** Options of `parseGatewayConfig()`. */
export interface ParseGatewayConfigOptions {
  /** The file name used in problems. Default `rws.config.toml` for text, none for objects. */
  file?: string | undefined;
  /**
   * Top-level keys that belong to someone else (the CLI's `port`, `[cors]`, …) and are not
   * reported as unknown. Default none: every key outside the gateway sections is reported.
   */
  ignoreKeys?: readonly string[] | undefined;
  /**
   * Ignore every top-level key outside the gateway sections: for a host (the `rws` CLI) that
   * validates its own keys in the same file. Default false.
   */
  ignoreOtherKeys?: boolean | undefined;
}

/** The top-level sections the gateway owns. */
export const GATEWAY_SECTIONS: readonly string[] = [
  'upstream',
  'route',
  'middleware',
  'admin',
  'tcp_proxy',
  'udp_proxy',
  'ws_proxy',
  'kubernetes_ingress',
  'session',
  'oidc',
];

/** `[admin]` keys a host such as the `rws` CLI owns (its admin listener), under `ignoreOtherKeys`. */
const HOST_ADMIN_KEYS: readonly string[] = ['listen', 'mcp_token'];

function readAdmin(r: Reader, v: unknown, isHosted: boolean): GatewayAdmin {
  const t = r.table(v, ['admin'], 'a table ([admin])');
  if (t === null) return { reload: false, tokenEnv: null };
  r.keys(t, ['admin'], ['reload', 'token_env', ...(isHosted ? HOST_ADMIN_KEYS : [])]);
  const reload = r.bool(t, 'reload', ['admin']) ?? false;
  const tokenEnv = r.string(t, 'token_env', ['admin']);
  if (reload && tokenEnv === null) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
      ['admin'],
      'reload = true needs token_env (the endpoint is never open)',
    );
  }
  return { reload, tokenEnv };
}

/**
 * Validates a gateway configuration: TOML text, or an object shaped like the parsed TOML
 * (snake_case keys). Every problem is reported at once; `config` is null when there is any.
 *
 * @example
 * ```ts
 * import { formatConfigProblem, parseGatewayConfig } from '@rws/proxy';
 * const { config, problems } = parseGatewayConfig('[[route]]\n[route.action]\ntype = "respond"\n');
 * for (const p of problems) console.error(formatConfigProblem(p));
 * ```
 */
export function parseGatewayConfig(
  input: string | Readonly<Record<string, unknown>>,
  options: ParseGatewayConfigOptions = {},
): GatewayConfigResult {
  const text = typeof input === 'string' ? input : null;
  const file = options.file ?? (text === null ? undefined : 'rws.config.toml');
  const r = new Reader(text, file);
  let tree: Table;
  if (text !== null) {
    try {
      tree = parse(text) as Table;
    } catch (err) {
      r.problems.push({
        code: GATEWAY_CONFIG_CODES.CONFIG_TOML_SYNTAX,
        source: file === undefined ? 'config' : 'file',
        file,
        key: '(syntax)',
        line: err instanceof TomlError ? err.line : undefined,
        message: String((err as Error).message).split('\n')[0]!,
      });
      return { config: null, problems: r.problems };
    }
  } else if (isTable(input)) {
    tree = input as Table;
  } else {
    r.invalid([], 'the gateway configuration must be an object or TOML text');
    return { config: null, problems: r.problems };
  }
  if (options.ignoreOtherKeys !== true) {
    r.keys(tree, [], [...GATEWAY_SECTIONS, ...(options.ignoreKeys ?? [])]);
  }
  const upstreams = readUpstreams(r, tree['upstream']);
  const byName = new Map(upstreams.map((u) => [u.name, u]));
  const routes = readRoutes(r, tree['route'], byName);
  const middleware = readMiddleware(r, tree['middleware'], ['middleware'], true);
  const admin = readAdmin(r, tree['admin'], options.ignoreOtherKeys === true);
  const tcpProxies = readTcpProxies(r, tree['tcp_proxy']);
  const udpProxies = readUdpProxies(r, tree['udp_proxy']);
  const wsProxies = readWsProxies(r, tree['ws_proxy']);
  const kubernetesIngress = readKubernetesIngress(r, tree['kubernetes_ingress']);
  const session = readSession(r, tree['session']);
  const oidc = readOidc(r, tree['oidc']);
  checkIdentityNeeds(r, session, oidc, routes);
  // Problems in file order: what a human fixes top to bottom.
  const problems = r.problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.length > 0) return { config: null, problems };
  return {
    config: {
      upstreams,
      routes,
      middleware,
      admin,
      tcpProxies,
      udpProxies,
      wsProxies,
      kubernetesIngress,
      session,
      oidc,
    },
    problems,
  };
}

/** True when a parsed config tree has gateway work to do (routes, upstreams, L4 and WebSocket listeners, Ingress). */
export function hasGatewaySections(tree: Readonly<Record<string, unknown>>): boolean {
  return (
    tree['route'] !== undefined ||
    tree['upstream'] !== undefined ||
    tree['tcp_proxy'] !== undefined ||
    tree['udp_proxy'] !== undefined ||
    tree['ws_proxy'] !== undefined ||
    tree['kubernetes_ingress'] !== undefined
  );
}
