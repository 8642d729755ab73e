/**
 * Runs the JSON-RPC methods of an initialized session: the per-request context handlers see,
 * the method table, client notifications, and the requests this server sends to the client
 * (elicitation, sampling, roots) with the client's answers routed back to them.
 */
import { randomUUID } from 'node:crypto';
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
import type {
  AuthInfo,
  ClientRequestOptions,
  LogLevel,
  McpContext,
  SamplingParams,
} from '../types.js';
import { complete } from './completion.js';
import {
  EscalatedError,
  INPUT_REQUIRED,
  type InputMethod,
  type InputRound,
  missingCapability,
  UrlElicitationRequiredError,
} from './mrtr.js';
import type { Session, SessionStore } from './session.js';
import { RELATED_TASK, type TaskInfo, TaskStore } from './tasks.js';

export const LOG_LEVELS: readonly LogLevel[] = [
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
  // 2026-07-28: no `io.modelcontextprotocol/logLevel` in `_meta`, no log messages (MUST NOT).
  if (s.logLevel === null) return !s.modern;
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(s.logLevel);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The client capability a request to the client needs that `caps` lacks, as the
 * `requiredCapabilities` object of -32021 and a dotted name; null when declared. URL-mode
 * elicitation needs `elicitation.url`; form mode `elicitation.form`, or a bare `elicitation`
 * (form only, implicitly); sampling with `tools`/`toolChoice` needs `sampling.tools`.
 */
function lackingCapability(
  method: InputMethod,
  params: unknown,
  caps: Readonly<Record<string, unknown>>,
): { required: Record<string, unknown>; name: string } | null {
  const p = isObject(params) ? params : {};
  if (method === 'elicitation/create') {
    const e = caps['elicitation'];
    if (!isObject(e)) return { required: { elicitation: {} }, name: 'elicitation' };
    if (p['mode'] === 'url') {
      return isObject(e['url'])
        ? null
        : { required: { elicitation: { url: {} } }, name: 'elicitation.url' };
    }
    const formOk = isObject(e['form']) || e['url'] === undefined;
    return formOk ? null : { required: { elicitation: { form: {} } }, name: 'elicitation.form' };
  }
  if (method === 'sampling/createMessage') {
    const sm = caps['sampling'];
    if (!isObject(sm)) return { required: { sampling: {} }, name: 'sampling' };
    if ((p['tools'] !== undefined || p['toolChoice'] !== undefined) && !isObject(sm['tools'])) {
      return { required: { sampling: { tools: {} } }, name: 'sampling.tools' };
    }
    return null;
  }
  return isObject(caps['roots']) ? null : { required: { roots: {} }, name: 'roots' };
}

/** Methods of the session-based revisions that 2026-07-28 removed. */
const LEGACY_ONLY = new Set([
  'ping',
  'initialize',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
]);

export class Dispatcher {
  readonly #registry: Registry;
  readonly #store: SessionStore;
  readonly #pageSize: number;
  readonly #tasks = new TaskStore();

  constructor(registry: Registry, store: SessionStore, pageSize: number) {
    this.#registry = registry;
    this.#store = store;
    this.#pageSize = pageSize;
    store.onEnd = (id) => this.#tasks.endOwner(id);
  }

  /** Runs one request; null when it was cancelled (no response is sent then, spec). */
  async dispatch(
    s: Session,
    req: JsonRpcRequest,
    httpRequest: Request,
    auth: AuthInfo | null,
    send: Send,
    round: InputRound | null = null,
  ): Promise<JsonRpcResponse | null> {
    if (s.inflight.has(req.id)) {
      return errorResponse(
        req.id,
        JSON_RPC_ERRORS.INVALID_REQUEST,
        `request id ${req.id} is already in use`,
      );
    }
    const task = this.#taskMode(s, req);
    if (task instanceof JsonRpcError) return errorResponse(req.id, task.code, task.message);
    if (task !== null) {
      return resultResponse(req.id, { task: this.#startTask(s, req, httpRequest, auth, task) });
    }
    const controller = new AbortController();
    s.inflight.set(req.id, controller);
    const ctx = this.#context(s, req, httpRequest, auth, controller.signal, send, round);
    try {
      const call = this.#call(s, req.method, req.params ?? {}, ctx);
      let result: unknown;
      if (round === null) result = await call;
      else {
        // MRTR: the handler asked for input the retry lacks; it is stopped, the client asked.
        call.catch(() => {});
        result = await Promise.race([call, round.needed]);
        if (result === INPUT_REQUIRED) {
          controller.abort(new Error('input required from the client'));
          return resultResponse(req.id, round.result());
        }
      }
      if (controller.signal.aborted) return null;
      return resultResponse(req.id, result);
    } catch (thrown) {
      if (controller.signal.aborted) return null;
      if (thrown instanceof UrlElicitationRequiredError && round !== null) {
        const lacking = lackingCapability(
          'elicitation/create',
          { mode: 'url' },
          s.clientCapabilities,
        );
        if (lacking === null) return resultResponse(req.id, round.urlResult(thrown.elicitations));
        const rpc = missingCapability(
          lacking.required,
          `the request did not declare the ${lacking.name} client capability`,
        ).rpc;
        return errorResponse(req.id, rpc.code, rpc.message, rpc.data);
      }
      const err = thrown instanceof EscalatedError ? thrown.rpc : thrown;
      if (err instanceof JsonRpcError) {
        return errorResponse(req.id, err.code, err.message, err.data);
      }
      return errorResponse(req.id, JSON_RPC_ERRORS.INTERNAL_ERROR, 'Internal error');
    } finally {
      s.inflight.delete(req.id);
    }
  }

  /**
   * Whether a `tools/call` runs as a task (2025-11-25, a kept session): its `params.task`, null
   * for an ordinary call, or the -32601 of a call that breaks the tool's `taskSupport`.
   */
  #taskMode(s: Session, req: JsonRpcRequest): Record<string, unknown> | JsonRpcError | null {
    if (req.method !== 'tools/call' || s.modern || s.ephemeral) return null;
    if (s.protocolVersion < '2025-11-25') return null;
    const params = req.params ?? {};
    const tool = this.#registry.tools.get(String(params['name']));
    if (tool === undefined) return null; // tools/call answers the unknown tool
    const support = tool.execution?.taskSupport ?? 'forbidden';
    const task = params['task'];
    if (task === undefined) {
      return support === 'required'
        ? new JsonRpcError(
            JSON_RPC_ERRORS.METHOD_NOT_FOUND,
            `tool ${tool.name} must be called as a task (params.task)`,
          )
        : null;
    }
    if (support === 'forbidden') {
      return new JsonRpcError(
        JSON_RPC_ERRORS.METHOD_NOT_FOUND,
        `tool ${tool.name} does not support task-augmented execution`,
      );
    }
    return isObject(task)
      ? task
      : new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, 'params.task must be an object');
  }

  /** Runs a task-augmented call in the background; its messages go on the GET stream. */
  #startTask(
    s: Session,
    req: JsonRpcRequest,
    httpRequest: Request,
    auth: AuthInfo | null,
    task: Record<string, unknown>,
  ): TaskInfo {
    const { task: _task, ...params } = req.params ?? {};
    return this.#tasks.create(
      s.id,
      task['ttl'],
      async (signal, taskId) => {
        // Messages of a task name it (`related-task`), wherever they travel.
        const send: Send = (data) => this.#store.sendStandalone(s, relatedTo(data, taskId));
        const ctx = this.#context(s, req, httpRequest, auth, signal, send, null);
        try {
          return {
            result: (await this.#registry.callTool(params, ctx)) as Record<string, unknown>,
          };
        } catch (thrown) {
          const err = thrown instanceof EscalatedError ? thrown.rpc : thrown;
          if (err instanceof JsonRpcError) {
            return { error: { code: err.code, message: err.message, data: err.data } };
          }
          return { error: { code: JSON_RPC_ERRORS.INTERNAL_ERROR, message: 'Internal error' } };
        }
      },
      (info) => this.#taskStatus(s, info),
    );
  }

  #taskStatus(s: Session, info: TaskInfo): void {
    this.#store.sendStandalone(s, {
      jsonrpc: '2.0',
      method: 'notifications/tasks/status',
      params: info,
    });
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
    round: InputRound | null,
  ): McpContext {
    const meta = req.params?.['_meta'] as Record<string, unknown> | undefined;
    const token = meta?.['progressToken'];
    const ask = <T>(
      method: InputMethod,
      params: unknown,
      options: ClientRequestOptions | undefined,
    ): Promise<T> =>
      (s.modern
        ? modernInput(s, req.method, round, method, params)
        : this.#request(s, method, params, signal, send, options)) as Promise<T>;
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
      elicit: (params, options) => ask('elicitation/create', params, options),
      // One implementation behind the two overloads (plain, and with tools).
      createMessage: ((params: SamplingParams, options?: ClientRequestOptions) =>
        ask('sampling/createMessage', params, options)) as McpContext['createMessage'],
      listRoots: (options) => ask('roots/list', {}, options),
      closeSseStream: (retryMs = 1000) => send.closeStream?.(retryMs) ?? false,
    };
  }

  /** Sends a request to the client and waits for the answer it POSTs back. */
  #request(
    s: Session,
    method: InputMethod,
    params: unknown,
    signal: AbortSignal,
    send: Send,
    options: ClientRequestOptions | undefined,
  ): Promise<unknown> {
    const lacking = lackingCapability(method, params, s.clientCapabilities);
    if (lacking !== null) {
      return Promise.reject(
        new McpError(
          'RWS_MCP_CLIENT_CAPABILITY_MISSING',
          `the client did not declare the ${lacking.name} capability, so ${method} cannot be sent`,
        ),
      );
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    // 2025-11-25 URL mode names the interaction; the handler may have named it already.
    if (method === 'elicitation/create' && isObject(params) && params['mode'] === 'url') {
      params = { elicitationId: randomUUID(), ...params };
    }
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
    if (s.modern && LEGACY_ONLY.has(method)) {
      throw new JsonRpcError(
        JSON_RPC_ERRORS.METHOD_NOT_FOUND,
        `Method not found: ${method} (removed in ${s.protocolVersion})`,
      );
    }
    if (method.startsWith('tasks/') && !s.modern && !s.ephemeral && registry.hasTaskTools()) {
      switch (method) {
        case 'tasks/get':
          return this.#tasks.get(s.id, params);
        case 'tasks/result':
          return this.#tasks.result(s.id, params);
        case 'tasks/list':
          return this.#tasks.list(s.id);
        case 'tasks/cancel':
          return this.#tasks.cancel(s.id, params, (info) => this.#taskStatus(s, info));
      }
    }
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

/** `ctx.elicit` and the like in a 2026-07-28 request: MRTR, or a rejection saying why not. */
function modernInput(
  s: Session,
  requestMethod: string,
  round: InputRound | null,
  method: InputMethod,
  params: unknown,
): Promise<unknown> {
  if (round === null) {
    return Promise.reject(
      new McpError(
        'RWS_MCP_CLIENT_REQUEST_FAILED',
        `${method} cannot be asked during ${requestMethod}: in ${s.protocolVersion} only tools/call, prompts/get and resources/read may ask the client for input`,
      ),
    );
  }
  const lacking = lackingCapability(method, params, s.clientCapabilities);
  if (lacking !== null) {
    return Promise.reject(
      missingCapability(
        lacking.required,
        `the request did not declare the ${lacking.name} client capability, which ${method} needs`,
      ),
    );
  }
  // 2026-07-28 dropped `elicitationId`: the retry itself tells the interaction is over.
  if (method === 'elicitation/create' && isObject(params) && 'elicitationId' in params) {
    const { elicitationId: _dropped, ...rest } = params;
    return round.ask(method, rest);
  }
  return round.ask(method, params);
}

/** A message of a task, with `_meta["io.modelcontextprotocol/related-task"]`. */
function relatedTo(data: unknown, taskId: string): unknown {
  if (!isObject(data) || typeof data['method'] !== 'string') return data;
  const params = isObject(data['params']) ? data['params'] : {};
  const meta = isObject(params['_meta']) ? params['_meta'] : {};
  return { ...data, params: { ...params, _meta: { ...meta, [RELATED_TASK]: { taskId } } } };
}
