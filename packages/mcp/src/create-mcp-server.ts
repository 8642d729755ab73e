import type { Handler } from '@rws/core';
import { McpError } from './errors.js';
import { createMemoryEventStore, type McpEventStore } from './event-store.js';
import { createProtectedResource, type McpAuthOptions } from './internal/auth.js';
import { Dispatcher, shouldLog } from './internal/dispatcher.js';
import { createOriginGuard } from './internal/http-checks.js';
import { Listeners } from './internal/listeners.js';
import { createModernHandler, MODERN_VERSIONS } from './internal/modern.js';
import { StateSigner } from './internal/mrtr.js';
import { SessionStore } from './internal/session.js';
import { createTransport } from './internal/transport.js';
import { Registry } from './registry.js';
import type {
  Icon,
  LogLevel,
  PromptDefinition,
  ResourceDefinition,
  ResourceTemplateDefinition,
  ToolDefinition,
} from './types.js';

export type { McpAuthOptions } from './internal/auth.js';

/** The session-based revisions (an `initialize` handshake), newest first. */
const LEGACY_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

/**
 * The protocol revisions served, newest first: the stateless 2026-07-28 (per-request `_meta`),
 * then the session-based ones. An `initialize` asking for one we do not speak gets 2025-11-25.
 */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  ...MODERN_VERSIONS,
  ...LEGACY_VERSIONS,
];

/** Options of `createMcpServer`. */
export interface McpServerOptions {
  /** `serverInfo.name`. */
  name: string;
  /** `serverInfo.version`. */
  version: string;
  title?: string;
  /** `serverInfo.icons` (2025-11-25 and later). */
  icons?: Icon[];
  /** `serverInfo.websiteUrl` (2025-11-25 and later). */
  websiteUrl?: string;
  /** Sent in the `initialize` and `server/discover` results to guide the model. */
  instructions?: string;
  /** Items per page of `tools/list`, `resources/list`, `prompts/list`. Default 100. */
  pageSize?: number;
  /**
   * A session with no new request, no request running and no open GET stream for this long
   * ends (404 after). Default 30 min.
   */
  sessionIdleTimeoutMs?: number;
  /** Largest POST body. Default 4 MiB; past it 413 with a JSON-RPC error. */
  maxBodyBytes?: number;
  /**
   * How POST requests are answered: `auto` (default) streams SSE when a request asks for
   * progress (`_meta.progressToken`) and the client accepts it, or from the moment a handler
   * sends the client a request (elicitation, sampling), else JSON; `json`; `sse`.
   */
  responseMode?: 'auto' | 'json' | 'sse';
  /**
   * Origins allowed besides the default (see README): exact `scheme://host[:port]` strings.
   * `'*'` allows any Origin (only behind an auth layer you trust).
   */
  allowedOrigins?: readonly string[];
  /** Host names (no port) allowed besides the default; `'*'` turns the Host check off. */
  allowedHosts?: readonly string[];
  /**
   * Events kept per session by the default in-memory event store, for `Last-Event-ID`
   * resumption. Default 1000; 0 turns resumption off. Ignored with `eventStore`.
   */
  eventHistory?: number;
  /** Where SSE events are kept for resumption (see `McpEventStore`). Default: in memory. */
  eventStore?: McpEventStore;
  /**
   * False: stateless mode. No `Mcp-Session-Id` is issued, each POST stands alone (it may come
   * to any instance behind a load balancer), GET and DELETE get 405. Default true.
   */
  sessions?: boolean;
  /** Open sessions at most; past it `initialize` gets 503. Default 10000. */
  maxSessions?: number;
  /**
   * Bearer-token protection and OAuth protected-resource metadata (RFC 9728). Without it the
   * endpoint is open (put your own auth middleware in front, or none on localhost).
   */
  auth?: McpAuthOptions;
  /**
   * 2026-07-28: the key that signs `requestState` of multi round-trip requests, which carries
   * the client's earlier answers through the client. Default: a random key of this process,
   * so set the same one on every instance behind a load balancer.
   */
  requestStateSecret?: string | Uint8Array;
  /**
   * 2026-07-28 cache hints of list, read and discover results: `ttlMs` (default 0, stale at
   * once) and `scope` (default `'private'` with `auth`, else `'public'`).
   */
  cache?: { ttlMs?: number; scope?: 'public' | 'private' };
}

