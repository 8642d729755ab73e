/** Hooks a worker registers on its queue in the same process: wake-ups and cancellation. */
export interface QueueLocalHooks {
  /**
   * A job was added (`isAnnounced`: by add/addMany, which a store with `subscribe` reports to
   * its subscribers too) or returned to waiting (retry, which no store announces). `runAt`: the
   * latest run time of the jobs added.
   */
  readonly onAdded: Set<(runAt: number, isAnnounced: boolean) => void>;
  readonly onCancelled: Set<(id: string) => void>;
}

/** Where a queue keeps its hooks. */
export const kLocal: unique symbol = Symbol('rws.jobs.local');

/** What a worker needs of its queue besides the public API. */
export interface QueueInternals {
  readonly [kLocal]: QueueLocalHooks;
  /** Resolves once the store is initialised. */
  ready(): Promise<void>;
}
