/**
 * Service discovery: a source yields the current backend list, and `watchDiscovery` keeps an
 * upstream's backends in step with it (initially, every `refreshMs`, and whenever the source
 * reports a change). Sources live in `src/discovery/`, one file each.
 */
import type { BackendOptions, Upstream } from './upstream.js';

/** Where backends come from. */
export interface DiscoverySource {
  readonly name: string;
  /** The current backends. Rejects when the source cannot be read. */
  resolve(options?: { signal?: AbortSignal | undefined }): Promise<BackendOptions[]>;
  /**
   * Calls `onChange` when the source changed (a watched file, an etcd watch event, a Consul
   * blocking query returning); returns the unsubscribe. A watch that breaks reports it to
   * `onError`, reconnects with back-off and calls `onChange` once back (it may have missed
   * changes meanwhile).
   */
  watch?(onChange: () => void, onError?: (error: Error) => void): () => void;
}

/** Options of `watchDiscovery`. */
export interface WatchDiscoveryOptions {
  /** Re-resolve this often. Default 30000. */
  refreshMs?: number | undefined;
  /** A failed or empty resolution keeps the previous backends and is reported here. */
  onError?: ((error: Error) => void) | undefined;
}

/** A running discovery loop. */
export interface DiscoveryWatch {
  /** Resolves once the first resolution was applied (or failed). */
  readonly ready: Promise<void>;
  /** Resolves the source now and applies the result. */
  refresh(): Promise<void>;
  close(): void;
}

/**
 * Keeps `upstream`'s backends equal to what `source` yields. Unchanged backends keep their
 * pools, health and counters (`Upstream.update`).
 */
export function watchDiscovery(
  upstream: Pick<Upstream, 'update'>,
  source: DiscoverySource,
  options: WatchDiscoveryOptions = {},
): DiscoveryWatch {
  const onError = options.onError ?? (() => {});
  let isClosed = false;
  let last = '';
  let running: Promise<void> | null = null;
  const controller = new AbortController();

  async function run(): Promise<void> {
    try {
      const list = await source.resolve({ signal: controller.signal });
      if (isClosed) return;
      if (list.length === 0) {
        // An empty answer is far more often a broken source than a deliberate scale to zero.
        onError(
          new Error(
            `discovery source ${source.name} returned no backends; keeping the previous list`,
          ),
        );
        return;
      }
      const key = JSON.stringify(list);
      if (key === last) return;
      upstream.update(list);
      last = key;
    } catch (err) {
      if (!isClosed) onError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  function refresh(): Promise<void> {
    // Coalesce: a change arriving mid-resolution runs one more resolution after it.
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  }

  const timer = setInterval(() => void refresh(), options.refreshMs ?? 30_000);
  timer.unref();
  const unwatch = source.watch?.(() => void refresh(), onError) ?? null;
  const ready = refresh();
  return {
    ready,
    refresh,
    close() {
      isClosed = true;
      clearInterval(timer);
      unwatch?.();
      controller.abort();
    },
  };
}