/** An MCP server: register features, then mount `handler` on a route (`app.all('/mcp', …)`). */
export interface McpServer {
  /** The core handler for GET, POST and DELETE of the Streamable HTTP transport. */
  readonly handler: Handler;
  /**
   * With `auth`: the path of the protected-resource metadata (RFC 9728 §3.1, e.g.
   * `/.well-known/oauth-protected-resource/mcp`) and its handler, to mount at the root of the
   * same origin. Null without `auth`.
   */
  readonly resourceMetadata: { readonly path: string; readonly handler: Handler } | null;
  /** Registers a tool; sessions are told with `notifications/tools/list_changed`. */
  tool<Args = Record<string, unknown>>(def: ToolDefinition<Args>): this;
  resource(def: ResourceDefinition): this;
  resourceTemplate(def: ResourceTemplateDefinition): this;
  prompt(def: PromptDefinition): this;
  /** Removes a tool; true when it existed (sessions get `list_changed`). */
  removeTool(name: string): boolean;
  /** Removes a resource by URI; true when it existed. */
  removeResource(uri: string): boolean;
  /** Removes a resource template by name; true when it existed. */
  removeResourceTemplate(name: string): boolean;
  /** Removes a prompt; true when it existed. */
  removePrompt(name: string): boolean;
  /**
   * Tells the sessions subscribed to `uri` (`resources/subscribe`) that it changed
   * (`notifications/resources/updated` on their GET stream).
   */
  notifyResourceUpdated(uri: string): void;
  /**
   * 2025-11-25: tells the session that started a URL-mode elicitation that the user finished
   * it (`notifications/elicitation/complete`, on its GET stream). False when the session is
   * gone or has no GET stream. 2026-07-28 has no such notification (the client retries).
   */
  notifyElicitationComplete(sessionId: string, elicitationId: string): boolean;
  /** Sends `notifications/message` to every session (on its GET stream) at or above its level. */
  log(level: LogLevel, data: unknown, logger?: string): void;
  /** Open sessions, by id. */
  sessionIds(): string[];
  /** Ends every session (in-flight handlers are aborted, streams closed) and stops the sweeper. */
  close(): void;
}

function positive(key: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new McpError('RWS_MCP_INVALID_OPTIONS', `${key} must be a positive integer, got ${v}`);
  }
  return v;
}

