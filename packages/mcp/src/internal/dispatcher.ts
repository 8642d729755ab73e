/**
 * Runs the JSON-RPC methods of an initialized session: the per-request context handlers see,
 * the method table, client notifications, and the requests this server sends to the client
 * (elicitation, sampling, roots) with the client's answers routed back to them.
 */
import type { Request } from '@rws/core';
import { McpError } from '../errors.js';
import {
  errorResponse,
  JSON_RPC_ERRORS,
  JsonRpcError,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from '../json-rpc.js';
import type { Registry } from '../registry.js';
import type { AuthInfo, ClientRequestOptions, LogLevel, McpContext } from '../types.js';
import { complete } from './completion.js';
import type { Session, SessionStore } from './session.js';

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

/**
 * Delivers a message of a running request; false when no stream could take it. `isRequest`
 * marks a server-to-client request, which must reach the client on this request's own stream
 * (a JSON-answered POST turns into SSE).
 */
export interface Send {
  (data: unknown, isRequest?: boolean): boolean;
  /** Ends the request's SSE response (resumable); see `McpContext.closeSseStream`. */
  closeStream?: ((retryMs: number) => boolean) | undefined;
}

const DEFAULT_CLIENT_TIMEOUT_MS = 5 * 60_000;

export function shouldLog(s: Session, level: LogLevel): boolean {
  return s.logLevel === null || LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(s.logLevel);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class Dispatcher {
  readonly #registry: Registry;
  readonly #store: SessionStore;
  readonly #pageSize: number;

  constructor(registry: Registry, store: SessionStore, pageSize: number) {
    this.#registry = registry;
    this.#store = store;
    this.#pageSize = pageSize;
  }

  /** Runs one request; null when it was cancelled (no response is sent then, spec). */
  async dispatch(
    s: Session,
    req: JsonRpcRequest,
    httpRequest: Request,
    auth: AuthInfo | null,
    send: Send,
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
    const ctx = this.#context(s, req, httpRequest, auth, controller.signal, send);
    try {
      const result = await this.#call(s, req.method, req.params ?? {}, ctx);
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

  onNotification(s: Session, method: string, params: Record<string, unknown>): void {
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

  /** A client's answer to one of our requests; an unknown id is ignored (it timed out). */
  onResponse(s: Session, message: JsonRpcResponse): void {
    const id = message.id;
    if (id === null) return;
    const pending = s.outgoing.get(id);
    if (pending === undefined) return;
    s.outgoing.delete(id);
    if (message.error !== undefined) pending.reject(message.error);
    else pending.resolve(message.result);
  }

  #context(
    s: Session,
    req: JsonRpcRequest,
    httpRequest: Request,
    auth: AuthInfo | null,
    signal: AbortSignal,
    send: Send,
  ): McpContext {
    const meta = req.params?.['_meta'] as Record<string, unknown> | undefined;
    const token = meta?.['progressToken'];
    const ask = <T>(
      method: string,
      capability: string,
      params: unknown,
      options: ClientRequestOptions | undefined,
    ): Promise<T> =>
      this.#request(s, method, capability, params, signal, send, options) as Promise<T>;
    return {
      sessionId: s.id,
      protocolVersion: s.protocolVersion,
      clientInfo: s.clientInfo,
      clientCapabilities: s.clientCapabilities,
      requestId: req.id,
      meta,
      signal,
      httpRequest,
      auth,
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
      elicit: (params, options) => ask('elicitation/create', 'elicitation', params, options),
      createMessage: (params, options) =>
        ask('sampling/createMessage', 'sampling', params, options),
      listRoots: (options) => ask('roots/list', 'roots', {}, options),
      closeSseStream: (retryMs = 1000) => send.closeStream?.(retryMs) ?? false,
    };
  }

  /** Sends a request to the client and waits for the answer it POSTs back. */
  #request(
    s: Session,
    method: string,
    capability: string,
    params: unknown,
    signal: AbortSignal,
    send: Send,
    options: ClientRequestOptions | undefined,
  ): Promise<unknown> {
    if (!isObject(s.clientCapabilities[capability])) {
      return Promise.reject(
        new McpError(
          'RWS_MCP_CLIENT_CAPABILITY_MISSING',
          `the client did not declare the ${capability} capability, so ${method} cannot be sent`,
        ),
      );
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    const id = s.nextOutgoing++;
    const timeoutMs = options?.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        s.outgoing.delete(id);
      };
      const giveUp = (reason: unknown): void => {
        settle();
        // Tell the client to stop asking its user or model (Cancellation works both ways).
        send({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason: String((reason as Error)?.message ?? reason) },
        });
        reject(reason);
      };
      const onAbort = (): void => giveUp(signal.reason);
      const timer = setTimeout(
        () =>
          giveUp(
            new McpError(
              'RWS_MCP_CLIENT_REQUEST_FAILED',
              `${method} got no answer within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      timer.unref();
      signal.addEventListener('abort', onAbort, { once: true });
      s.outgoing.set(id, {
        resolve: (result) => {
          settle();
          resolve(result);
        },
        reject: (error) => {
          settle();
          reject(
            error instanceof Error
              ? error
              : new McpError(
                  'RWS_MCP_CLIENT_REQUEST_FAILED',
                  `the client answered ${method} with error ${error.code}: ${error.message}`,
                ),
          );
        },
      });
      if (!send({ jsonrpc: '2.0', id, method, params }, true)) {
        s.outgoing
          .get(id)
          ?.reject(
            new McpError(
              'RWS_MCP_CLIENT_REQUEST_FAILED',
              `${method} could not be sent: the client has no open stream to receive it`,
            ),
          );
      }
    });
  }

  async #call(
    s: Session,
    method: string,
    params: Record<string, unknown>,
    ctx: McpContext,
  ): Promise<unknown> {
    const registry = this.#registry;
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
      case 'completion/complete':
        if (!registry.hasCompleters()) break;
        return complete(registry, params, ctx);
    }
    if (method.startsWith('tools/') && registry.tools.size > 0) {
      if (method === 'tools/list') return registry.listTools(cursor, this.#pageSize);
      if (method === 'tools/call') return registry.callTool(params, ctx);
    }
    if (method.startsWith('resources/') && registry.hasResources()) {
      switch (method) {
        case 'resources/list':
          return registry.listResources(cursor, this.#pageSize);
        case 'resources/templates/list':
          return registry.listTemplates(cursor, this.#pageSize);
        case 'resources/read':
          return registry.readResource(params, ctx);
        case 'resources/subscribe':
        case 'resources/unsubscribe': {
          const uri = params['uri'];
          if (typeof uri !== 'string' || uri === '') {
            throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, 'params.uri must be a string');
          }
          if (method === 'resources/subscribe') s.subscriptions.add(uri);
          else s.subscriptions.delete(uri);
          return {};
        }
      }
    }
    if (method.startsWith('prompts/') && registry.prompts.size > 0) {
      if (method === 'prompts/list') return registry.listPrompts(cursor, this.#pageSize);
      if (method === 'prompts/get') return registry.getPrompt(params, ctx);
    }
    throw new JsonRpcError(JSON_RPC_ERRORS.METHOD_NOT_FOUND, `Method not found: ${method}`);
  }

  /** A notification to every session's GET stream that `accept`s it. */
  broadcast(
    method: string,
    params: Record<string, unknown> | undefined,
    accept: (s: Session) => boolean = () => true,
  ): void {
    const message =
      params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
    for (const s of this.#store.values()) if (accept(s)) this.#store.sendStandalone(s, message);
  }
}
