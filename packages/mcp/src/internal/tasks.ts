/**
 * Tasks (MCP 2025-11-25, "Utilities / Tasks", experimental): a `tools/call` with `params.task`
 * answers at once with a task; the tool runs on, and the client polls `tasks/get`, waits on
 * `tasks/result`, lists with `tasks/list` and stops with `tasks/cancel`. A task belongs to the
 * session that created it (and so to its principal): other sessions do not find it.
 */
import { randomUUID } from 'node:crypto';
import { JSON_RPC_ERRORS, JsonRpcError, type JsonRpcErrorObject } from '../json-rpc.js';

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** The `Task` object of the protocol. */
export interface TaskInfo {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttl: number;
  pollInterval: number;
}

/** What the underlying request ended with: its result, or its JSON-RPC error. */
type Outcome = { result: Record<string, unknown> } | { error: JsonRpcErrorObject };

interface Entry {
  readonly owner: string;
  readonly info: TaskInfo;
  readonly controller: AbortController;
  readonly done: Promise<Outcome>;
  outcome: Outcome | null;
}

const TERMINAL = new Set<TaskStatus>(['completed', 'failed', 'cancelled']);
export const RELATED_TASK = 'io.modelcontextprotocol/related-task';
/** Suggested polling interval, and the retention asked for when the client names none. */
const POLL_MS = 1000;
const DEFAULT_TTL_MS = 60 * 60_000;

export class TaskStore {
  readonly #tasks = new Map<string, Entry>();
  readonly #maxTtlMs: number;

  constructor(maxTtlMs: number = DEFAULT_TTL_MS) {
    this.#maxTtlMs = maxTtlMs;
  }

  /**
   * Starts `run` as a task of `owner`; `onStatus` hears every change (for
   * `notifications/tasks/status`). The requested `ttl` is capped by the server's.
   */
  create(
    owner: string,
    requestedTtl: unknown,
    run: (signal: AbortSignal, taskId: string) => Promise<Outcome>,
    onStatus: (task: TaskInfo) => void,
  ): TaskInfo {
    const ttl =
      typeof requestedTtl === 'number' && Number.isFinite(requestedTtl) && requestedTtl > 0
        ? Math.min(Math.floor(requestedTtl), this.#maxTtlMs)
        : this.#maxTtlMs;
    const now = new Date().toISOString();
    const info: TaskInfo = {
      taskId: randomUUID(),
      status: 'working',
      createdAt: now,
      lastUpdatedAt: now,
      ttl,
      pollInterval: POLL_MS,
    };
    const controller = new AbortController();
    const done = run(controller.signal, info.taskId).catch(
      (err: unknown): Outcome => ({
        error: {
          code: JSON_RPC_ERRORS.INTERNAL_ERROR,
          message: err instanceof Error ? err.message : String(err),
        },
      }),
    );
    const entry: Entry = { owner, info, controller, done, outcome: null };
    this.#tasks.set(info.taskId, entry);
    void done.then((outcome) => {
      entry.outcome = outcome;
      // A cancelled task stays cancelled whatever the tool did afterwards.
      if (entry.info.status === 'cancelled') return;
      const failed = 'error' in outcome || outcome.result['isError'] === true;
      this.#move(entry, failed ? 'failed' : 'completed', failed ? failure(outcome) : undefined);
      onStatus({ ...entry.info });
    });
    // Forgotten after its ttl, counted from creation.
    setTimeout(() => {
      entry.controller.abort(new Error('task expired'));
      this.#tasks.delete(info.taskId);
    }, ttl).unref();
    return { ...info };
  }

  /** The task of `owner` named by `params.taskId`, or -32602. */
  #find(owner: string, params: Record<string, unknown>): Entry {
    const id = params['taskId'];
    const entry = typeof id === 'string' ? this.#tasks.get(id) : undefined;
    if (entry === undefined || entry.owner !== owner) {
      throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, `Task not found: ${String(id)}`);
    }
    return entry;
  }

  get(owner: string, params: Record<string, unknown>): TaskInfo {
    return { ...this.#find(owner, params).info };
  }

  list(owner: string): { tasks: TaskInfo[] } {
    const tasks = [...this.#tasks.values()]
      .filter((e) => e.owner === owner)
      .map((e) => ({ ...e.info }));
    return { tasks };
  }

  /** Waits for the end of the task and answers what its request would have (`tasks/result`). */
  async result(owner: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const entry = this.#find(owner, params);
    const outcome = await entry.done;
    if (entry.info.status === 'cancelled') {
      throw new JsonRpcError(
        JSON_RPC_ERRORS.INVALID_PARAMS,
        `Task ${entry.info.taskId} was cancelled`,
      );
    }
    if ('error' in outcome) {
      throw new JsonRpcError(outcome.error.code, outcome.error.message, outcome.error.data);
    }
    const meta = (outcome.result['_meta'] as Record<string, unknown> | undefined) ?? {};
    return { ...outcome.result, _meta: { ...meta, [RELATED_TASK]: { taskId: entry.info.taskId } } };
  }

  cancel(
    owner: string,
    params: Record<string, unknown>,
    onStatus: (task: TaskInfo) => void,
  ): TaskInfo {
    const entry = this.#find(owner, params);
    if (TERMINAL.has(entry.info.status)) {
      throw new JsonRpcError(
        JSON_RPC_ERRORS.INVALID_PARAMS,
        `Task ${entry.info.taskId} is already ${entry.info.status}`,
      );
    }
    this.#move(entry, 'cancelled', 'cancelled by the client');
    entry.controller.abort(new Error('task cancelled by the client'));
    onStatus({ ...entry.info });
    return { ...entry.info };
  }

  /** Ends the tasks of a session that ended. */
  endOwner(owner: string): void {
    for (const [id, e] of this.#tasks) {
      if (e.owner !== owner) continue;
      e.controller.abort(new Error('session ended'));
      this.#tasks.delete(id);
    }
  }

  #move(entry: Entry, status: TaskStatus, message: string | undefined): void {
    entry.info.status = status;
    entry.info.lastUpdatedAt = new Date().toISOString();
    if (message !== undefined) entry.info.statusMessage = message;
  }
}

function failure(outcome: Outcome): string {
  if ('error' in outcome) return outcome.error.message;
  const content = outcome.result['content'];
  const first = Array.isArray(content) ? (content[0] as { text?: unknown } | undefined) : undefined;
  return typeof first?.text === 'string' ? first.text : 'the tool reported an error';
}