/** Creates an MCP server speaking the Streamable HTTP transport (2024-11-05 to 2026-07-28). */
export function createMcpServer(options: McpServerOptions): McpServer {
  if (!options || typeof options.name !== 'string' || options.name === '') {
    throw new McpError('RWS_MCP_INVALID_OPTIONS', 'createMcpServer needs a non-empty name');
  }
  if (typeof options.version !== 'string' || options.version === '') {
    throw new McpError('RWS_MCP_INVALID_OPTIONS', 'createMcpServer needs a non-empty version');
  }
  const pageSize = positive('pageSize', options.pageSize ?? 100);
  const maxSessions = positive('maxSessions', options.maxSessions ?? 10_000);
  const idleMs = positive('sessionIdleTimeoutMs', options.sessionIdleTimeoutMs ?? 30 * 60_000);
  const maxBodyBytes = positive('maxBodyBytes', options.maxBodyBytes ?? 4 * 1024 * 1024);
  const historySize = options.eventHistory ?? 1000;
  if (!Number.isSafeInteger(historySize) || historySize < 0) {
    throw new McpError('RWS_MCP_INVALID_OPTIONS', `eventHistory must be >= 0, got ${historySize}`);
  }
  const auth = options.auth === undefined ? null : createProtectedResource(options.auth);
  const registry = new Registry();
  const events =
    options.eventStore ??
    (historySize > 0 ? createMemoryEventStore({ maxEventsPerSession: historySize }) : null);
  const store = new SessionStore(idleMs, events);
  const dispatcher = new Dispatcher(registry, store, pageSize);
  const serverInfo: Record<string, unknown> = { name: options.name, version: options.version };
  if (options.title !== undefined) serverInfo['title'] = options.title;
  if (options.icons !== undefined) serverInfo['icons'] = options.icons;
  if (options.websiteUrl !== undefined) serverInfo['websiteUrl'] = options.websiteUrl;
  const ttlMs = options.cache?.ttlMs ?? 0;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 0) {
    throw new McpError(
      'RWS_MCP_INVALID_OPTIONS',
      `cache.ttlMs must be an integer >= 0, got ${ttlMs}`,
    );
  }
  const listeners = new Listeners(serverInfo);
  const modern = createModernHandler({
    serverInfo,
    instructions: options.instructions,
    versions: SUPPORTED_PROTOCOL_VERSIONS,
    mode: options.responseMode ?? 'auto',
    registry,
    store,
    dispatcher,
    listeners,
    signer: new StateSigner(options.requestStateSecret),
    cache: { ttlMs, scope: options.cache?.scope ?? (auth === null ? 'public' : 'private') },
  });
  const handler = createTransport({
    serverInfo,
    modern,
    instructions: options.instructions,
    versions: LEGACY_VERSIONS,
    maxSessions,
    maxBodyBytes,
    mode: options.responseMode ?? 'auto',
    registry,
    store,
    dispatcher,
    guard: createOriginGuard(
      new Set(options.allowedOrigins ?? []),
      new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase())),
    ),
    auth,
    sessions: options.sessions ?? true,
  });

  const listChanged = (kind: 'tools' | 'resources' | 'prompts'): void => {
    dispatcher.broadcast(`notifications/${kind}/list_changed`, undefined);
    listeners.listChanged(kind);
  };
  const removed = (kind: 'tools' | 'resources' | 'prompts', existed: boolean): boolean => {
    if (existed) listChanged(kind);
    return existed;
  };

  return {
    handler,
    resourceMetadata:
      auth === null ? null : { path: auth.metadataPath, handler: auth.metadataHandler },
    tool(def) {
      registry.addTool(def as unknown as ToolDefinition<never>);
      listChanged('tools');
      return this;
    },
    resource(def) {
      registry.addResource(def);
      listChanged('resources');
      return this;
    },
    resourceTemplate(def) {
      registry.addTemplate(def);
      listChanged('resources');
      return this;
    },
    prompt(def) {
      registry.addPrompt(def);
      listChanged('prompts');
      return this;
    },
    removeTool: (name) => removed('tools', registry.remove('tool', name)),
    removeResource: (uri) => removed('resources', registry.remove('resource', uri)),
    removeResourceTemplate: (name) =>
      removed('resources', registry.remove('resourceTemplate', name)),
    removePrompt: (name) => removed('prompts', registry.remove('prompt', name)),
    notifyResourceUpdated(uri) {
      dispatcher.broadcast('notifications/resources/updated', { uri }, (s) =>
        s.subscriptions.has(uri),
      );
      listeners.resourceUpdated(uri);
    },
    notifyElicitationComplete(sessionId, elicitationId) {
      const s = store.get(sessionId);
      if (s === null) return false;
      return store.sendStandalone(s, {
        jsonrpc: '2.0',
        method: 'notifications/elicitation/complete',
        params: { elicitationId },
      });
    },
    log(level, data, logger) {
      const params: Record<string, unknown> = { level, data };
      if (logger !== undefined) params['logger'] = logger;
      dispatcher.broadcast('notifications/message', params, (s) => shouldLog(s, level));
    },
    sessionIds: () => store.ids(),
    close: () => {
      listeners.close();
      store.close();
    },
  };
}
