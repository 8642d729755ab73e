/**
 * The admin MCP endpoint (`[admin] mcp_token`): an MCP server at `/mcp` on the admin listener
 * whose tools read the running configuration, metrics, routes and upstream health, reload the
 * configuration and toggle maintenance mode, so an agent can operate the server. Every request
 * needs `Authorization: Bearer <token>`; nothing is served on the main listener.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type Handler, type Request, type Response, text } from '@rws/core';
import { createMcpServer, type McpServer } from '@rws/mcp';
import type { Gateway } from '@rws/proxy';
import type { RunningServer } from '@rws/server';
import type { ServerConfig } from './config/server-config.js';
import type { Maintenance } from './maintenance.js';
import { VERSION } from './version.js';

/** What the tools read and drive: the live state of `startServer`. */
export interface AdminState {
  config(): ServerConfig;
  server(): RunningServer | null;
  gateway(): Gateway | null;
  /** Reloads as SIGHUP does; resolves with what happened. */
  reload(): Promise<{ applied: boolean; message: string }>;
  readonly maintenance: Maintenance;
}

/** Keys whose values are secrets wherever they appear in the configuration. */
const SECRET_KEY = /password|secret|token|credential|api_?key|private|hmac|basic_?auth/i;

/** The configuration with secrets replaced, safe to hand to a model. */
export function redactConfig(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key) && value !== null && value !== undefined) return '(redacted)';
  if (typeof value === 'string') {
    // A URL's password (a database URL) is a secret too.
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):[^@\s]*@/i, '$1:(redacted)@');
  }
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactConfig(v, k);
    return out;
  }
  return value;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function unauthorized(error: string | null): Response {
  const res = text('Unauthorized\n', { status: 401 });
  res.headers.set(
    'www-authenticate',
    error === null ? 'Bearer realm="rws-admin"' : `Bearer realm="rws-admin", error="${error}"`,
  );
  return res;
}

const asJson = (value: unknown): string => JSON.stringify(value, null, 2);

/** Registers the admin tools on `mcp`. */
function registerTools(mcp: McpServer, state: AdminState): void {
  const readOnly = { readOnlyHint: true, openWorldHint: false };
  mcp
    .tool({
      name: 'status',
      title: 'Server status',
      description: 'Version, listening URLs, readiness, draining and maintenance mode.',
      annotations: readOnly,
      handler: () => {
        const server = state.server();
        return asJson({
          version: VERSION,
          pid: process.pid,
          uptimeSeconds: Math.round(process.uptime()),
          urls: server?.urls.map((u) => u.url) ?? [],
          ready: server?.isReady ?? false,
          draining: server?.isDraining ?? false,
          maintenance: state.maintenance.state(),
          configFile: state.config().configFile,
        });
      },
    })
    .tool({
      name: 'get_config',
      title: 'Running configuration',
      description:
        'The configuration in force (flags, environment and rws.config.toml resolved), secrets redacted.',
      annotations: readOnly,
      handler: () => asJson(redactConfig(state.config())),
    })
    .tool({
      name: 'get_metrics',
      title: 'Metrics',
      description: 'The Prometheus metrics of this process (what /metrics serves).',
      annotations: readOnly,
      handler: async () => {
        const metrics = state.server()?.metrics ?? null;
        if (metrics === null) return 'metrics are off';
        return (await metrics.response()).body as string;
      },
    })
    .tool({
      name: 'list_routes',
      title: 'Gateway routes',
      description: 'The [[route]]s of the gateway in order: name, match and action.',
      annotations: readOnly,
      handler: () => {
        const gateway = state.gateway();
        if (gateway === null) return 'no gateway: rws is serving static files only';
        return asJson(
          gateway.config.routes.map((r) => ({
            index: r.index,
            name: r.name,
            match: r.match,
            action: redactConfig(r.action),
          })),
        );
      },
    })
    .tool({
      name: 'upstream_health',
      title: 'Upstream health',
      description:
        'Each [[upstream]] and its backends: healthy (active checks), ejected (outlier detection), circuit, requests and failures.',
      annotations: readOnly,
      handler: () => {
        const gateway = state.gateway();
        if (gateway === null) return 'no gateway: there are no upstreams';
        return asJson([...gateway.upstreams].map(([name, u]) => ({ name, backends: u.backends })));
      },
    })
    .tool({
      name: 'reload_config',
      title: 'Reload the configuration',
      description:
        'Re-reads flags, environment and rws.config.toml and applies them live, as SIGHUP does; a bad configuration changes nothing.',
      annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: false },
      handler: async () => {
        const r = await state.reload();
        return { content: [{ type: 'text', text: r.message }], isError: !r.applied };
      },
    })
    .tool({
      name: 'set_maintenance',
      title: 'Maintenance mode',
      description:
        'On: the main listener answers every request 503 with Retry-After (health endpoints and this admin listener keep working). Off: normal service.',
      inputSchema: {
        type: 'object',
        properties: {
          enabled: { type: 'boolean' },
          retryAfterSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
          message: { type: 'string' },
        },
        required: ['enabled'],
      },
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
      handler: (args) => {
        const retry = args['retryAfterSeconds'];
        if (retry !== undefined && !(Number.isInteger(retry) && Number(retry) >= 1)) {
          return {
            content: [{ type: 'text', text: 'retryAfterSeconds must be an integer >= 1' }],
            isError: true,
          };
        }
        state.maintenance.set(args['enabled'] === true, {
          retryAfterSeconds: retry as number | undefined,
          message: args['message'] as string | undefined,
        });
        return asJson(state.maintenance.state());
      },
    });
}

/**
 * The admin listener's extra handler: `/mcp` behind the bearer token, 404 for other paths.
 */
export function createAdminMcpHandler(token: string, state: AdminState): Handler {
  const mcp = createMcpServer({
    name: 'rws-admin',
    version: VERSION,
    title: 'rws admin',
    instructions:
      'Operate this rws server: read its status, configuration, metrics, routes and upstream health; reload its configuration; turn maintenance mode on or off.',
    // The admin listener has the server's DNS-rebinding guard (421) and the token below.
    allowedHosts: ['*'],
  });
  registerTools(mcp, state);
  const expected = digest(token);
  return async (req: Request) => {
    if (req.path !== '/mcp') return text('not found\n', { status: 404 });
    const header = req.headers.get('authorization') ?? '';
    const m = /^Bearer +(\S+)$/i.exec(header);
    if (m === null) return unauthorized(null);
    if (!timingSafeEqual(digest(m[1] as string), expected)) return unauthorized('invalid_token');
    return mcp.handler(req);
  };
}
