import { randomUUID } from 'node:crypto';
import {
  empty,
  type Handler,
  Headers,
  json,
  normalizeHost,
  type Request,
  type Response,
  type SseEvent,
  sse,
} from '@rws/core';
import { Channel } from './channel.js';
import { McpError } from './errors.js';
import {
  classifyMessage,
  errorResponse,
  type IncomingMessage,
  JSON_RPC_ERRORS,
  JsonRpcError,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
  resultResponse,
} from './json-rpc.js';
import { Registry } from './registry.js';
import type {
  ClientInfo,
  LogLevel,
  McpContext,
  PromptDefinition,
  ResourceDefinition,
  ResourceTemplateDefinition,
  ToolDefinition,
} from './types.js';

/** The protocol revisions served, newest first. 2025-06-18 is the one we negotiate by default. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
];

/** Revisions whose JSON-RPC layer still allows batches (2025-06-18 removed them). */
const BATCH_VERSIONS = new Set(['2025-03-26', '2024-11-05']);

const LOG_LEVELS: readonly LogLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** Options of `createMcpServer`. */
export interface McpServerOptions {
  /** `serverInfo.name`. */
  name: string;
  /** `serverInfo.version`. */
  version: string;
  title?: string;
  /** Sent in the `initialize` result to guide the model. */
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
   * progress (`_meta.progressToken`) and the client accepts it, else JSON; `json`; `sse`.
   */
  responseMode?: 'auto' | 'json' | 'sse';
  /**
   * Origins allowed besides the default (see README): exact `scheme://host[:port]` strings.
   * `'*'` allows any Origin (only behind an auth layer you trust).
   */
  allowedOrigins?: readonly string[];
  /** Host names (no port) allowed besides the default; `'*'` turns the Host check off. */
  allowedHosts?: readonly string[];
  /** Events kept per session for `Last-Event-ID` resumption. Default 1000. */
  eventHistory?: number;
  /** Open sessions at most; past it `initialize` gets 503. Default 10000. */
  maxSessions?: number;
}

interface Stream {
  readonly id: string;
  channel: Channel<SseEvent>;
  seq: number;
  live: boolean;
}

interface Session {
  readonly id: string;
  readonly protocolVersion: string;
  readonly clientInfo: ClientInfo | null;
  readonly clientCapabilities: Record<string, unknown>;
  initialized: boolean;
  lastSeen: number;
  logLevel: LogLevel | null;
  readonly inflight: Map<RequestId, AbortController>;
  readonly streams: Map<string, Stream>;
  standalone: Stream | null;
  readonly history: { stream: string; seq: number; event: SseEvent }[];
  nextStream: number;
}

