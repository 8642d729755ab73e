/**
 * The stateless revision, MCP 2026-07-28, on the same endpoint as the session-based ones
 * ("Versioning": a dual-era server picks the era from how the client opens). Each POST is one
 * JSON-RPC request that carries everything in `_meta` (protocol version, client capabilities,
 * client info, log level); there is no `initialize`, no `Mcp-Session-Id`, no GET stream, no
 * resumption. Results carry `resultType` and the server's identity in `_meta`; list and read
 * results carry the cache hints `ttlMs` and `cacheScope`; input from the client travels by
 * MRTR (see mrtr.ts); change notifications by `subscriptions/listen` (see listeners.ts).
 */
import { empty, json, type Request, type Response, type SseEvent, sse } from '@rws/core';
import { Channel } from '../channel.js';
import {
  classifyMessage,
  errorResponse,
  JSON_RPC_ERRORS,
  JsonRpcError,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from '../json-rpc.js';
import type { Registry } from '../registry.js';
import type { AuthInfo, LogLevel } from '../types.js';
import { type Dispatcher, LOG_LEVELS, type Send } from './dispatcher.js';
import { rpcError } from './http-checks.js';
import type { Listeners, SubscriptionFilter } from './listeners.js';
import { InputRound, type StateSigner } from './mrtr.js';
import { headerMismatch } from './request-headers.js';
import type { SessionStore } from './session.js';

/** The revisions served statelessly, with per-request `_meta`. */
export const MODERN_VERSIONS: readonly string[] = ['2026-07-28'];

const META = {
  version: 'io.modelcontextprotocol/protocolVersion',
  capabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
} as const;

/** Results that are `CacheableResult`s (SEP-2549). */
const CACHEABLE = new Set([
  'server/discover',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
]);

/** The requests that may answer `InputRequiredResult` (MRTR "Supported Requests"). */
const MRTR_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** Keep-alive comments on a quiet listen stream, so proxies and clients keep it open. */
const KEEPALIVE_MS = 25_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Whether a POST speaks the modern era: a modern `MCP-Protocol-Version`, or a request whose
 * `_meta` names a protocol version. `initialize` always opens a session-based exchange.
 */
export function isModernRequest(body: unknown, headerVersion: string | null): boolean {
  if (isObject(body) && body['method'] === 'initialize') return false;
  if (headerVersion !== null && MODERN_VERSIONS.includes(headerVersion)) return true;
  const params = isObject(body) ? body['params'] : undefined;
  const meta = isObject(params) ? params['_meta'] : undefined;
  return isObject(meta) && META.version in meta;
}

export interface ModernOptions {
  readonly serverInfo: Record<string, unknown>;
  readonly instructions: string | undefined;
  /** Every revision served, both eras, for `server/discover` and -32022. */
  readonly versions: readonly string[];
  readonly mode: 'auto' | 'json' | 'sse';
  readonly registry: Registry;
  readonly store: SessionStore;
  readonly dispatcher: Dispatcher;
  readonly listeners: Listeners;
  readonly signer: StateSigner;
  readonly cache: { readonly ttlMs: number; readonly scope: 'public' | 'private' };
}

/** HTTP status of a modern answer: the transport binds some JSON-RPC errors to 4xx. */
function statusOf(r: JsonRpcResponse): number {
  switch (r.error?.code) {
    case JSON_RPC_ERRORS.METHOD_NOT_FOUND:
      return 404;
    case JSON_RPC_ERRORS.HEADER_MISMATCH:
    case JSON_RPC_ERRORS.MISSING_REQUIRED_CLIENT_CAPABILITY:
    case JSON_RPC_ERRORS.UNSUPPORTED_PROTOCOL_VERSION:
      return 400;
    default:
      return 200;
  }
}

export function createModernHandler(
  o: ModernOptions,
): (req: Request, body: unknown, auth: AuthInfo | null) => Promise<Response> {
  /** `resultType`, `serverInfo` and cache hints on a result; modern error codes on an error. */
  function shape(method: string, r: JsonRpcResponse): JsonRpcResponse {
    if (r.error !== undefined) {
      // 2026-07-28 retired -32002: an unknown resource is invalid params.
      if (r.error.code !== JSON_RPC_ERRORS.RESOURCE_NOT_FOUND) return r;
      return { ...r, error: { ...r.error, code: JSON_RPC_ERRORS.INVALID_PARAMS } };
    }
    const result = isObject(r.result) ? r.result : {};
    const out: Record<string, unknown> = {
      ...result,
      resultType: result['resultType'] ?? 'complete',
      _meta: {
        ...(isObject(result['_meta']) ? result['_meta'] : {}),
        [META.serverInfo]: o.serverInfo,
      },
    };
    if (CACHEABLE.has(method) && out['resultType'] === 'complete') {
      out['ttlMs'] ??= o.cache.ttlMs;
      out['cacheScope'] ??= o.cache.scope;
    }
    return { ...r, result: out };
  }

  const answer = (method: string, r: JsonRpcResponse): Response => {
    const shaped = shape(method, r);
    return json(shaped, { status: statusOf(shaped) });
  };

  function discover(msg: JsonRpcRequest): Response {
    const capabilities = o.registry.capabilities();
    // 2026-07-28 moved tasks to an extension, which is not implemented.
    delete capabilities['tasks'];
    const result: Record<string, unknown> = { supportedVersions: o.versions, capabilities };
    if (o.instructions !== undefined) result['instructions'] = o.instructions;
    return answer(msg.method, { jsonrpc: '2.0', id: msg.id, result });
  }

  function listen(req: Request, msg: JsonRpcRequest): Response {
    const n = msg.params?.['notifications'];
    const subs = isObject(n) ? n['resourceSubscriptions'] : undefined;
    if (
      !isObject(n) ||
      ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged'].some(
        (k) => n[k] !== undefined && typeof n[k] !== 'boolean',
      ) ||
      (subs !== undefined && !(Array.isArray(subs) && subs.every((u) => typeof u === 'string')))
    ) {
      return rpcError(
        400,
        JSON_RPC_ERRORS.INVALID_PARAMS,
        'Invalid params: notifications must be an object of toolsListChanged, promptsListChanged, resourcesListChanged (booleans) and resourceSubscriptions (strings)',
        msg.id,
      );
    }
    // Acknowledge only what this server supports (its capabilities now).
    const caps = o.registry.capabilities();
    const honoured: SubscriptionFilter = {};
    if (n['toolsListChanged'] === true && caps['tools']) honoured.toolsListChanged = true;
    if (n['promptsListChanged'] === true && caps['prompts']) honoured.promptsListChanged = true;
    if (caps['resources']) {
      if (n['resourcesListChanged'] === true) honoured.resourcesListChanged = true;
      if (Array.isArray(subs)) honoured.resourceSubscriptions = [...(subs as string[])];
    }
    const channel = new Channel<SseEvent>();
    const keepAlive = setInterval(() => channel.push({ comment: '' }), KEEPALIVE_MS);
    keepAlive.unref();
    const remove = o.listeners.add(msg.id, honoured, channel, () => clearInterval(keepAlive));
    // Closing the stream is how a client ends a subscription.
    channel.onDetach = remove;
    req.signal.addEventListener('abort', remove, { once: true });
    req.halfClose?.addEventListener('abort', remove, { once: true });
    return sse(channel);
  }

  return async (req, body, auth) => {
    if (Array.isArray(body)) {
      return rpcError(
        400,
        JSON_RPC_ERRORS.INVALID_REQUEST,
        'Invalid Request: 2026-07-28 takes one JSON-RPC message per POST, not a batch',
      );
    }
    const m = classifyMessage(body);
    if (m.kind === 'invalid') {
      return json(errorResponse(m.id, m.error.code, m.error.message), { status: 400 });
    }
    if (m.kind === 'response') {
      return rpcError(
        400,
        JSON_RPC_ERRORS.INVALID_REQUEST,
        'Invalid Request: 2026-07-28 clients send no responses (answers go in inputResponses)',
      );
    }
    // notifications/cancelled has no use on HTTP (closing the stream cancels); accept it.
    if (m.kind === 'notification') return empty(202);
    const msg = m.message;
    const params = msg.params ?? {};
    const bad = (code: number, text: string, data?: unknown): Response =>
      json(errorResponse(msg.id, code, text, data), { status: 400 });
    const meta = params['_meta'];
    if (!isObject(meta) || typeof meta[META.version] !== 'string') {
      return bad(
        JSON_RPC_ERRORS.INVALID_PARAMS,
        `Invalid params: _meta["${META.version}"] is required`,
      );
    }
    const version = meta[META.version] as string;
    const capabilities = meta[META.capabilities];
    if (!isObject(capabilities)) {
      return bad(
        JSON_RPC_ERRORS.INVALID_PARAMS,
        `Invalid params: _meta["${META.capabilities}"] must be an object`,
      );
    }
    const clientInfo = meta[META.clientInfo];
    if (
      clientInfo !== undefined &&
      !(isObject(clientInfo) && typeof clientInfo['name'] === 'string')
    ) {
      return bad(
        JSON_RPC_ERRORS.INVALID_PARAMS,
        `Invalid params: _meta["${META.clientInfo}"] needs a name`,
      );
    }
    const logLevel = meta[META.logLevel];
    if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel as LogLevel)) {
      return bad(
        JSON_RPC_ERRORS.INVALID_PARAMS,
        `Invalid params: _meta["${META.logLevel}"] must be one of ${LOG_LEVELS.join(', ')}`,
      );
    }
    const header = req.headers.get('mcp-protocol-version');
    if (header !== version) {
      return bad(
        JSON_RPC_ERRORS.HEADER_MISMATCH,
        header === null
          ? 'Header mismatch: the MCP-Protocol-Version header is required'
          : `Header mismatch: MCP-Protocol-Version header value '${header}' does not match body value '${version}'`,
      );
    }
    if (!MODERN_VERSIONS.includes(version)) {
      return bad(JSON_RPC_ERRORS.UNSUPPORTED_PROTOCOL_VERSION, 'Unsupported protocol version', {
        supported: o.versions,
        requested: version,
      });
    }
    const tool = msg.method === 'tools/call' ? params['name'] : undefined;
    const mismatch = headerMismatch(
      req.headers,
      msg.method,
      params,
      typeof tool === 'string' ? o.registry.inputSchemaOf(tool) : null,
    );
    if (mismatch !== null) return bad(JSON_RPC_ERRORS.HEADER_MISMATCH, mismatch);

    if (msg.method === 'server/discover') return discover(msg);
    if (msg.method === 'subscriptions/listen') return listen(req, msg);
    let round: InputRound | null = null;
    if (MRTR_METHODS.has(msg.method)) {
      const target = params['name'] ?? params['uri'];
      try {
        round = InputRound.of(
          params,
          {
            principal: auth?.subject ?? null,
            method: msg.method,
            target: typeof target === 'string' ? target : '',
          },
          o.signer,
        );
      } catch (err) {
        if (!(err instanceof JsonRpcError)) throw err;
        return bad(err.code, `Invalid params: ${err.message}`);
      }
    }
    const s = o.store.ephemeral({
      protocolVersion: version,
      clientInfo: (clientInfo as { name: string; version: string } | undefined) ?? null,
      clientCapabilities: capabilities,
      auth,
      modern: { logLevel: (logLevel as LogLevel | undefined) ?? null },
    });
    // Closing the response is the cancellation of the request (Streamable HTTP "Cancellation").
    const cancel = (): void => {
      s.inflight.get(msg.id)?.abort(new Error('the client closed the response'));
    };
    req.signal.addEventListener('abort', cancel, { once: true });
    // Over HTTP/1.1 a client that closes the stream sends a FIN: a half-close, which a modern
    // client (one request per POST, reading its answer) only sends when it is gone.
    req.halfClose?.addEventListener('abort', cancel, { once: true });
    const done = (): void => {
      req.signal.removeEventListener('abort', cancel);
      req.halfClose?.removeEventListener('abort', cancel);
    };

    if (o.mode === 'sse' || (o.mode === 'auto' && 'progressToken' in meta)) {
      // Progress and log messages of the request precede its result on this stream.
      const channel = new Channel<SseEvent>();
      channel.onDetach = cancel;
      // A comment sends the headers now, so the client sees the stream before the first event.
      channel.push({ comment: '' });
      const send: Send = (data) => channel.push({ event: 'message', data });
      void o.dispatcher
        .dispatch(s, msg, req, auth, send, round)
        .then((r) => {
          if (r !== null) channel.push({ event: 'message', data: shape(msg.method, r) });
        })
        .finally(() => {
          done();
          channel.close();
        });
      return sse(channel);
    }
    const r = await o.dispatcher.dispatch(s, msg, req, auth, () => false, round);
    done();
    // Cancelled: the client is gone and wants no answer.
    return r === null ? empty(202) : answer(msg.method, r);
  };
}
