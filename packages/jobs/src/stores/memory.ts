import { emptyCounts } from '../internal/empty-counts.js';
import { isPending, limitsAllow } from '../internal/group-window.js';
import { newJobRecord } from '../internal/new-job-record.js';
import type { JobCounts, JobRecord, JobStore, NewJob, StoreAddResult } from '../job-store.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A job store in process memory: for tests, development and work that may be lost with the
 * process. Jobs are not shared between processes and do not survive a restart.
 *
 * @example
 * ```ts
 * const queue = createQueue({ store: createMemoryStore() });
 * ```
 */
export function createMemoryStore(): JobStore {
  const jobs = new Map<string, Mutable<JobRecord> & { seq: number }>();
  let seq = 0;
  const strip = (j: Mutable<JobRecord> & { seq: number }): JobRecord => {
    const { seq: _seq, ...rest } = j;
    return structuredClone(rest);
  };
  const held = (id: string, workerId: string) => {
    const j = jobs.get(id);
    return j !== undefined && j.state === 'active' && j.workerId === workerId ? j : undefined;
  };
  // The start windows of rate-limited groups: `${queue}\0${group}` → window.
  const windows = new Map<string, { start: number; count: number }>();
  const keyHolder = (queue: string, key: string) => {
    for (const j of jobs.values()) if (j.queue === queue && j.key === key) return j;
    return undefined;
  };
  const addOne = (job: NewJob): StoreAddResult => {
    const existing = jobs.get(job.id);
    if (existing !== undefined) return { job: strip(existing), isNew: false };
    const key = job.key ?? null;
    const holder = key === null ? undefined : keyHolder(job.queue, key);
    if (holder !== undefined && isPending(holder.state)) {
      const mode = job.keyMode ?? 'deduplicate';
      if (mode === 'deduplicate') return { job: strip(holder), isNew: false };
      if (holder.state === 'waiting') {
        Object.assign(holder, {
          name: job.name,
          payload: structuredClone(job.payload),
          priority: job.priority,
          maxAttempts: job.maxAttempts,
          backoff: job.backoff,
          timeoutMs: job.timeoutMs,
          group: job.group ?? null,
          runAt: mode === 'debounce' ? job.runAt : holder.runAt,
          updatedAt: job.now,
        });
        return { job: strip(holder), isNew: false };
      }
    }
    // A finished (or, for replace and debounce, running) holder gives the key up.
    if (holder !== undefined) holder.key = null;
    const rec = {
      ...newJobRecord(job, { payload: structuredClone(job.payload), backoff: job.backoff, key }),
      seq: seq++,
    };
    jobs.set(job.id, rec);
    return { job: strip(rec), isNew: true };
  };

  const store: JobStore = {
    name: 'memory',
    capabilities: { transactions: false, shared: false },
    async add(job) {
      return addOne(job);
    },
    async addMany(list) {
      // Synchronous: nothing else runs in between, so the batch is all-or-nothing.
      return list.map(addOne);
    },
    async claim(o) {
      for (const j of jobs.values()) {
        if (j.state === 'active' && j.leaseUntil !== null && j.leaseUntil < o.now) {
          j.state = 'waiting';
          j.workerId = null;
          j.leaseUntil = null;
          j.updatedAt = o.now;
        }
      }
      const candidates = [...jobs.values()]
        .filter(
          (j) =>
            j.queue === o.queue &&
            j.state === 'waiting' &&
            j.runAt <= o.now &&
            (o.names === undefined || o.names.includes(j.name)),
        )
        .sort((a, b) => a.priority - b.priority || a.runAt - b.runAt || a.seq - b.seq);
      const limits = o.group;
      let due = candidates.slice(0, o.limit);
      if (limits !== undefined) {
        // Grouped jobs first, each group within its limits; then jobs without a group.
        const active = new Map<string, number>();
        for (const j of jobs.values())
          if (j.queue === o.queue && j.state === 'active' && j.group !== null)
            active.set(j.group, (active.get(j.group) ?? 0) + 1);
        const taken = new Map<string, number>();
        due = [];
        for (const j of candidates) {
          if (due.length >= o.limit || j.group === null) continue;
          const w = windows.get(`${o.queue}\0${j.group}`);
          const n = taken.get(j.group) ?? 0;
          if (!limitsAllow(limits, active.get(j.group) ?? 0, w, n, o.now)) continue;
          taken.set(j.group, n + 1);
          due.push(j);
        }
        for (const [group, n] of taken) {
          const id = `${o.queue}\0${group}`;
          const w = windows.get(id);
          const interval = limits.rateLimit?.intervalMs;
          if (interval === undefined) continue;
          if (w === undefined || w.start + interval <= o.now)
            windows.set(id, { start: o.now, count: n });
          else w.count += n;
        }
        for (const j of candidates) if (due.length < o.limit && j.group === null) due.push(j);
      }
      for (const j of due) {
        j.state = 'active';
        j.workerId = o.workerId;
        j.leaseUntil = o.now + o.leaseMs;
        j.attempts += 1;
        j.updatedAt = o.now;
      }
      return due.map(strip);
    },
    async complete(id, workerId, result, o) {
      const j = held(id, workerId);
      if (j === undefined) return false;
      Object.assign(j, {
        state: 'completed',
        result: structuredClone(result ?? null),
        workerId: null,
        leaseUntil: null,
        updatedAt: o.now,
      });
      return true;
    },
    async completeMany(items, workerId, o) {
      const done: boolean[] = [];
      for (const { id, result } of items) done.push(await store.complete(id, workerId, result, o));
      return done;
    },
    async fail(id, workerId, error, retryAt, o) {
      const j = held(id, workerId);
      if (j === undefined) return false;
      Object.assign(j, {
        state: retryAt === null ? 'failed' : 'waiting',
        runAt: retryAt ?? j.runAt,
        error,
        workerId: null,
        leaseUntil: null,
        updatedAt: o.now,
      });
      return true;
    },
    async release(id, workerId, o) {
      const j = held(id, workerId);
      if (j === undefined) return false;
      Object.assign(j, {
        state: 'waiting',
        attempts: Math.max(0, j.attempts - 1),
        workerId: null,
        leaseUntil: null,
        updatedAt: o.now,
      });
      return true;
    },
    async extendLease(id, workerId, leaseMs, o) {
      const j = held(id, workerId);
      if (j === undefined) return false;
      j.leaseUntil = o.now + leaseMs;
      j.updatedAt = o.now;
      return true;
    },
    async progress(id, workerId, progress, o) {
      const j = held(id, workerId);
      if (j === undefined) return false;
      j.progress = structuredClone(progress ?? null);
      j.updatedAt = o.now;
      return true;
    },
    async get(id) {
      const j = jobs.get(id);
      return j === undefined ? null : strip(j);
    },
    async cancel(id, o) {
      const j = jobs.get(id);
      if (j === undefined || (j.state !== 'waiting' && j.state !== 'active')) return false;
      Object.assign(j, { state: 'cancelled', workerId: null, leaseUntil: null, updatedAt: o.now });
      return true;
    },
    async retry(id, o) {
      const j = jobs.get(id);
      if (j === undefined || (j.state !== 'failed' && j.state !== 'cancelled')) return false;
      Object.assign(j, { state: 'waiting', attempts: 0, runAt: o.now, updatedAt: o.now });
      return true;
    },
    async remove(id) {
      const j = jobs.get(id);
      if (j === undefined || j.state === 'active') return false;
      return jobs.delete(id);
    },
    async queues() {
      return [...new Set([...jobs.values()].map((j) => j.queue))].sort();
    },
    async counts(queue): Promise<JobCounts> {
      const c = emptyCounts();
      for (const j of jobs.values()) if (j.queue === queue) c[j.state] += 1;
      return c;
    },
    async list(queue, state, o = {}) {
      return [...jobs.values()]
        .filter((j) => j.queue === queue && j.state === state)
        .sort((a, b) => a.seq - b.seq)
        .slice(0, o.limit ?? 100)
        .map(strip);
    },
    async nextRunAt(queue, o = {}) {
      let next: number | null = null;
      for (const j of jobs.values())
        if (
          j.queue === queue &&
          j.state === 'waiting' &&
          (o.names === undefined || o.names.includes(j.name)) &&
          (next === null || j.runAt < next)
        )
          next = j.runAt;
      return next;
    },
    // Nothing to release: the jobs live as long as the store object.
    async close() {},
    [Symbol.asyncDispose]: () => store.close(),
  };
  return store;
}