/** An MCP server: register features, then mount `handler` on a route (`app.all('/mcp', …)`). */
export interface McpServer {
  /** The core handler for GET, POST and DELETE of the Streamable HTTP transport. */
  readonly handler: Handler;
  tool<Args = Record<string, unknown>>(def: ToolDefinition<Args>): this;
  resource(def: ResourceDefinition): this;
  resourceTemplate(def: ResourceTemplateDefinition): this;
  prompt(def: PromptDefinition): this;
  /** Sends `notifications/message` to every session (on its GET stream) at or above its level. */
  log(level: LogLevel, data: unknown, logger?: string): void;
  /** Open sessions, by id. */
  sessionIds(): string[];
  /** Ends every session (in-flight handlers are aborted, streams closed) and stops the sweeper. */
  close(): void;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function isLoopbackAddress(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

function mediaTypes(header: string | null): string[] {
  if (!header) return [];
  return header.split(',').map((p) => (p.split(';')[0] ?? '').trim().toLowerCase());
}

function accepts(header: string | null, type: string): boolean {
  const [major] = type.split('/');
  return mediaTypes(header).some((t) => t === type || t === '*/*' || t === `${major}/*`);
}

function rpcError(status: number, code: number, message: string, id: RequestId | null = null) {
  return json(errorResponse(id, code, message), { status });
}

/** Creates an MCP server speaking the Streamable HTTP transport (2025-06-18, 2025-03-26). */
export function createMcpServer(options: McpServerOptions): McpServer {
  if (!options || typeof options.name !== 'string' || options.name === '') {
    throw new McpError('RWS_MCP_INVALID_OPTIONS', 'createMcpServer needs a non-empty name');
  }
  if (typeof options.version !== 'string' || options.version === '') {
    throw new McpError('RWS_MCP_INVALID_OPTIONS', 'createMcpServer needs a non-empty version');
  }
  const pageSize = options.pageSize ?? 100;
  const idleMs = options.sessionIdleTimeoutMs ?? 30 * 60_000;
  const maxBody = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const historySize = options.eventHistory ?? 1000;
  const maxSessions = options.maxSessions ?? 10_000;
  for (const [key, v] of [
    ['pageSize', pageSize],
    ['maxSessions', maxSessions],
    ['sessionIdleTimeoutMs', idleMs],
    ['maxBodyBytes', maxBody],
  ] as const) {
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw new McpError('RWS_MCP_INVALID_OPTIONS', `${key} must be a positive integer, got ${v}`);
    }
  }
  if (!Number.isSafeInteger(historySize) || historySize < 0) {
    throw new McpError('RWS_MCP_INVALID_OPTIONS', `eventHistory must be >= 0, got ${historySize}`);
  }
  const mode = options.responseMode ?? 'auto';
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const allowedHosts = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase()));
  const registry = new Registry();
  const sessions = new Map<string, Session>();

  const sweeper = setInterval(sweep, Math.min(idleMs, 60_000));
  sweeper.unref();

  function isExpired(s: Session, now: number): boolean {
    // A long tool call or an open GET stream is activity, even without new requests.
    if (s.inflight.size > 0) return false;
    if (s.standalone?.live && !s.standalone.channel.closed) return false;
    return now - s.lastSeen > idleMs;
  }

  function sweep(): void {
    const now = Date.now();
    for (const s of sessions.values()) if (isExpired(s, now)) endSession(s);
  }

  function endSession(s: Session): void {
    sessions.delete(s.id);
    for (const c of s.inflight.values()) c.abort(new Error('session ended'));
    s.inflight.clear();
    for (const st of s.streams.values()) {
      st.live = false;
      st.channel.close();
    }
    s.streams.clear();
    s.standalone = null;
  }

  /** DNS-rebinding defence (spec "Security Warning"): Host and Origin must be expected ones. */
  function checkOrigin(req: Request): Response | null {
    const host = normalizeHost(req.authority ?? '');
    const loopback = isLoopbackAddress(req.conn.localAddress);
    if (!allowedHosts.has('*')) {
      // On a loopback listener only loopback names are valid: a rebinding page reaches us
      // under its own host name, which is what this refuses.
      if (loopback && !LOOPBACK_HOSTS.has(host) && !allowedHosts.has(host)) {
        return rpcError(403, JSON_RPC_ERRORS.SERVER_ERROR, `Host ${host} is not allowed`);
      }
      if (!loopback && allowedHosts.size > 0 && !allowedHosts.has(host)) {
        return rpcError(403, JSON_RPC_ERRORS.SERVER_ERROR, `Host ${host} is not allowed`);
      }
    }
    const origin = req.headers.get('origin');
    if (origin === null || allowedOrigins.has('*') || allowedOrigins.has(origin)) return null;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return rpcError(403, JSON_RPC_ERRORS.SERVER_ERROR, `Origin ${origin} is not allowed`);
    }
    const originHost = normalizeHost(url.host);
    const sameOrigin = url.host.toLowerCase() === (req.authority ?? '').toLowerCase();
    const ok = loopback ? LOOPBACK_HOSTS.has(normalizeHost(url.hostname)) : sameOrigin;
    if (!ok || originHost === '') {
      return rpcError(403, JSON_RPC_ERRORS.SERVER_ERROR, `Origin ${origin} is not allowed`);
    }
    return null;
  }

  function lookupSession(req: Request): Session | Response {
    const id = req.headers.get('mcp-session-id');
    if (id === null) {
      return rpcError(
        400,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Bad Request: Mcp-Session-Id header is required',
      );
    }
    const s = sessions.get(id);
    if (!s || isExpired(s, Date.now())) {
      if (s) endSession(s);
      return rpcError(404, -32001, 'Session not found');
    }
    const version = req.headers.get('mcp-protocol-version');
    if (version !== null && version !== s.protocolVersion) {
      return rpcError(
        400,
        JSON_RPC_ERRORS.SERVER_ERROR,
        SUPPORTED_PROTOCOL_VERSIONS.includes(version)
          ? `Bad Request: MCP-Protocol-Version ${version} is not the negotiated ${s.protocolVersion}`
          : `Bad Request: unsupported MCP-Protocol-Version ${version} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
      );
    }
    s.lastSeen = Date.now();
    return s;
  }

  function openStream(s: Session): Stream {
    const id = String(s.nextStream++);
    const stream: Stream = { id, channel: new Channel(), seq: 0, live: true };
    s.streams.set(id, stream);
    return stream;
  }

  /** Queues an event on a stream, numbered `<stream>_<seq>` and remembered for resumption. */
  function emit(s: Session, stream: Stream, data: unknown): void {
    const seq = ++stream.seq;
    const event: SseEvent = { event: 'message', id: `${stream.id}_${seq}`, data };
    if (historySize > 0) {
      s.history.push({ stream: stream.id, seq, event });
      if (s.history.length > historySize) s.history.shift();
    }
    stream.channel.push(event);
  }

  function finishStream(s: Session, stream: Stream): void {
    stream.live = false;
    stream.channel.close();
    s.streams.delete(stream.id);
  }

  /** Where a message unrelated to an open POST stream goes: the GET stream, if open. */
  function sendStandalone(s: Session, data: unknown): void {
    if (s.standalone?.live) emit(s, s.standalone, data);
  }

  function makeContext(
    s: Session,
    req: JsonRpcRequest,
    httpRequest: Request,
    signal: AbortSignal,
    send: (data: unknown) => void,
  ): McpContext {
    const meta = req.params?.['_meta'] as Record<string, unknown> | undefined;
    const token = meta?.['progressToken'];
    return {
      sessionId: s.id,
      protocolVersion: s.protocolVersion,
      clientInfo: s.clientInfo,
      requestId: req.id,
      meta,
      signal,
      httpRequest,
      progress(progress, total, message) {
        if ((typeof token !== 'string' && typeof token !== 'number') || signal.aborted) return;
        const params: Record<string, unknown> = { progressToken: token, progress };
        if (total !== undefined) params['total'] = total;
        if (message !== undefined) params['message'] = message;
        send({ jsonrpc: '2.0', method: 'notifications/progress', params });
      },
      log(level, data, logger) {
        if (signal.aborted || !shouldLog(s, level)) return;
        const params: Record<string, unknown> = { level, data };
        if (logger !== undefined) params['logger'] = logger;
        send({ jsonrpc: '2.0', method: 'notifications/message', params });
      },
    };
  }

  function shouldLog(s: Session, level: LogLevel): boolean {
    return s.logLevel === null || LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(s.logLevel);
  }

  /** Runs one request; null when it was cancelled (no response is sent then, spec). */
  async function dispatch(
    s: Session,
    req: JsonRpcRequest,
    httpRequest: Request,
    send: (data: unknown) => void,
  ): Promise<JsonRpcResponse | null> {
    if (s.inflight.has(req.id)) {
      return errorResponse(
        req.id,
        JSON_RPC_ERRORS.INVALID_REQUEST,
        `request id ${req.id} is already in use`,
      );
    }
    const controller = new AbortController();
    s.inflight.set(req.id, controller);
    const ctx = makeContext(s, req, httpRequest, controller.signal, send);
    const params = req.params ?? {};
    try {
      const result = await call(s, req.method, params, ctx);
      if (controller.signal.aborted) return null;
      return resultResponse(req.id, result);
    } catch (err) {
      if (controller.signal.aborted) return null;
      if (err instanceof JsonRpcError) {
        return errorResponse(req.id, err.code, err.message, err.data);
      }
      return errorResponse(req.id, JSON_RPC_ERRORS.INTERNAL_ERROR, 'Internal error');
    } finally {
      s.inflight.delete(req.id);
    }
  }

  async function call(
    s: Session,
    method: string,
    params: Record<string, unknown>,
    ctx: McpContext,
  ): Promise<unknown> {
    const cursor = params['cursor'];
    switch (method) {
      case 'ping':
        return {};
      case 'initialize':
        throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_REQUEST, 'session is already initialized');
      case 'logging/setLevel': {
        const level = params['level'];
        if (typeof level !== 'string' || !LOG_LEVELS.includes(level as LogLevel)) {
          throw new JsonRpcError(
            JSON_RPC_ERRORS.INVALID_PARAMS,
            `level must be one of ${LOG_LEVELS.join(', ')}`,
          );
        }
        s.logLevel = level as LogLevel;
        return {};
      }
    }
    if (method.startsWith('tools/') && registry.tools.size > 0) {
      if (method === 'tools/list') return registry.listTools(cursor, pageSize);
      if (method === 'tools/call') return registry.callTool(params, ctx);
    }
    if (
      method.startsWith('resources/') &&
      (registry.resources.size > 0 || registry.templates.length > 0)
    ) {
      if (method === 'resources/list') return registry.listResources(cursor, pageSize);
      if (method === 'resources/templates/list') return registry.listTemplates(cursor, pageSize);
      if (method === 'resources/read') return registry.readResource(params, ctx);
    }
    if (method.startsWith('prompts/') && registry.prompts.size > 0) {
      if (method === 'prompts/list') return registry.listPrompts(cursor, pageSize);
      if (method === 'prompts/get') return registry.getPrompt(params, ctx);
    }
    throw new JsonRpcError(JSON_RPC_ERRORS.METHOD_NOT_FOUND, `Method not found: ${method}`);
  }

  function onNotification(s: Session, method: string, params: Record<string, unknown>): void {
    if (method === 'notifications/initialized') s.initialized = true;
    else if (method === 'notifications/cancelled') {
      const id = params['requestId'];
      if (typeof id === 'string' || typeof id === 'number') {
        const reason = params['reason'];
        s.inflight
          .get(id)
          ?.abort(new Error(typeof reason === 'string' ? reason : 'cancelled by the client'));
      }
    }
    // Other notifications (progress, roots/list_changed, unknown ones) need no answer.
  }

  function initialize(msg: JsonRpcRequest): Response {
    const p = msg.params ?? {};
    const requested = p['protocolVersion'];
    const clientInfo = p['clientInfo'];
    const caps = p['capabilities'];
    if (
      typeof requested !== 'string' ||
      typeof clientInfo !== 'object' ||
      clientInfo === null ||
      typeof (clientInfo as ClientInfo).name !== 'string' ||
      (caps !== undefined && (typeof caps !== 'object' || caps === null))
    ) {
      return rpcError(
        400,
        JSON_RPC_ERRORS.INVALID_PARAMS,
        'initialize needs protocolVersion (string), capabilities (object) and clientInfo.name',
        msg.id,
      );
    }
    if (sessions.size >= maxSessions) sweep();
    if (sessions.size >= maxSessions) {
      return rpcError(
        503,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Service Unavailable: too many open sessions',
        msg.id,
      );
    }
    // Lifecycle: answer the client's revision if we speak it, else our latest.
    const version = SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
      ? requested
      : (SUPPORTED_PROTOCOL_VERSIONS[0] as string);
    const s: Session = {
      id: randomUUID(),
      protocolVersion: version,
      clientInfo: clientInfo as ClientInfo,
      clientCapabilities: (caps as Record<string, unknown> | undefined) ?? {},
      initialized: false,
      lastSeen: Date.now(),
      logLevel: null,
      inflight: new Map(),
      streams: new Map(),
      standalone: null,
      history: [],
      nextStream: 1,
    };
    sessions.set(s.id, s);
    const serverInfo: Record<string, unknown> = { name: options.name, version: options.version };
    if (options.title !== undefined) serverInfo['title'] = options.title;
    const result: Record<string, unknown> = {
      protocolVersion: version,
      capabilities: registry.capabilities(),
      serverInfo,
    };
    if (options.instructions !== undefined) result['instructions'] = options.instructions;
    return json(resultResponse(msg.id, result), {
      headers: { 'mcp-session-id': s.id },
    });
  }

  async function post(req: Request): Promise<Response> {
    const accept = req.headers.get('accept');
    if (!accepts(accept, 'application/json') || !accepts(accept, 'text/event-stream')) {
      return rpcError(
        406,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Not Acceptable: the client must accept both application/json and text/event-stream',
      );
    }
    const ctype = mediaTypes(req.headers.get('content-type'))[0];
    if (ctype !== 'application/json') {
      return rpcError(
        415,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Unsupported Media Type: Content-Type must be application/json',
      );
    }
    let body: unknown;
    try {
      const text = await req.body.text({ limit: maxBody });
      body = JSON.parse(text);
    } catch (err) {
      if ((err as { status?: unknown }).status === 413) {
        return rpcError(
          413,
          JSON_RPC_ERRORS.INVALID_REQUEST,
          `Payload Too Large: the body exceeds ${maxBody} bytes`,
        );
      }
      if (err instanceof SyntaxError) {
        return rpcError(400, JSON_RPC_ERRORS.PARSE_ERROR, `Parse error: ${err.message}`);
      }
      return rpcError(400, JSON_RPC_ERRORS.PARSE_ERROR, 'Parse error: the body could not be read');
    }
    const batch = Array.isArray(body);
    const items = batch ? (body as unknown[]) : [body];
    if (items.length === 0) {
      return rpcError(400, JSON_RPC_ERRORS.INVALID_REQUEST, 'Invalid Request: empty batch');
    }
    const messages: IncomingMessage[] = items.map(classifyMessage);
    const init = messages.find((m) => m.kind === 'request' && m.message.method === 'initialize');
    if (init && init.kind === 'request') {
      if (batch) {
        return rpcError(
          400,
          JSON_RPC_ERRORS.INVALID_REQUEST,
          'Invalid Request: initialize must not be batched',
          init.message.id,
        );
      }
      if (req.headers.get('mcp-session-id') !== null) {
        return rpcError(
          400,
          JSON_RPC_ERRORS.INVALID_REQUEST,
          'Invalid Request: initialize must not carry Mcp-Session-Id',
          init.message.id,
        );
      }
      return initialize(init.message);
    }
    if (!batch && messages[0]?.kind === 'invalid') {
      const bad = messages[0];
      return json(errorResponse(bad.id, bad.error.code, bad.error.message), { status: 400 });
    }
    const found = lookupSession(req);
    if (!(typeof found === 'object' && 'inflight' in found)) return found;
    const s = found;
    if (batch && !BATCH_VERSIONS.has(s.protocolVersion)) {
      return rpcError(
        400,
        JSON_RPC_ERRORS.INVALID_REQUEST,
        `Invalid Request: protocol revision ${s.protocolVersion} does not allow JSON-RPC batches`,
      );
    }
    const invalid: JsonRpcResponse[] = [];
    const requests: JsonRpcRequest[] = [];
    for (const m of messages) {
      if (m.kind === 'invalid') invalid.push(errorResponse(m.id, m.error.code, m.error.message));
      else if (m.kind === 'notification')
        onNotification(s, m.message.method, m.message.params ?? {});
      else if (m.kind === 'request') requests.push(m.message);
      // Responses answer server-to-client requests; this server sends none yet.
    }
    if (requests.length === 0) {
      return invalid.length === 0 ? empty(202) : json(invalid, { status: 200 });
    }
    const wantsProgress = requests.some((r) => {
      const meta = r.params?.['_meta'];
      return typeof meta === 'object' && meta !== null && 'progressToken' in meta;
    });
    const useSse = mode === 'sse' || (mode === 'auto' && wantsProgress);
    if (!useSse) {
      const send = (data: unknown) => sendStandalone(s, data);
      const results = await Promise.all(requests.map((r) => dispatch(s, r, req, send)));
      const out = [...invalid, ...results.filter((r): r is JsonRpcResponse => r !== null)];
      // Every request was cancelled: no response may be sent (Cancellation), so nothing to say.
      if (out.length === 0) return empty(202);
      return json(batch ? out : out[0], { headers: { 'mcp-session-id': s.id } });
    }
    const stream = openStream(s);
    const send = (data: unknown) => emit(s, stream, data);
    for (const r of invalid) send(r);
    void Promise.all(
      requests.map(async (r) => {
        const res = await dispatch(s, r, req, send);
        if (res) send(res);
      }),
    ).finally(() => finishStream(s, stream));
    return sse(stream.channel, { headers: { 'mcp-session-id': s.id } });
  }

  function get(req: Request): Response {
    if (!accepts(req.headers.get('accept'), 'text/event-stream')) {
      return rpcError(
        406,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Not Acceptable: the client must accept text/event-stream',
      );
    }
    const found = lookupSession(req);
    if (!(typeof found === 'object' && 'inflight' in found)) return found;
    const s = found;
    const lastEventId = req.headers.get('last-event-id');
    if (lastEventId !== null) return resume(s, lastEventId, req);
    if (s.standalone?.live && !s.standalone.channel.closed) {
      return rpcError(
        409,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Conflict: this session already has a GET stream',
      );
    }
    // The previous GET stream's client went away: its events stay in the history for
    // Last-Event-ID, but it is no longer the place for new ones.
    if (s.standalone) finishStream(s, s.standalone);
    const stream = openStream(s);
    s.standalone = stream;
    req.drain.addEventListener('abort', () => finishStream(s, stream), { once: true });
    return sse(stream.channel, { headers: { 'mcp-session-id': s.id } });
  }

  /** Replays what a stream sent after `lastEventId` and, if it is still live, goes on with it. */
  function resume(s: Session, lastEventId: string, req: Request): Response {
    const m = /^(\d+)_(\d+)$/.exec(lastEventId);
    const streamId = m?.[1];
    if (!m || streamId === undefined || Number(streamId) >= s.nextStream) {
      return rpcError(
        400,
        JSON_RPC_ERRORS.SERVER_ERROR,
        `Bad Request: unknown Last-Event-ID ${lastEventId}`,
      );
    }
    const after = Number(m[2]);
    const channel = new Channel<SseEvent>();
    for (const h of s.history) if (h.stream === streamId && h.seq > after) channel.push(h.event);
    const stream = s.streams.get(streamId);
    if (stream?.live) {
      stream.channel.close();
      stream.channel = channel;
      if (s.standalone === stream) {
        req.drain.addEventListener('abort', () => finishStream(s, stream), { once: true });
      }
    } else channel.close();
    return sse(channel, { headers: { 'mcp-session-id': s.id } });
  }

  function del(req: Request): Response {
    const found = lookupSession(req);
    if (!(typeof found === 'object' && 'inflight' in found)) return found;
    endSession(found);
    return empty(204);
  }

  const handler: Handler = async (req) => {
    const refused = checkOrigin(req);
    if (refused) return refused;
    switch (req.method) {
      case 'POST':
        return post(req);
      case 'GET':
        return get(req);
      case 'DELETE':
        return del(req);
      default:
        return {
          status: 405,
          headers: new Headers({ allow: 'GET, POST, DELETE', 'content-type': 'application/json' }),
          body: JSON.stringify(
            errorResponse(null, JSON_RPC_ERRORS.SERVER_ERROR, `Method Not Allowed: ${req.method}`),
          ),
        };
    }
  };

  const server: McpServer = {
    handler,
    tool(def) {
      registry.addTool(def as unknown as ToolDefinition<never>);
      return this;
    },
    resource(def) {
      registry.addResource(def);
      return this;
    },
    resourceTemplate(def) {
      registry.addTemplate(def);
      return this;
    },
    prompt(def) {
      registry.addPrompt(def);
      return this;
    },
    log(level, data, logger) {
      const params: Record<string, unknown> = { level, data };
      if (logger !== undefined) params['logger'] = logger;
      for (const s of sessions.values()) {
        if (shouldLog(s, level)) {
          sendStandalone(s, { jsonrpc: '2.0', method: 'notifications/message', params });
        }
      }
    },
    sessionIds() {
      return [...sessions.keys()];
    },
    close() {
      clearInterval(sweeper);
      for (const s of [...sessions.values()]) endSession(s);
    },
  };
  return server;
}
