/**
 * Allocation counting for in-process bench scripts (packages' `bench/` folders): V8's sampling
 * heap profiler around a fixed number of operations, objects a GC already collected counted
 * too. Bytes allocated barely move on a loaded machine, unlike times, and decide how often
 * garbage collection pauses the process.
 */
import { Session } from 'node:inspector/promises';
import { type HeapProfile, summarizeAllocations } from './summarize.js';

/** What `measureAllocations` counts and how it prints. */
export interface AllocationOptions {
  /** How many times `op` runs while the profiler samples. */
  readonly count: number;
  /** The unit one run of `op` is, for the table: `job`, `statement`. */
  readonly unit: string;
  /** Bytes between samples (V8's average; smaller is finer and slower). Default 256. */
  readonly samplingInterval?: number;
  /** How many allocating frames the table lists. Default 20. */
  readonly top?: number;
}

/**
 * Runs `op` `count` times, one after another, under the sampling heap profiler and returns the
 * table of bytes allocated per run and the frames that allocated most. Warm `op` up first.
 */
export async function measureAllocations(
  op: () => Promise<unknown>,
  options: AllocationOptions,
): Promise<string> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: options.samplingInterval ?? 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    for (let i = 0; i < options.count; i++) await op();
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
      profile: HeapProfile;
    };
    return summarizeAllocations(profile, options.count, options.top ?? 20, options.unit);
  } finally {
    session.disconnect();
  }
}
